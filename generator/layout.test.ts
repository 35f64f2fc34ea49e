import { baseName, directoryOf } from './git/objects';
import {
  committedShardCount,
  placedPath,
  shardCountFor,
  shardDirectory,
  shardIndexOf,
  shardOf,
} from './layout';

const names = (count: number): string[] => Array.from({ length: count }, (_, i) => `svc-${i}`);

describe('shardOf', () => {
  it('is a stable function of the name alone', () => {
    expect(shardOf('web', 64)).toBe(shardOf('web', 64));
    expect(shardOf('web', 1)).toBe(0);
    // Pinned: a change of the hash would move every committed file.
    expect(names(8).map((name) => shardOf(name, 64))).toEqual([27, 17, 13, 42, 63, 21, 8, 37]);
  });

  it('moves a Service only to index + count when the count doubles (half of them move)', () => {
    let moved = 0;
    for (const name of names(4000)) {
      const before = shardOf(name, 32);
      const after = shardOf(name, 64);
      expect([before, before + 32]).toContain(after);
      if (after !== before) moved += 1;
    }
    expect(moved / 4000).toBeGreaterThan(0.45);
    expect(moved / 4000).toBeLessThan(0.55);
  });

  it('spreads 20,000 names evenly enough that no shard is far above the average', () => {
    const sizes = new Array<number>(64).fill(0);
    for (const name of names(20_000)) sizes[shardOf(name, 64)]! += 1;
    const average = 20_000 / 64;
    expect(Math.max(...sizes)).toBeLessThan(average * 1.3);
    expect(Math.min(...sizes)).toBeGreaterThan(average * 0.7);
  });
});

describe('shardCountFor', () => {
  it('keeps one directory up to the shard size, and always with --shard-size 0', () => {
    expect(shardCountFor(0, 1, 500)).toBe(1);
    expect(shardCountFor(500, 1, 500)).toBe(1);
    expect(shardCountFor(501, 1, 500)).toBe(2);
    expect(shardCountFor(100_000, 1, 0)).toBe(1);
    expect(shardCountFor(100_000, 64, undefined)).toBe(1);
  });

  it('is the smallest power of two whose average shard is at most the shard size', () => {
    expect(shardCountFor(2000, 1, 500)).toBe(4);
    expect(shardCountFor(2001, 1, 500)).toBe(8);
    expect(shardCountFor(20_000, 1, 500)).toBe(64);
  });

  it('shrinks only when half the shards would be at most half full (no flapping at a threshold)', () => {
    expect(shardCountFor(499, 2, 500)).toBe(2);
    expect(shardCountFor(251, 2, 500)).toBe(2);
    expect(shardCountFor(250, 2, 500)).toBe(1);
    expect(shardCountFor(16_001, 64, 500)).toBe(64);
    expect(shardCountFor(8000, 64, 500)).toBe(32);
    expect(shardCountFor(0, 64, 500)).toBe(1);
    // One Service more or less around a growth threshold moves nothing back.
    const grown = shardCountFor(2001, 4, 500);
    expect(shardCountFor(2000, grown, 500)).toBe(grown);
  });

  it('treats a committed count that is not a power of two as the next one', () => {
    expect(shardCountFor(1000, 3, 500)).toBe(4);
  });
});

describe('paths', () => {
  it('names shard directories with two digits at least, whatever the count', () => {
    expect(shardDirectory(7)).toBe('shard-07');
    expect(shardDirectory(100)).toBe('shard-100');
    expect(shardIndexOf('shard-07')).toBe(7);
    expect(shardIndexOf('shard-100')).toBe(100);
    expect(shardIndexOf('shard-7')).toBeUndefined();
    expect(shardIndexOf('shards')).toBeUndefined();
    expect(placedPath('web.yaml', 3, 1)).toBe('web.yaml');
    expect(placedPath('web.yaml', 3, 4)).toBe('shard-03/web.yaml');
    expect(directoryOf('shard-03/web.yaml')).toBe('shard-03');
    expect(directoryOf('web.yaml')).toBe('');
    expect(baseName('shard-03/web.yaml')).toBe('web.yaml');
  });

  it('reads the committed shard count from the highest shard directory', () => {
    expect(committedShardCount(['web.yaml', 'kustomization.yaml'])).toBe(1);
    expect(committedShardCount(['shard-00/kustomization.yaml', 'shard-05/kustomization.yaml'])).toBe(8);
    expect(committedShardCount(['shard-07/kustomization.yaml'])).toBe(8);
    expect(committedShardCount(['docs/shard-09/kustomization.yaml', 'shard-x/kustomization.yaml'])).toBe(1);
  });
});
