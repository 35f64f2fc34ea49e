/**
 * What a run changes in the managed directory: the file operations and, per Service, whether it
 * is added, changed or removed (with externalName before -> after for reports). Pure.
 */
import yaml from 'js-yaml';
import { CONSUL_SERVICE_NAME } from '../core/annotations/keys';
import { baseName, gitBlobId, type TreeEntry } from './git/objects';
import { isGenerated, SUPPORT_FILES } from './render';
import { compare } from './select';

/** What reports say about one Service file. */
export interface ServiceInfo {
  k8sName: string;
  consulName?: string;
  externalName?: string;
}

type ChangeKind = 'added' | 'changed' | 'removed';

export interface ServiceChange {
  kind: ChangeKind;
  file: string;
  k8sName: string;
  consulName?: string;
  externalNameBefore?: string;
  externalNameAfter?: string;
}

const blobIdCache = new WeakMap<ReadonlyMap<string, string>, Map<string, string>>();

/** Blob ids of a set of files, computed once per map (plans look them up more than once). */
function blobIdOf(files: ReadonlyMap<string, string>, file: string): string | undefined {
  let ids = blobIdCache.get(files);
  if (!ids) {
    ids = new Map();
    for (const [name, content] of files) ids.set(name, gitBlobId(content));
    blobIdCache.set(files, ids);
  }
  return ids.get(file);
}

/** Service files whose committed content a report needs (changed or removed). */
export function filesToDescribe(
  current: ReadonlyMap<string, TreeEntry>,
  desired: ReadonlyMap<string, string>,
): string[] {
  const files: string[] = [];
  for (const [file, entry] of current) {
    if (entry.type !== 'file') continue;
    if (blobIdOf(desired, file) !== entry.blob) files.push(file);
  }
  return files;
}

/** What happens to one file of the managed directory (every file a run touches, and those it keeps). */
export interface FileChange {
  file: string;
  kind: 'added' | 'changed' | 'removed' | 'kept-not-ours';
  /** The file was not written by the generator (no generated header) and is replaced. */
  notOurs?: boolean;
}

export interface Plan {
  /** Files to create or overwrite, sorted by name. */
  writes: [string, string][];
  /** Entries to remove, sorted by name. */
  deletes: string[];
  changes: ServiceChange[];
  /** Every file added, changed or removed, and the files not ours that are kept, sorted by name. */
  files: FileChange[];
  /** Service files present before the run (what the mass-deletion guard measures against). */
  currentServiceCount: number;
  desiredServiceCount: number;
  /** Services whose file moved to another directory (a layout change): neither removed nor added. */
  movedServiceCount: number;
}

/** A Service file, at the top of the managed directory or in a shard directory. */
export function isServiceFile(file: string): boolean {
  return file.endsWith('.yaml') && !SUPPORT_FILES.has(baseName(file));
}

/** Reads name/consul name/externalName from a Service file we (probably) wrote; tolerant. */
function describeServiceFile(file: string, content: string | undefined): ServiceInfo {
  const info: ServiceInfo = { k8sName: baseName(file).replace(/\.yaml$/, '') };
  if (content === undefined) return info;
  try {
    const doc = yaml.load(content) as {
      metadata?: { name?: unknown; annotations?: Record<string, unknown> };
      spec?: { externalName?: unknown };
    } | null;
    if (typeof doc?.metadata?.name === 'string') info.k8sName = doc.metadata.name;
    const consulName = doc?.metadata?.annotations?.[CONSUL_SERVICE_NAME];
    if (typeof consulName === 'string') info.consulName = consulName;
    if (typeof doc?.spec?.externalName === 'string') info.externalName = doc.spec.externalName;
  } catch {
    // Not YAML we can read: report it by file name only.
  }
  return info;
}

/**
 * `previous` holds the committed content of (at least) the files `filesToDescribe` names; it is
 * used to describe changes and to tell our files from others' (the comparison is by blob id).
 * Entries that are not ours — files without the generated header, subdirectories, symlinks — are
 * kept and reported, never removed; one is replaced only when a generated file needs its name.
 */
export function planChanges(
  current: ReadonlyMap<string, TreeEntry>,
  desired: ReadonlyMap<string, string>,
  desiredInfo: ReadonlyMap<string, ServiceInfo> = new Map(),
  previous: ReadonlyMap<string, string> = new Map(),
): Plan {
  const writes: [string, string][] = [];
  const deletes: string[] = [];
  const changes: ServiceChange[] = [];
  const files: FileChange[] = [];
  const notOurs = (file: string, entry: TreeEntry): boolean => {
    if (entry.type === 'other') return true;
    const content = previous.get(file);
    return content !== undefined && !isGenerated(content);
  };
  let currentServiceCount = 0;
  for (const [file, entry] of current) {
    const ours = !notOurs(file, entry);
    if (isServiceFile(file) && entry.type === 'file' && ours) currentServiceCount += 1;
    if (desired.has(file)) continue;
    if (!ours) {
      files.push({ file, kind: 'kept-not-ours' });
      continue;
    }
    deletes.push(file);
    files.push({ file, kind: 'removed' });
    if (isServiceFile(file) && entry.type === 'file') {
      const before = describeServiceFile(file, previous.get(file));
      changes.push(
        withoutUndefined({
          kind: 'removed',
          file,
          k8sName: before.k8sName,
          consulName: before.consulName,
          externalNameBefore: before.externalName,
        }),
      );
    }
  }
  let desiredServiceCount = 0;
  for (const [file, content] of desired) {
    const isService = isServiceFile(file);
    if (isService) desiredServiceCount += 1;
    const entry = current.get(file);
    if (entry?.type === 'file' && entry.blob === blobIdOf(desired, file)) continue;
    if (entry?.type === 'other') deletes.push(file);
    writes.push([file, content]);
    files.push(
      withoutUndefined({
        file,
        kind: entry ? 'changed' : 'added',
        notOurs: entry && notOurs(file, entry) ? true : undefined,
      }),
    );
    if (!isService) continue;
    const after = desiredInfo.get(file) ?? describeServiceFile(file, content);
    const before = entry?.type === 'file' ? describeServiceFile(file, previous.get(file)) : undefined;
    changes.push(
      withoutUndefined({
        kind: before ? 'changed' : 'added',
        file,
        k8sName: after.k8sName,
        consulName: after.consulName ?? before?.consulName,
        externalNameBefore: before?.externalName,
        externalNameAfter: after.externalName,
      }),
    );
  }
  const folded = foldMoves(changes);
  writes.sort((a, b) => compare(a[0], b[0]));
  deletes.sort(compare);
  folded.changes.sort((a, b) => compare(a.file, b.file));
  files.sort((a, b) => compare(a.file, b.file));
  return {
    writes,
    deletes,
    changes: folded.changes,
    files,
    currentServiceCount,
    desiredServiceCount,
    movedServiceCount: folded.moved,
  };
}

/**
 * A Service removed from one file and added in another (its shard directory changed) is moved, not
 * removed: no change when it is otherwise the same, one `changed` when its externalName changed.
 */
function foldMoves(changes: readonly ServiceChange[]): { changes: ServiceChange[]; moved: number } {
  const added = new Map<string, ServiceChange>();
  for (const change of changes) if (change.kind === 'added') added.set(change.k8sName, change);
  const folded = new Set<ServiceChange>();
  const changed: ServiceChange[] = [];
  for (const change of changes) {
    const target = change.kind === 'removed' ? added.get(change.k8sName) : undefined;
    if (!target || folded.has(target)) continue;
    folded.add(change).add(target);
    if (change.externalNameBefore !== target.externalNameAfter)
      changed.push(
        withoutUndefined({ ...target, kind: 'changed', externalNameBefore: change.externalNameBefore }),
      );
  }
  return {
    changes: [...changes.filter((change) => !folded.has(change)), ...changed],
    moved: folded.size / 2,
  };
}

/** The files not ours that a run keeps in the managed directory. */
export function keptNotOurs(plan: Plan): string[] {
  return plan.files.filter((change) => change.kind === 'kept-not-ours').map((change) => change.file);
}

export function isEmptyPlan(plan: Plan): boolean {
  return plan.writes.length === 0 && plan.deletes.length === 0;
}

export function countChanges(plan: Plan): Record<ChangeKind, number> {
  const counts: Record<ChangeKind, number> = { added: 0, changed: 0, removed: 0 };
  for (const change of plan.changes) counts[change.kind] += 1;
  return counts;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
