/**
 * One generator run: read the catalog, start from the remote head, render, plan, guard, commit,
 * push (retrying non-fast-forward rejections from a fresh fetch) or publish a pull request.
 * The catalog is read before the repository is touched, so a Consul failure changes nothing.
 */
import type { Logger } from 'pino';
import { commitMessage, type CommitSettings } from './commit-message';
import { findClusterConflicts, type ClusterServiceLister } from './conflicts';
import { retryRejectedPush } from './git/push-retry';
import type { GitRepository } from './git/repository';
import type { GeneratorMetrics } from './metrics';
import { PhaseTimer } from './phase-timer';
import { isEmptyPlan } from './plan';
import {
  noteRefusal,
  publishPullRequest,
  retirePullRequest,
  type PullRequestResult,
  type PullRequestSettings,
} from './pull-request';
import {
  compareRun,
  renderRun,
  settleRun,
  type PlanInput,
  type PlannedRun,
  type PlanSettings,
} from './run-plan';
import type { CatalogSnapshot } from './source/catalog';
import type { CatalogSource } from './source/source';
import { startingPoint } from './starting-point';

export interface RunSettings extends PlanSettings {
  branch: string;
  /** Total push attempts (first one included). */
  maxPushAttempts: number;
  pushBackoff: { initialMs: number; maxMs: number };
  pullRequest?: PullRequestSettings;
  /** `--adopt-consul-k8s`: cluster Services consul-k8s's to-k8s wrote are not conflicts. */
  adoptConsulK8s?: boolean;
  /** Commit message template and trailers. */
  commit: CommitSettings;
}

export interface RunDependencies {
  source: CatalogSource;
  /** Opens the repository; with create=false a missing local repository yields undefined. */
  openRepository(create: boolean): Promise<GitRepository | undefined>;
  cluster?: ClusterServiceLister;
  logger: Logger;
  metrics?: GeneratorMetrics;
  /** Test seam: runs right before each push attempt (e.g. to land a competing commit). */
  beforePush?: (attempt: number) => Promise<void>;
  signal?: AbortSignal;
}

export type RunOutcome =
  | (PlannedRun & { status: 'planned' })
  | (PlannedRun & { status: 'up-to-date'; pullRequest?: PullRequestResult })
  | (PlannedRun & { status: 'refused'; reason: string })
  | (PlannedRun & { status: 'committed'; commit: string; pushed: boolean; pushAttempts: number })
  | (PlannedRun & { status: 'pull-request'; commit: string; pullRequest: PullRequestResult });

/** The pull-request branch carries commits not made by us, so the run left it alone. */
export function pullRequestHeld(outcome: RunOutcome | undefined): boolean {
  return (
    (outcome?.status === 'pull-request' || outcome?.status === 'up-to-date') &&
    outcome.pullRequest?.action === 'held'
  );
}

interface RunOptions {
  dryRun?: boolean;
}

export async function runOnce(
  deps: RunDependencies,
  settings: RunSettings,
  options: RunOptions = {},
): Promise<RunOutcome> {
  const snapshot = await deps.source.read(deps.signal);
  const dryRun = options.dryRun ?? false;
  const repository = await deps.openRepository(!dryRun);
  const clusterConflicts = deps.cluster
    ? await readClusterConflicts(deps.cluster, settings, deps.logger)
    : new Map<string, string>();
  const onRetry = (attempt: number, delayMs: number): void => {
    deps.metrics?.pushRetries.inc();
    deps.logger.warn(
      { attempt, delayMs, branch: settings.branch },
      'push rejected (remote moved): fetching and re-rendering',
    );
  };
  const retry = {
    maxAttempts: settings.maxPushAttempts,
    backoff: settings.pushBackoff,
    onRetry,
    ...(deps.signal ? { signal: deps.signal } : {}),
  };

  return retryRejectedPush(async (attempt): Promise<RunOutcome> => {
    const phases = new PhaseTimer();
    const start = await startingPoint(repository, settings, dryRun, phases);
    const current = start.tree;
    const result = await planFromRepository(repository, {
      settings,
      snapshot,
      tree: current,
      repositoryConflicts: start.repositoryConflicts,
      clusterConflicts,
    });
    recordPlan(deps.metrics, snapshot, result);
    phases.mark('plan');
    const { plan, desired, guard } = result;

    if (dryRun) return { ...result, status: 'planned' };
    const target = { branch: settings.branch, base: start.base, managedPath: settings.managedPath };
    if (isEmptyPlan(plan)) {
      const pullRequest =
        settings.pullRequest && repository
          ? await retirePullRequest(repository, settings.pullRequest, target, deps.logger)
          : undefined;
      return { ...result, status: 'up-to-date', ...(pullRequest ? { pullRequest } : {}) };
    }
    if (!guard.allowed) {
      deps.metrics?.guardRefusals.inc();
      // The refusal is the outcome; a forge that cannot take the comment only adds a warning.
      if (settings.pullRequest)
        await noteRefusal(settings.pullRequest, target, guard.reason).catch((err: unknown) =>
          deps.logger.warn(
            { err: (err as Error).message },
            'could not comment the refusal on the pull request',
          ),
        );
      return { ...result, status: 'refused', reason: guard.reason };
    }
    if (!repository) throw new Error('internal: no repository to commit to');
    // Both shapes build the commit from objects; a local work tree is then moved to it.
    const commit = await repository.commitFiles({
      parent: start.base,
      current,
      managedPath: settings.managedPath,
      writes: plan.writes,
      deletes: plan.deletes,
      message: commitMessage(settings.commit, {
        plan,
        path: settings.managedPath,
        branch: settings.branch,
        ...(snapshot.index !== undefined ? { index: snapshot.index } : {}),
        ...(snapshot.datacenter !== undefined ? { datacenter: snapshot.datacenter } : {}),
      }),
    });
    if (!repository.isRemote) await repository.advanceWorkTree(settings.branch, start.base, commit);
    phases.mark('commit');
    deps.logger.debug({ phasesMs: phases.report() }, 'run phases');
    if (!repository.isRemote) {
      deps.metrics?.commits.inc();
      return { ...result, status: 'committed', commit, pushed: false, pushAttempts: 0 };
    }

    await deps.beforePush?.(attempt);
    if (settings.pullRequest) {
      const pullRequest = await publishPullRequest(
        repository,
        settings.pullRequest,
        target,
        { plan, desired, commit },
        deps.logger,
      );
      if (pullRequest.action !== 'held' && pullRequest.action !== 'declined') {
        deps.metrics?.commits.inc();
        deps.metrics?.pushes.inc();
      }
      return { ...result, status: 'pull-request', commit, pullRequest };
    }
    // A commit counts once it is on the branch, and only for the run that moved the branch there
    // (a twin run that made the same commit, or lost the push race, does not count it again).
    if (await repository.pushCommit(commit, settings.branch)) deps.metrics?.commits.inc();
    deps.metrics?.pushes.inc();
    return { ...result, status: 'committed', commit, pushed: true, pushAttempts: attempt };
  }, retry);
}

/** The pure planner's three stages, each fed the committed blobs the previous one named. */
async function planFromRepository(
  repository: GitRepository | undefined,
  input: PlanInput,
): Promise<PlannedRun> {
  const read = async (ids: string[]) => (repository ? repository.readBlobs(ids) : new Map<string, string>());
  const rendered = renderRun(input);
  const settled = settleRun(rendered, await read(rendered.reads));
  return compareRun(settled, await read(settled.reads));
}

/** The plan's gauges: Services rendered and skipped, whether the read was partial, Services kept unconfirmed. */
function recordPlan(
  metrics: GeneratorMetrics | undefined,
  snapshot: CatalogSnapshot,
  result: PlannedRun,
): void {
  metrics?.servicesRendered.set(result.desired.selected.length);
  metrics?.servicesSkipped.set(result.desired.skipped.length);
  metrics?.catalogIncomplete.set(snapshot.gaps ? 1 : 0);
  metrics?.servicesUnconfirmed.set(result.incomplete?.kept.length ?? 0);
}

/** `--check-cluster`: the names taken in the cluster; says which consul-k8s Services are adopted. */
async function readClusterConflicts(
  cluster: ClusterServiceLister,
  settings: RunSettings,
  logger: Logger,
): Promise<Map<string, string>> {
  const adopt = settings.adoptConsulK8s
    ? { prefix: settings.select.prefix, domain: settings.render.domain }
    : undefined;
  const { conflicts, adopted } = await findClusterConflicts(cluster, settings.render.namespace, adopt);
  if (adopted.length > 0) {
    logger.info(
      { count: adopted.length, services: adopted.slice(0, 20) },
      'adopting Services written by consul-k8s (--adopt-consul-k8s)',
    );
  }
  return conflicts;
}
