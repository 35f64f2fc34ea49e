/**
 * The planning step of a run: the files that should exist (rendered from the catalog snapshot,
 * with the ownership marker and, after a partial read, the unconfirmed Services kept as
 * committed), compared with the starting tree into a plan, and the mass-deletion guard's verdict
 * on it. Reads committed blobs for the comparison and the reports; writes nothing.
 */
import { isDnsSubdomain } from '../core/names/dns';
import { desiredState, mergeConflicts, type DesiredState } from './desired';
import { baseName, type TreeEntry } from './git/objects';
import type { GitRepository } from './git/repository';
import { checkMassDeletion, nextHighWaterMark, type GuardOptions, type GuardVerdict } from './guard';
import { committedShardCount, shardIndexOf } from './layout';
import { assertOwner } from './managed-dir';
import type { GeneratorMetrics } from './metrics';
import { filesToDescribe, isServiceFile, planChanges, type Plan } from './plan';
import {
  highWaterMarkOf,
  INVENTORY_FILE,
  KUSTOMIZATION_FILE,
  OWNER_FILE,
  ownerOfMarker,
  renderOwnerMarker,
} from './render';
import type { SelectOptions } from './select';
import type { CatalogGap, CatalogSnapshot } from './source/catalog';
import type { StartingPoint } from './starting-point';
import type { RenderOptions } from './types';

/** The settings planning depends on. */
export interface PlanSettings {
  select: SelectOptions;
  render: RenderOptions;
  /** Normalised `--path`. */
  managedPath: string;
  guard: GuardOptions;
}

export interface PlannedRun {
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

/** Shard directories are listed file by file; any other subdirectory is kept whole. */
function isShardDirectory(directory: string): boolean {
  return shardIndexOf(directory) !== undefined;
}

/** Render what should exist and compare it with what the starting commit holds. */
export async function planRun(
  settings: PlanSettings,
  metrics: GeneratorMetrics | undefined,
  snapshot: CatalogSnapshot,
  repository: GitRepository | undefined,
  start: StartingPoint,
  clusterConflicts: ReadonlyMap<string, string>,
): Promise<{ current: Map<string, TreeEntry>; result: PlannedRun }> {
  const conflicts = mergeConflicts(start.repositoryConflicts, clusterConflicts);
  const current = repository
    ? await repository.listTree(start.base, settings.managedPath, isShardDirectory)
    : new Map();
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
  metrics?.servicesRendered.set(desired.selected.length);
  metrics?.servicesSkipped.set(desired.skipped.length);
  metrics?.catalogIncomplete.set(snapshot.gaps ? 1 : 0);
  metrics?.servicesUnconfirmed.set(keptServices.length);
  const incomplete = snapshot.gaps ? { gaps: snapshot.gaps, kept: keptServices } : undefined;
  return { current, result: { plan, previous, desired, guard, ...(incomplete ? { incomplete } : {}) } };
}

/** Refuses a directory whose ownership marker names another generator; the marker's content. */
async function checkOwner(
  repository: GitRepository | undefined,
  current: ReadonlyMap<string, TreeEntry>,
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
function committedLayout(current: ReadonlyMap<string, TreeEntry>): number {
  const kustomizations = [...current].filter(
    ([file, entry]) => entry.type === 'file' && baseName(file) === KUSTOMIZATION_FILE,
  );
  return committedShardCount(kustomizations.map(([file]) => file));
}

/** Committed Service files the rendered directory lacks, and the inventories, with their content. */
async function unconfirmedFiles(
  repository: GitRepository | undefined,
  current: ReadonlyMap<string, TreeEntry>,
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

async function previousContents(
  repository: GitRepository | undefined,
  current: ReadonlyMap<string, TreeEntry>,
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
