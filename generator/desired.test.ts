import { desiredState } from './desired';
import type { CatalogSnapshot } from './source/catalog';

const catalog = (count: number, gaps = false): CatalogSnapshot => ({
  services: Array.from({ length: count }, (_, i) => ({
    name: `svc-${i}`,
    tags: [],
    optedOut: false,
    fromKubernetes: 'none' as const,
  })),
  ...(gaps ? { gaps: [{ what: '/v1/catalog/services', reason: 'filtered by ACLs' }] } : {}),
});
const select = { syncTag: 'k8s', include: [], exclude: [], prefix: '' };
const render = { namespace: 'default', domain: 'consul', annotateTags: false, shardSize: 10 };

describe('desiredState layout', () => {
  it('shards by --shard-size from the committed count, and reports files where they are placed', () => {
    const state = desiredState(catalog(25), select, { ...render, committedShards: 1 });
    expect(state.shards).toBe(4);
    expect([...state.info.keys()].every((file) => /^shard-0[0-3]\/svc-\d+\.yaml$/.test(file))).toBe(true);
    expect([...state.info.keys()].every((file) => state.files.has(file))).toBe(true);
  });

  it('keeps the committed layout on a partial read (it changes nothing the missing part could affect)', () => {
    expect(desiredState(catalog(100, true), select, { ...render, committedShards: 2 }).shards).toBe(2);
    expect(desiredState(catalog(100, true), select, { ...render, committedShards: 1 }).shards).toBe(1);
    expect(desiredState(catalog(100), select, { ...render, committedShards: 2 }).shards).toBe(16);
  });
});
