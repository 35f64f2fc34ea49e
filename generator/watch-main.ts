/** `generate --watch`: health/metrics server, optional leader election, the watch loop, graceful shutdown. */
import type { Logger } from 'pino';
import { loadKubeConfig } from '../core/kube/config';
import { boundPort, GracefulShutdown } from '../core/runtime';
import { Component } from '../core/runtime/component';
import type { GeneratorConfig } from './config';
import { GeneratorMetrics } from './metrics';
import { pullRequestHeld, runOnce } from './run';
import type { GenerateIo } from './output';
import { CatalogSourceError, isCatalogReadFailure } from './source/source';
import { CatalogWatcher } from './watch';
import { buildRun } from './wiring';

export async function watch(config: GeneratorConfig, logger: Logger, io: GenerateIo): Promise<number> {
  const component = new Component({
    name: 'generator',
    logger,
    http: { port: config.watch.httpPort },
    ...(config.watch.leaderElect
      ? {
          leaderElection: {
            kubeConfig: loadKubeConfig(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}),
            lease: {
              namespace: config.watch.leaseNamespace,
              name: config.watch.leaseName,
              durationMs: config.watch.leaseDurationMs,
            },
            leaderDoes: 'committing to Git',
            ...(io.env ? { env: io.env } : {}),
          },
        }
      : {}),
  });
  const { health } = component;
  const metrics = new GeneratorMetrics(component.registry);
  const { deps, settings } = await buildRun(config, logger, io, metrics);
  let lastRunOk = false;
  let guardRefused = false;
  // The leader is ready once a run succeeded.
  component.addReadinessCheck('last-run', () => lastRunOk);
  let sourceProblem = false;
  let catalogIncomplete = false;
  // These need a person (or --allow-mass-delete), not a restart: /healthz fails, /livez does not.
  health.addHealthCheck('mass-deletion-guard', () => !guardRefused);
  health.addHealthCheck('catalog-source', () => !sourceProblem);
  // A partial or failed read removes nothing, so the tree may hold what Consul no longer has.
  health.addHealthCheck('catalog-complete', () => !catalogIncomplete);
  let pullRequestBranchHeld = false;
  // Someone committed on the pull-request branch: it is left alone until a person resolves it.
  health.addHealthCheck('pull-request-branch', () => !pullRequestBranchHeld);

  component.startElection();
  const server = await component.serve();
  if (server) io.onListening?.(boundPort(server));
  const controller = new AbortController();
  const watcher = new CatalogWatcher(
    {
      source: deps.source,
      run: (signal) => runOnce({ ...deps, signal }, settings),
      logger,
      metrics,
      onRunFinished: (ok, outcome, error) => {
        lastRunOk = ok;
        // A run that failed (no outcome) says nothing about the guard: keep what the last run said.
        if (outcome) guardRefused = outcome.status === 'refused';
        if (outcome) pullRequestBranchHeld = pullRequestHeld(outcome);
        // Unreadable, invalid or refused catalog: retried, but reported until a run completes.
        sourceProblem = error instanceof CatalogSourceError && error.kind !== 'transient';
        catalogIncomplete = outcome ? outcome.incomplete !== undefined : isCatalogReadFailure(error);
        metrics.catalogIncomplete.set(catalogIncomplete ? 1 : 0);
      },
    },
    {
      bufferMinMs: config.watch.bufferMinMs,
      bufferMaxMs: config.watch.bufferMaxMs,
      isLeader: () => component.isLeader(),
    },
  );
  const loop = watcher.run(controller.signal);
  const exitCode = await new Promise<number>((resolve) => {
    new GracefulShutdown({
      delayMs: 0,
      health,
      logger,
      exit: resolve,
      ...(io.signals ? { signalSource: io.signals } : {}),
    })
      .onDrain('watch loop, leader election and health server', () =>
        component.stop(async () => {
          controller.abort();
          await loop;
        }),
      )
      .install();
  });
  return exitCode;
}
