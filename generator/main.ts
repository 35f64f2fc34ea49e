/**
 * `generate`: wires config -> source, repository, forge, cluster check -> one run (`--once`,
 * `--dry-run`) or the watch loop. Prints results on stdout, logs JSON on stderr.
 * Exit codes: 0 committed / up to date / nothing to change (dry run); 1 error; 2 dry run found
 * changes; 3 refused by the mass-deletion guard (`--once`); 4 the Consul catalog could not be
 * read completely (filtered by ACLs, or a failed read): nothing it could not see was changed.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { consulConfigFromEnv } from '../core/consul';
import { version } from '../package.json';
import { createLogger, redactText } from '../core/runtime/logger';
import type * as ClusterModule from './cluster';
import { parseGenerateConfig, type GenerateFlags, type GeneratorConfig } from './config';
import type * as ForgeModule from './forge';
import type { GeneratorMetrics } from './metrics';
import { isEmptyPlan } from './plan';
import { planReport } from './plan-report';
import { GitRepository, locateRepository, displayUrl } from './repo';
import { changeTable, incompleteMessage, summaryLine, unifiedDiff } from './report';
import { commitList, type PullRequestResult } from './pull-request';
import { runOnce, type RunDependencies, type RunOutcome, type RunSettings } from './run';
import { CatalogFileSource } from './source/catalog-file';
import { ConsulCatalogSource } from './source/consul';
import { CatalogSourceError, type CatalogSource } from './source/source';
import type * as MetricsFileModule from './metrics-file';
import type * as WatchModule from './watch-main';

/*
 * Loaded on demand: the Kubernetes client, the forge SDKs and the HTTP/metrics stack take about
 * half a second to load, which a plain `generate --once` (CI, cron) should not pay (metrics only
 * with `--metrics-file`).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const lazy = {
  cluster: () => require('./cluster') as typeof ClusterModule,
  forge: () => require('./forge') as typeof ForgeModule,
  watch: () => require('./watch-main') as typeof WatchModule,
  metricsFile: () => require('./metrics-file') as typeof MetricsFileModule,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Rows of the change table printed after a commit (the commit itself has everything). */
const PRINTED_ROWS = 200;

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_CHANGES = 2;
export const EXIT_REFUSED = 3;
export const EXIT_INCOMPLETE = 4;

export interface GenerateIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Watch mode: where SIGTERM/SIGINT come from (default the process; tests pass an emitter). */
  signals?: Pick<EventEmitter, 'on' | 'off'>;
  /** Watch mode: called once the health server listens (tests use port 0). */
  onListening?: (port: number) => void;
}

const defaultIo: GenerateIo = {
  stdout: (text) => {
    // A closed pipe (`generate ... | head`) must not crash the run with a stack trace.
    if (process.stdout.listenerCount('error') === 0) process.stdout.on('error', () => undefined);
    process.stdout.write(text);
  },
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

export async function runGenerate(flags: GenerateFlags, io: GenerateIo = defaultIo): Promise<number> {
  let config: GeneratorConfig;
  try {
    config = parseGenerateConfig(flags, io.env);
  } catch (err) {
    io.stderr(`error: ${(err as Error).message}\n`);
    return EXIT_ERROR;
  }
  const logger = io.logger ?? createLogger({ level: config.logLevel, component: 'generator' });
  if (config.mode === 'watch') {
    try {
      return await lazy.watch().watch(config, logger, io);
    } catch (err) {
      return failed(err, io);
    }
  }
  const metricsFile = config.metricsFile
    ? new (lazy.metricsFile().MetricsFile)(config.metricsFile)
    : undefined;
  const metrics = metricsFile?.metrics;
  let code: number;
  try {
    const { deps, settings } = await buildRun(config, logger, io, metrics);
    const outcome = await runOnce(deps, settings, { dryRun: config.mode === 'dry-run' });
    metrics?.runFinished(outcome.status);
    code = report(outcome, config, io);
  } catch (err) {
    metrics?.runFailed();
    if (isCatalogReadFailure(err)) metrics?.catalogIncomplete.set(1);
    code = failed(err, io);
  }
  if (!metricsFile) return code;
  try {
    await metricsFile.write();
  } catch (err) {
    io.stderr(`error: ${(err as Error).message}\n`);
    return code === EXIT_OK ? EXIT_ERROR : code;
  }
  return code;
}

/** Prints an error that stopped the run; returns its exit code. */
function failed(err: unknown, io: Pick<GenerateIo, 'stderr'>): number {
  io.stderr(`error: ${redactText((err as Error).message)}\n`);
  return isCatalogReadFailure(err) ? EXIT_INCOMPLETE : EXIT_ERROR;
}

/** Everything a run needs, from the config. */
export async function buildRun(
  config: GeneratorConfig,
  logger: Logger,
  io: Pick<GenerateIo, 'env'>,
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

/** Consul could not be read (down, 403, timeout): a failed read, not bad input. */
export function isCatalogReadFailure(err: unknown): boolean {
  return err instanceof CatalogSourceError && (err.kind === 'transient' || err.kind === 'denied');
}

/** Prints the outcome; returns the exit code (4 whenever the catalog read was partial). */
export function report(
  outcome: RunOutcome,
  config: GeneratorConfig,
  io: Pick<GenerateIo, 'stdout' | 'stderr'>,
): number {
  const code = reportStatus(outcome, config, io);
  if (!outcome.incomplete) return code;
  io.stderr(`warning: ${incompleteMessage(outcome.incomplete)}\n`);
  return code === EXIT_REFUSED || code === EXIT_ERROR ? code : EXIT_INCOMPLETE;
}

function reportStatus(
  outcome: RunOutcome,
  config: GeneratorConfig,
  io: Pick<GenerateIo, 'stdout' | 'stderr'>,
): number {
  const where = `${displayUrl(config.repo)} (${config.branch}:${config.managedPath})`;
  const rendered = outcome.desired.selected.length;
  const skipped = outcome.desired.skipped.length;
  switch (outcome.status) {
    case 'planned': {
      const changed = !isEmptyPlan(outcome.plan);
      if (config.output === 'json') {
        const shown = { repo: displayUrl(config.repo), branch: config.branch, path: config.managedPath };
        io.stdout(`${JSON.stringify(planReport(outcome, shown), null, 2)}\n`);
      } else if (!changed) {
        io.stdout(`no changes: ${where} matches the catalog (${rendered} services, ${skipped} skipped)\n`);
      } else {
        io.stdout(`would change ${where}: ${summaryLine(outcome.plan)}\n\n${changeTable(outcome.plan)}\n`);
        io.stdout(unifiedDiff(outcome.plan, outcome.previous, config.managedPath));
      }
      if (!changed) return EXIT_OK;
      if (!outcome.guard.allowed) {
        io.stderr(`error: the mass-deletion guard would refuse this run: ${outcome.guard.reason}\n`);
        return EXIT_ERROR;
      }
      return EXIT_CHANGES;
    }
    case 'up-to-date': {
      const pr = outcome.pullRequest;
      const prNote =
        pr?.action === 'closed' ? `; closed pull request ${pr.url ?? ''} (no longer needed)` : '';
      io.stdout(
        `up to date: ${where} already matches the catalog (${rendered} services, ${skipped} skipped)${prNote}\n`,
      );
      if (pr?.action === 'held') io.stderr(`warning: ${heldMessage(config, pr)}\n`);
      return EXIT_OK;
    }
    case 'refused':
      io.stderr(`error: ${outcome.reason}; the repository was left as it is\n`);
      return EXIT_REFUSED;
    case 'committed':
      io.stdout(
        `committed ${outcome.commit.slice(0, 12)} to ${where}${outcome.pushed ? ' and pushed' : ''}: ${summaryLine(outcome.plan)}\n\n${changeTable(outcome.plan, PRINTED_ROWS)}`,
      );
      return EXIT_OK;
    case 'pull-request': {
      const pr = outcome.pullRequest;
      if (pr.action === 'held') {
        io.stdout(
          `pull request held: ${pr.url ?? config.pullRequest?.branch ?? ''} (${summaryLine(outcome.plan)})\n`,
        );
        io.stderr(`warning: ${heldMessage(config, pr)}\n`);
        return EXIT_OK;
      }
      if (pr.action === 'declined') {
        io.stdout(
          `pull request declined: ${pr.url ?? ''} was closed without merging; the same change is not proposed again until the catalog changes (${summaryLine(outcome.plan)})\n`,
        );
        return EXIT_OK;
      }
      io.stdout(
        `pull request ${pr.action}: ${pr.url ?? ''} (${summaryLine(outcome.plan)})\n\n${changeTable(outcome.plan, PRINTED_ROWS)}`,
      );
      return EXIT_OK;
    }
  }
}

function heldMessage(config: GeneratorConfig, pr: PullRequestResult): string {
  const commits = pr.notOurs ?? [];
  return (
    `the pull-request branch ${config.pullRequest?.branch ?? ''} has ${commits.length} commit(s) not made by ` +
    `consul-k8s-gitops (${commitList(commits)}); it is not updated (merge or close the pull request and delete the branch)`
  );
}
