/**
 * The managed directory's layout. Small catalogs: one directory. Large ones (more than
 * `--shard-size` Services): shard directories `shard-00`, `shard-01`, ... so that each unit Argo CD
 * or Flux renders (one kustomization.yaml) holds a bounded number of resources. Pure.
 *
 * A Service's shard is a stable hash of its Kubernetes name modulo the shard count, and the count
 * is a power of two: when it doubles, a Service either stays or moves to `index + count` (half of
 * them move); nothing else moves it. The count grows when the average shard would hold more than
 * `--shard-size` Services and shrinks only when half as many shards would be at most half full
 * (hysteresis: a catalog that hovers around a threshold does not move files back and forth).
 */
import { createHash } from 'node:crypto';
import { directoryOf } from './git/objects';

const SHARD_DIRECTORY = /^shard-(\d{2,})$/;

/** `shard-07`: two digits at least; the name of an index never depends on the count. */
export function shardDirectory(index: number): string {
  return `shard-${String(index).padStart(2, '0')}`;
}

/** The shard index a directory name stands for, or undefined when it is not a shard directory. */
export function shardIndexOf(directory: string): number | undefined {
  const match = SHARD_DIRECTORY.exec(directory);
  return match ? Number(match[1]) : undefined;
}

/** Which of `shards` shards a key (a Service's Kubernetes name, a skipped Consul name) belongs to. */
export function shardOf(key: string, shards: number): number {
  if (shards <= 1) return 0;
  return createHash('sha256').update(key).digest().readUInt32BE(0) % shards;
}

/**
 * The shard count to render `services` Services with, given the count the committed tree uses.
 * `shardSize` undefined or 0: never shard (one directory at any size).
 */
export function shardCountFor(services: number, committed: number, shardSize: number | undefined): number {
  if (!shardSize) return 1;
  let count = 1;
  while (count < committed) count *= 2;
  while (services > count * shardSize) count *= 2;
  while (count > 1 && services <= (count * shardSize) / 4) count /= 2;
  return count;
}

/** The path of a file of the managed directory: `<file>` in one directory, `shard-NN/<file>` sharded. */
export function placedPath(file: string, shard: number, shards: number): string {
  return shards <= 1 ? file : `${shardDirectory(shard)}/${file}`;
}

/**
 * The shard count a committed tree uses, from the paths it holds: 1 when it has no shard
 * directory, else the smallest power of two above its highest shard index.
 */
export function committedShardCount(paths: Iterable<string>): number {
  let highest = -1;
  for (const file of paths) {
    const directory = directoryOf(file);
    if (directory === '' || directory.includes('/')) continue;
    highest = Math.max(highest, shardIndexOf(directory) ?? -1);
  }
  let count = 1;
  while (count <= highest) count *= 2;
  return count;
}
