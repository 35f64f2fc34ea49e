/**
 * One generator run: read the catalog, start from the remote head, render, plan, guard, commit,
 * push (retrying non-fast-forward rejections from a fresh fetch) or publish a pull request.
 * The catalog is read before the repository is touched, so a Consul failure changes nothing.
 */
import type { Logger } from 'pino';
import { Backoff, sleep } from '../core/kube/backoff';
import { isDnsSubdomain } from '../core/names/dns';
import {
  conflictsInManifests,
  findClusterConflicts,
  isCandidateManifest,
  manifestsOnDisk,
  type ClusterServiceLister,
} from './conflicts';
import { desiredState, mergeConflicts, type DesiredState } from './desired';
import { checkMassDeletion, nextHighWaterMark, type GuardOptions, type GuardVerdict } from './guard';
import { assertInsideRepository, assertManagedPathInTree, assertOwner } from './managed-dir';
import type { GeneratorMetrics } from './metrics';
import {
  filesToDescribe,
  isEmptyPlan,
  isServiceFile,
  planChanges,
  type CurrentEntry,
  type Plan,
} from './plan';
import { baseName, committedShardCount } from './layout';
import {
  highWaterMarkOf,
  INVENTORY_FILE,
  KUSTOMIZATION_FILE,
  OWNER_FILE,
  ownerOfMarker,
  renderOwnerMarker,
} from './render';
import {
  noteRefusal,
  publishPullRequest,
  retirePullRequest,
  type PullRequestResult,
  type PullRequestSettings,
} from './pull-request';
import { PushRejectedError, type GitRepository } from './repo';
import { commitMessage, type CommitSettings } from './commit-message';
import type { SelectOptions } from './select';
import type { CatalogSource } from './source/source';
import type { RenderOptions } from './types';
import type { CatalogGap, CatalogSnapshot } from './source/catalog';

export interface RunSettings {
  select: SelectOptions;
  render: RenderOptions;
  /** Normalised `--path`. */
  managedPath: string;
  branch: string;
  guard: GuardOptions;
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

interface RunBase {
  plan: Plan;
  /** Committed content of the files the plan changes or removes (for diffs). */
  previous: ReadonlyMap<string, string>;
  desired: DesiredState;
  guard: GuardVerdict;
  /**
   * The catalog read was partial: what was missing and why, and the Service files kept as
   * committed because the read could not confirm them (nothing was removed).
   */
  incomplete?: { gaps: CatalogGap[]; kept: string[] };
}

export type RunOutcome =
  | (RunBase & { status: 'planned' })
  | (RunBase & { status: 'up-to-date'; pullRequest?: PullRequestResult })
  | (RunBase & { status: 'refused'; reason: string })
  | (RunBase & { status: 'committed'; commit: string; pushed: boolean; pushAttempts: number })
  | (RunBase & { status: 'pull-request'; commit: string; pullRequest: PullRequestResult });

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
  const backoff = new Backoff({
    initialMs: settings.pushBackoff.initialMs,
    maxMs: settings.pushBackoff.maxMs,
  });

  for (let attempt = 1; ; attempt += 1) {
    const phases = new PhaseTimer();
    const start = await startingPoint(repository, settings, dryRun, phases);
    const { current, result } = await planRun(deps, settings, snapshot, repository, start, clusterConflicts);
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

    try {
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
    } catch (err) {
      if (!(err instanceof PushRejectedError) || attempt >= settings.maxPushAttempts) throw err;
      deps.metrics?.pushRetries.inc();
      const delayMs = backoff.next();
      deps.logger.warn(
        { attempt, delayMs, branch: settings.branch },
        'push rejected (remote moved): fetching and re-rendering',
      );
      if (!(await sleep(delayMs, deps.signal))) throw err;
    }
  }
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

interface StartingPoint {
  /** The commit the run builds on (undefined: none yet). */
  base: string | undefined;
  /** Services defined in the repository outside the managed path. */
  repositoryConflicts: Map<string, string>;
}

/**
 * Remote: fetch, the branch head. Local: HEAD, with the managed path restored to it (a dry run
 * never touches a local work tree; it plans against HEAD, as a run would). Checks that the
 * managed path stays inside the repository and scans the rest for conflicting Services.
 */
async function startingPoint(
  repository: GitRepository | undefined,
  settings: RunSettings,
  dryRun: boolean,
  phases: PhaseTimer,
): Promise<StartingPoint> {
  if (!repository) return { base: undefined, repositoryConflicts: new Map() };
  if (repository.isRemote) {
    const base = await repository.fetchBase(settings.branch);
    phases.mark('fetch');
    if (base === undefined) return { base, repositoryConflicts: new Map() };
    await assertManagedPathInTree((entry) => repository.entryMode(base, entry), settings.managedPath);
    return { base, repositoryConflicts: await conflictsInTree(repository, base, settings) };
  }
  const base = dryRun
    ? await repository.resolve('HEAD')
    : await repository.restoreManagedPath(settings.branch, settings.managedPath);
  phases.mark('restore');
  await assertInsideRepository(repository.dir, settings.managedPath);
  const manifests = await manifestsOnDisk(repository.dir, settings.managedPath);
  return { base, repositoryConflicts: conflictsInManifests(manifests, settings.render.namespace) };
}

/** Render what should exist and compare it with what the starting commit holds. */
async function planRun(
  deps: RunDependencies,
  settings: RunSettings,
  snapshot: CatalogSnapshot,
  repository: GitRepository | undefined,
  start: StartingPoint,
  clusterConflicts: ReadonlyMap<string, string>,
): Promise<{ current: Map<string, CurrentEntry>; result: RunBase }> {
  const conflicts = mergeConflicts(start.repositoryConflicts, clusterConflicts);
  const current = repository ? await repository.listTree(start.base, settings.managedPath) : new Map();
  const render = {
    ...renderOptionsFor(settings.render, snapshot),
    committedShards: committedLayout(current),
  };
  let desired = desiredState(snapshot, settings.select, render, conflicts);
  if (render.datacenterFromCatalog && render.datacenter === undefined && desired.selected.length > 0) {
    throw new Error(
      '--consul-datacenter-dns: Consul did not say which datacenter answered; give it (--consul-datacenter-dns <dc>)',
    );
  }
  const marker =
    render.owner !== undefined
      ? await checkOwner(repository, current, render.owner, settings.managedPath)
      : undefined;
  // A partial read cannot tell "gone" from "not visible": every Service it would remove stays, and
  // the inventory (a view of the whole catalog) stays as committed.
  const kept = snapshot.gaps ? await unconfirmedFiles(repository, current, desired.files) : new Map();
  if (kept.size > 0) desired = desiredState(snapshot, settings.select, render, conflicts, kept);
  const keptServices = [...kept.keys()].filter(isServiceFile).sort();
  const highWaterMark = marker === undefined ? undefined : highWaterMarkOf(marker);
  if (render.owner !== undefined) {
    // Before anything hashes the files: the marker records the guard's mark this run leaves.
    const count = (files: Iterable<string>): number => [...files].filter(isServiceFile).length;
    const mark = nextHighWaterMark(
      highWaterMark,
      count(current.keys()),
      count(desired.files.keys()),
      settings.guard,
    );
    desired.files.set(OWNER_FILE, renderOwnerMarker(render.owner, mark));
  }
  const previous = await previousContents(repository, current, desired.files);
  const plan = planChanges(current, desired.files, desired.info, previous);
  const removed = plan.changes.filter((change) => change.kind === 'removed').length;
  const guard = checkMassDeletion(plan.currentServiceCount, removed, settings.guard, {
    after: plan.desiredServiceCount,
    ...(highWaterMark !== undefined ? { highWaterMark } : {}),
  });
  deps.metrics?.servicesRendered.set(desired.selected.length);
  deps.metrics?.servicesSkipped.set(desired.skipped.length);
  deps.metrics?.catalogIncomplete.set(snapshot.gaps ? 1 : 0);
  deps.metrics?.servicesUnconfirmed.set(keptServices.length);
  const incomplete = snapshot.gaps ? { gaps: snapshot.gaps, kept: keptServices } : undefined;
  return { current, result: { plan, previous, desired, guard, ...(incomplete ? { incomplete } : {}) } };
}

/** Refuses a directory whose ownership marker names another generator; the marker's content. */
async function checkOwner(
  repository: GitRepository | undefined,
  current: ReadonlyMap<string, CurrentEntry>,
  owner: string,
  managedPath: string,
): Promise<string | undefined> {
  const marker = current.get(OWNER_FILE);
  if (!repository || marker?.type !== 'file') return undefined;
  const content = (await repository.readBlobs([marker.blob])).get(marker.blob);
  assertOwner(content === undefined ? undefined : ownerOfMarker(content), owner, managedPath);
  return content;
}

/** The shard count of the committed tree: its shard directories that hold a kustomization.yaml. */
function committedLayout(current: ReadonlyMap<string, CurrentEntry>): number {
  const kustomizations = [...current].filter(
    ([file, entry]) => entry.type === 'file' && baseName(file) === KUSTOMIZATION_FILE,
  );
  return committedShardCount(kustomizations.map(([file]) => file));
}

/** Committed Service files the rendered directory lacks, and the inventories, with their content. */
async function unconfirmedFiles(
  repository: GitRepository | undefined,
  current: ReadonlyMap<string, CurrentEntry>,
  rendered: ReadonlyMap<string, string>,
): Promise<Map<string, string>> {
  const blobs = new Map<string, string>();
  for (const [file, entry] of current)
    if (
      entry.type === 'file' &&
      ((isServiceFile(file) && !rendered.has(file)) || baseName(file) === INVENTORY_FILE)
    )
      blobs.set(file, entry.blob);
  const kept = new Map<string, string>();
  if (!repository || blobs.size === 0) return kept;
  const contents = await repository.readBlobs([...new Set(blobs.values())]);
  for (const [file, blob] of blobs) {
    const content = contents.get(blob);
    if (content !== undefined) kept.set(file, content);
  }
  return kept;
}

/** The render options of this run: `--consul-datacenter-dns` without a value takes the catalog's datacenter. */
function renderOptionsFor(render: RenderOptions, snapshot: CatalogSnapshot): RenderOptions {
  if (!render.datacenterFromCatalog || snapshot.datacenter === undefined) return render;
  const datacenter = snapshot.datacenter.toLowerCase();
  if (!isDnsSubdomain(datacenter) || datacenter.includes('.')) {
    throw new Error(
      `--consul-datacenter-dns: Consul's datacenter "${snapshot.datacenter.slice(0, 64)}" is not a DNS label; give one (--consul-datacenter-dns <dc>)`,
    );
  }
  return { ...render, datacenter };
}

/** Services declared in the commit's tree outside the managed path. */
async function conflictsInTree(
  repository: GitRepository,
  ref: string,
  settings: RunSettings,
): Promise<Map<string, string>> {
  const named = (await repository.listFiles(ref)).filter((file) =>
    isCandidateManifest(file.path, 0, settings.managedPath),
  );
  const sizes = await repository.blobSizes([...new Set(named.map((file) => file.blob))]);
  const candidates = named.filter((file) =>
    isCandidateManifest(file.path, sizes.get(file.blob) ?? Infinity, settings.managedPath),
  );
  const contents = await repository.readBlobs([...new Set(candidates.map((file) => file.blob))]);
  const manifests: [string, string][] = candidates.map((file) => [file.path, contents.get(file.blob) ?? '']);
  return conflictsInManifests(manifests, settings.render.namespace);
}

/** Wall-clock milliseconds per phase, for debug logs. */
class PhaseTimer {
  private last = performance.now();
  private readonly phases: Record<string, number> = {};

  mark(name: string): void {
    const now = performance.now();
    this.phases[name] = Math.round(now - this.last);
    this.last = now;
  }

  report(): Record<string, number> {
    return this.phases;
  }
}

async function previousContents(
  repository: GitRepository | undefined,
  current: ReadonlyMap<string, CurrentEntry>,
  desired: ReadonlyMap<string, string>,
): Promise<Map<string, string>> {
  const previous = new Map<string, string>();
  if (!repository) return previous;
  const files = filesToDescribe(current, desired);
  const blobs = new Map<string, string>();
  for (const file of files) {
    const entry = current.get(file);
    if (entry?.type === 'file') blobs.set(file, entry.blob);
  }
  const contents = await repository.readBlobs([...new Set(blobs.values())]);
  for (const [file, blob] of blobs) {
    const content = contents.get(blob);
    if (content !== undefined) previous.set(file, content);
  }
  return previous;
}
