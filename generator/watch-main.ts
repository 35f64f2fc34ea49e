/** `generate --watch`: health/metrics server, optional leader election, the watch loop, graceful shutdown. */
import type { Logger } from 'pino';
import { loadKubeConfig } from '../core/kube/config';
import { createLeadership } from '../core/kube/leadership';
import {
  closeServer,
  createMetricsRegistry,
  boundPort,
  GracefulShutdown,
  Health,
  startHealthServer,
} from '../core/runtime';
import type { GeneratorConfig } from './config';
import { GeneratorMetrics } from './metrics';
import { pullRequestHeld, runOnce } from './run';
import type { GenerateIo } from './output';
import { CatalogSourceError, isCatalogReadFailure } from './source/source';
import { CatalogWatcher } from './watch';
import { buildRun } from './wiring';

export async function watch(config: GeneratorConfig, logger: Logger, io: GenerateIo): Promise<number> {
  const registry = createMetricsRegistry({ defaultLabels: { component: 'generator' } });
  const metrics = new GeneratorMetrics(registry);
  const health = new Health();
  const { deps, settings } = await buildRun(config, logger, io, metrics);
  let lastRunOk = false;
  let guardRefused = false;
  // A standby replica is ready (it has nothing to do); the leader is ready once a run succeeded.
  health.addReadinessCheck('last-run', () => lastRunOk || (elector !== undefined && !elector.isLeader()));
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

  const elector = config.watch.leaderElect
    ? createLeadership({
        kubeConfig: loadKubeConfig(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}),
        lease: {
          namespace: config.watch.leaseNamespace,
          name: config.watch.leaseName,
          durationMs: config.watch.leaseDurationMs,
        },
        logger,
        leaderDoes: 'committing to Git',
        env: io.env,
      })
    : undefined;
  elector?.start();
  const server = await startHealthServer({ port: config.watch.httpPort, health, registry });
  io.onListening?.(boundPort(server));
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
      ...(elector ? { isLeader: () => elector.isLeader() } : {}),
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
      .onDrain('watch loop', async () => {
        controller.abort();
        await loop;
      })
      .onDrain('leader election', async () => {
        await elector?.stop();
      })
      .onDrain('health server', () => closeServer(server))
      .install();
  });
  return exitCode;
}
