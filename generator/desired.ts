/** Catalog snapshot + settings + known conflicts -> the files the managed directory must hold. Pure. */
import type { ServiceInfo } from './plan';
import { shardCountFor } from './layout';
import { externalNameFor, renderDirectory, servicePath } from './render';
import { selectServices, type Conflicts, type SelectOptions } from './select';
import type { RenderOptions, SelectedService, SkippedService } from './types';
import type { CatalogSnapshot } from './source/catalog';

export interface DesiredState {
  selected: SelectedService[];
  skipped: SkippedService[];
  files: Map<string, string>;
  /** How many shard directories the files use (1: one directory). */
  shards: number;
  /** Per Service file, what reports show (saves parsing what we just rendered). */
  info: Map<string, ServiceInfo>;
}

export function desiredState(
  snapshot: CatalogSnapshot,
  select: SelectOptions,
  render: RenderOptions,
  conflicts: Conflicts = new Map(),
  kept: ReadonlyMap<string, string> = new Map(),
): DesiredState {
  const { selected, skipped } = selectServices(snapshot.services, select, conflicts);
  const committed = render.committedShards ?? 1;
  // A partial read changes nothing the missing part could affect: not the layout either.
  const shards = snapshot.gaps ? committed : shardCountFor(selected.length, committed, render.shardSize);
  const files = renderDirectory(selected, skipped, render, kept, shards);
  const info = new Map<string, ServiceInfo>();
  for (const service of selected) {
    info.set(servicePath(service.k8sName, shards), {
      k8sName: service.k8sName,
      consulName: service.consulName,
      externalName: externalNameFor(service.consulName, render),
    });
  }
  return { selected, skipped, files, shards, info };
}

/** Merges conflict maps; the first source that names a Service wins. */
export function mergeConflicts(...sources: ReadonlyMap<string, string>[]): Map<string, string> {
  const merged = new Map<string, string>();
  for (const source of sources)
    for (const [name, where] of source) if (!merged.has(name)) merged.set(name, where);
  return merged;
}
