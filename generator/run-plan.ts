/**
 * The planning of a run, pure: from the catalog snapshot and the starting tree, the files that
 * should exist (rendered, with the ownership marker and, after a partial read, the unconfirmed
 * Services kept as committed), compared with the tree into a plan, and the mass-deletion guard's
 * verdict on it. Committed content comes in as blob contents: planning runs in three stages, each
 * naming the blobs the next one needs (`reads`), so only the files a run compares are ever read
 * (an unchanged Service is compared by blob id). The caller reads them (run.ts); no I/O here.
 */
import { isDnsSubdomain } from '../core/names/dns';
import { desiredState, mergeConflicts, type DesiredState } from './desired';
import { baseName, type TreeEntry } from './git/objects';
import { checkMassDeletion, nextHighWaterMark, type GuardOptions, type GuardVerdict } from './guard';
import { committedShardCount } from './layout';
import { assertOwner } from './managed-dir';
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
import type { RenderOptions } from './types';

/** The settings planning depends on. */
export interface PlanSettings {
  select: SelectOptions;
  render: RenderOptions;
  /** Normalised `--path`. */
  managedPath: string;
  guard: GuardOptions;
}

/** What a run plans from. */
export interface PlanInput {
  settings: PlanSettings;
  snapshot: CatalogSnapshot;
  /** The managed directory at the starting commit (empty without one). */
  tree: ReadonlyMap<string, TreeEntry>;
  /** Services defined in the repository outside the managed path. */
  repositoryConflicts: ReadonlyMap<string, string>;
  /** Services taken in the cluster (`--check-cluster`). */
  clusterConflicts: ReadonlyMap<string, string>;
}

/** Committed content by blob id: the blobs a stage named in its `reads` (missing ones are absent). */
type BlobContents = ReadonlyMap<string, string>;

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

/** Stage one's result: the first render, and the blobs stage two needs (`reads`). */
interface RenderedRun {
  input: PlanInput;
  render: RenderOptions;
  conflicts: Map<string, string>;
  desired: DesiredState;
  /** After a partial read: the committed files it may keep (Services not rendered, inventories) -> blob. */
  unconfirmed: Map<string, string>;
  /** The ownership marker's blob and the unconfirmed files' blobs. */
  reads: string[];
}

/** Stage two's result: the files that should exist, and the blobs stage three needs (`reads`). */
interface SettledRun {
  input: PlanInput;
  desired: DesiredState;
  highWaterMark: number | undefined;
  keptServices: string[];
  /** The committed files whose content differs from the desired (changed or removed) -> blob. */
  described: Map<string, string>;
  reads: string[];
}

/** Stage one: render what should exist from the snapshot. */
export function renderRun(input: PlanInput): RenderedRun {
  const { settings, snapshot, tree } = input;
  const conflicts = mergeConflicts(input.repositoryConflicts, input.clusterConflicts);
  const render = {
    ...renderOptionsFor(settings.render, snapshot),
    committedShards: committedLayout(tree),
  };
  const desired = desiredState(snapshot, settings.select, render, conflicts);
  if (render.datacenterFromCatalog && render.datacenter === undefined && desired.selected.length > 0) {
    throw new Error(
      '--consul-datacenter-dns: Consul did not say which datacenter answered; give it (--consul-datacenter-dns <dc>)',
    );
  }
  const marker = tree.get(OWNER_FILE);
  const unconfirmed = snapshot.gaps ? unconfirmedFiles(tree, desired.files) : new Map<string, string>();
  const markerBlob = render.owner !== undefined && marker?.type === 'file' ? [marker.blob] : [];
  const reads = [...new Set([...markerBlob, ...unconfirmed.values()])];
  return { input, render, conflicts, desired, unconfirmed, reads };
}

/**
 * Stage two, with the contents of the blobs stage one named: refuses a directory another
 * generator owns, keeps what a partial read cannot confirm, and adds the ownership marker.
 */
export function settleRun(rendered: RenderedRun, contents: BlobContents): SettledRun {
  const { input, render, conflicts } = rendered;
  const { settings, snapshot, tree } = input;
  const marker =
    render.owner !== undefined ? checkOwner(tree, contents, render.owner, settings.managedPath) : undefined;
  // A partial read cannot tell "gone" from "not visible": every Service it would remove stays, and
  // the inventory (a view of the whole catalog) stays as committed.
  const kept = contentsOf(rendered.unconfirmed, contents);
  const desired =
    kept.size > 0 ? desiredState(snapshot, settings.select, render, conflicts, kept) : rendered.desired;
  const keptServices = [...kept.keys()].filter(isServiceFile).sort();
  const highWaterMark = marker === undefined ? undefined : highWaterMarkOf(marker);
  let files = desired.files;
  if (render.owner !== undefined) {
    // Before anything hashes the files: the marker records the guard's mark this run leaves.
    const count = (names: Iterable<string>): number => [...names].filter(isServiceFile).length;
    const mark = nextHighWaterMark(highWaterMark, count(tree.keys()), count(files.keys()), settings.guard);
    files = new Map(files).set(OWNER_FILE, renderOwnerMarker(render.owner, mark));
  }
  const described = describedFiles(tree, files);
  return {
    input,
    desired: { ...desired, files },
    highWaterMark,
    keptServices,
    described,
    reads: [...new Set(described.values())],
  };
}

/** Stage three, with the contents of the blobs stage two named: the plan and the guard's verdict. */
export function compareRun(settled: SettledRun, contents: BlobContents): PlannedRun {
  const { input, desired, highWaterMark } = settled;
  const previous = contentsOf(settled.described, contents);
  const plan = planChanges(input.tree, desired.files, desired.info, previous);
  const removed = plan.changes.filter((change) => change.kind === 'removed').length;
  const guard = checkMassDeletion(plan.currentServiceCount, removed, input.settings.guard, {
    after: plan.desiredServiceCount,
    ...(highWaterMark !== undefined ? { highWaterMark } : {}),
  });
  const gaps = input.snapshot.gaps;
  const incomplete = gaps ? { gaps, kept: settled.keptServices } : undefined;
  return { plan, previous, desired, guard, ...(incomplete ? { incomplete } : {}) };
}

/** file -> content, for the files (file -> blob) whose blob is in `contents`. */
function contentsOf(files: ReadonlyMap<string, string>, contents: BlobContents): Map<string, string> {
  const found = new Map<string, string>();
  for (const [file, blob] of files) {
    const content = contents.get(blob);
    if (content !== undefined) found.set(file, content);
  }
  return found;
}

/** Refuses a directory whose ownership marker names another generator; the marker's content. */
function checkOwner(
  tree: ReadonlyMap<string, TreeEntry>,
  contents: BlobContents,
  owner: string,
  managedPath: string,
): string | undefined {
  const marker = tree.get(OWNER_FILE);
  if (marker?.type !== 'file') return undefined;
  const content = contents.get(marker.blob);
  assertOwner(content === undefined ? undefined : ownerOfMarker(content), owner, managedPath);
  return content;
}

/** The shard count of the committed tree: its shard directories that hold a kustomization.yaml. */
function committedLayout(tree: ReadonlyMap<string, TreeEntry>): number {
  const kustomizations = [...tree].filter(
    ([file, entry]) => entry.type === 'file' && baseName(file) === KUSTOMIZATION_FILE,
  );
  return committedShardCount(kustomizations.map(([file]) => file));
}

/** Committed Service files the rendered directory lacks, and the inventories: file -> blob. */
function unconfirmedFiles(
  tree: ReadonlyMap<string, TreeEntry>,
  rendered: ReadonlyMap<string, string>,
): Map<string, string> {
  const blobs = new Map<string, string>();
  for (const [file, entry] of tree)
    if (
      entry.type === 'file' &&
      ((isServiceFile(file) && !rendered.has(file)) || baseName(file) === INVENTORY_FILE)
    )
      blobs.set(file, entry.blob);
  return blobs;
}

/** The committed files a report describes (filesToDescribe): file -> blob. */
function describedFiles(
  tree: ReadonlyMap<string, TreeEntry>,
  desired: ReadonlyMap<string, string>,
): Map<string, string> {
  const blobs = new Map<string, string>();
  for (const file of filesToDescribe(tree, desired)) {
    const entry = tree.get(file);
    if (entry?.type === 'file') blobs.set(file, entry.blob);
  }
  return blobs;
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
