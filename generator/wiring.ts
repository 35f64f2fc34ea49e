/**
 * Builds what one generator run needs from the config: the catalog source, the repository, the
 * forge and the cluster check. Used by both modes (main.ts for `--once` / `--dry-run`,
 * watch-main.ts for `--watch`).
 */
import type { Logger } from 'pino';
import { consulConfigFromEnv } from '../core/consul';
import { redactText } from '../core/runtime/logger';
import { version } from '../package.json';
import type * as ClusterModule from './cluster';
import type { GeneratorConfig } from './config';
import type * as ForgeModule from './forge';
import type { GeneratorMetrics } from './metrics';
import { displayUrl } from './git/credentials';
import { locateRepository } from './git/location';
import { GitRepository } from './git/repository';
import type { RunDependencies, RunSettings } from './run';
import { CatalogFileSource } from './source/catalog-file';
import { ConsulCatalogSource } from './source/consul';
import type { CatalogSource } from './source/source';

/*
 * Loaded on demand: the Kubernetes client and the forge SDKs take about half a second to load,
 * which a plain `generate --once` (CI, cron) should not pay.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const lazy = {
  cluster: () => require('./cluster') as typeof ClusterModule,
  forge: () => require('./forge') as typeof ForgeModule,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Everything a run needs, from the config. */
export async function buildRun(
  config: GeneratorConfig,
  logger: Logger,
  io: { env: NodeJS.ProcessEnv },
  metrics?: GeneratorMetrics,
): Promise<{ deps: RunDependencies; settings: RunSettings }> {
  const source: CatalogSource =
    config.source.kind === 'file'
      ? new CatalogFileSource(config.source.path, config.select.clusterId)
      : new ConsulCatalogSource(
          consulConfigFromEnv(
            io.env,
            config.source.datacenter ? { datacenter: config.source.datacenter } : {},
          ),
          {
            ...(config.select.clusterId !== undefined ? { clusterId: config.select.clusterId } : {}),
            needsDatacenter: Boolean(config.render.datacenterFromCatalog),
          },
        );
  const location = await locateRepository(config.repo, config.workdir);
  if (config.pullRequest && location.kind !== 'remote') {
    throw new Error(
      '--pull-request: --repo must be a remote (URL or bare repository), not a local work tree',
    );
  }
  const repoOptions = {
    repo: config.repo,
    identity: config.identity,
    credentials: config.credentials,
    sign: config.signCommits,
    ...(config.signingKey ? { signingKey: config.signingKey } : {}),
    env: io.env,
    ...(config.workdir ? { workdir: config.workdir } : {}),
  };
  let opened: GitRepository | undefined;
  const deps: RunDependencies = {
    source,
    openRepository: async (create) => {
      opened ??= await GitRepository.open(location, config.branch, repoOptions, create);
      return opened;
    },
    logger,
    ...(metrics ? { metrics } : {}),
    ...(config.checkCluster ? { cluster: lazy.cluster().clusterLister(config.kubeconfig) } : {}),
  };
  const settings: RunSettings = {
    select: config.select,
    render: config.render,
    managedPath: config.managedPath,
    branch: config.branch,
    guard: config.guard,
    ...(config.adoptConsulK8s ? { adoptConsulK8s: true } : {}),
    maxPushAttempts: config.maxPushAttempts,
    pushBackoff: { initialMs: 500, maxMs: 10_000 },
    commit: {
      template: config.commit.template,
      indexKey: config.source.kind === 'file' ? 'Catalog-File-Digest' : 'Consul-Index',
      version,
      ...(config.commit.signoff ? { signoff: config.identity } : {}),
      ...(config.select.clusterId !== undefined ? { clusterId: config.select.clusterId } : {}),
      ...(config.source.kind === 'consul' && config.source.datacenter
        ? { datacenter: config.source.datacenter }
        : {}),
    },
    ...(config.pullRequest
      ? {
          pullRequest: {
            forge: lazy.forge().createForge(config.pullRequest, {
              debug: (message) => logger.debug(message),
              info: (message) => logger.debug(message),
              warn: (message) => logger.warn(redactText(message)),
              error: (message) => logger.debug(redactText(message)),
            }),
            branch: config.pullRequest.branch,
            labels: config.pullRequest.labels,
            extras: config.pullRequest.extras,
          },
        }
      : {}),
  };
  logger.info(
    {
      source: source.description,
      repo: displayUrl(config.repo),
      branch: config.branch,
      path: config.managedPath,
      mode: config.mode,
    },
    'generator configured',
  );
  return { deps, settings };
}
