/**
 * The reconciler on its own: in-memory caches and an in-memory Consul node (test/support/registrar/
 * memory.ts), no servers, no queue. Each test hands it a batch and checks the result and the node.
 */
import { Registry } from 'prom-client';
import { createLogger } from '../core/runtime';
import { MemoryCache, MemoryCatalog } from '../test/support/registrar/memory';
import { parseRegistrarConfig } from './config';
import { EventMapper, type NodeObject, type ServiceObject, type SliceObject } from './event-mapping';
import { createRegistrarMetrics } from './metrics';
import { NodeClaimedError } from './catalog-port';
import { CatalogReconciler, type ReconcilerOptions } from './reconciler';
import type { WarningRecorder } from './warnings';

const config = parseRegistrarConfig({ clusterId: 'east' }, {});

function loadBalancer(name: string, ip: string, annotations: Record<string, string> = {}): ServiceObject {
  return {
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, annotations },
    spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80 }] },
    status: { loadBalancer: { ingress: [{ ip }] } },
  };
}

function setup(overrides: Partial<ReconcilerOptions> = {}) {
  const caches = {
    services: new MemoryCache<ServiceObject>(),
    endpointSlices: new MemoryCache<SliceObject>(),
    nodes: new MemoryCache<NodeObject>(),
  };
  const catalog = new MemoryCatalog();
  const requeued: string[] = [];
  const warnings: Array<{ name: string; reason: string; message: string }> = [];
  const events: WarningRecorder = {
    warning: async (involved, reason, message) => {
      warnings.push({ name: involved.name, reason, message });
      return true;
    },
  };
  const reconciler = new CatalogReconciler({
    config,
    catalog,
    caches,
    mapper: new EventMapper(caches),
    requeue: { add: (key) => requeued.push(key), addFull: () => requeued.push('*') },
    logger: createLogger({ level: 'silent' }),
    metrics: createRegistrarMetrics(new Registry()),
    events,
    refusalRetry: { initialMs: 20, maxMs: 20, random: () => 0 },
    ...overrides,
  });
  const services = () => [...catalog.instances.values()].map((i) => `${i.service}@${i.address}`).sort();
  return { caches, catalog, reconciler, requeued, warnings, services };
}

afterEach(() => jest.useRealTimers());

test('a full pass registers the node and every Service; a keyed pass writes only that Service', async () => {
  const { caches, catalog, reconciler, services } = setup();
  caches.services.set(loadBalancer('web', '10.0.0.1'));
  caches.services.set(loadBalancer('api', '10.0.0.2'));
  expect(reconciler.isReady()).toBe(false);
  await expect(reconciler.reconcile({ keys: [], full: true })).resolves.toEqual({ done: true });
  expect(reconciler.isReady()).toBe(true);
  expect(catalog.node?.meta['external-k8s-cluster-id']).toBe('east');
  expect(services()).toEqual(['api@10.0.0.2', 'web@10.0.0.1']);

  caches.services.set(loadBalancer('web', '10.0.0.9'));
  const reads = catalog.reads;
  await expect(reconciler.reconcile({ keys: ['shop/web'], full: false })).resolves.toEqual({ done: true });
  expect(catalog.reads).toBe(reads); // diffed against the mirror, not read again
  // The new address is a new instance ID: registered, and the old one removed; api untouched.
  expect(catalog.writes.at(-1)?.map((op) => op.kind)).toEqual(['service', 'delete']);
  expect(JSON.stringify(catalog.writes.at(-1))).not.toMatch(/api/);
  expect(services()).toEqual(['api@10.0.0.2', 'web@10.0.0.9']);

  // Nothing changed: nothing is written.
  const writes = catalog.writes.length;
  await reconciler.reconcile({ keys: ['shop/api'], full: false });
  expect(catalog.writes).toHaveLength(writes);
});

test('a deleted Service is deregistered; instances we do not own are left alone', async () => {
  const { caches, catalog, reconciler, services } = setup();
  catalog.instances.set('legacy', {
    id: 'legacy',
    service: 'legacy',
    address: '10.99.0.5',
    port: 1,
    tags: [],
    meta: { 'external-source': 'terraform' },
  } as never);
  caches.services.set(loadBalancer('web', '10.0.0.1'));
  await reconciler.reconcile({ keys: [], full: true });
  caches.services.delete('shop', 'web');
  await reconciler.reconcile({ keys: ['shop/web'], full: false });
  expect(services()).toEqual(['legacy@10.99.0.5']);
});

test('a failed read or write asks for a full retry; the mirror is not trusted until it succeeds', async () => {
  const { caches, catalog, reconciler, services } = setup();
  caches.services.set(loadBalancer('web', '10.0.0.1'));
  catalog.failNext = 1;
  const failed = await reconciler.reconcile({ keys: [], full: true });
  expect(failed).toMatchObject({ done: false, retryFull: true });
  expect(reconciler.isReady()).toBe(false);
  expect(services()).toEqual([]);
  await reconciler.reconcile({ keys: [], full: true });
  catalog.failNext = 1; // now the write fails
  caches.services.set(loadBalancer('web', '10.0.0.2'));
  expect(await reconciler.reconcile({ keys: ['shop/web'], full: false })).toMatchObject({
    done: false,
    retryFull: true,
  });
  expect(await reconciler.reconcile({ keys: ['shop/web'], full: true })).toEqual({ done: true });
  expect(services()).toEqual(['web@10.0.0.2']);
});

test('a Service Consul refuses gets a Warning Event and a retry of its own; the others are written', async () => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
  const { caches, catalog, reconciler, requeued, warnings, services } = setup();
  catalog.denied.add('api');
  caches.services.set(loadBalancer('web', '10.0.0.1'));
  caches.services.set(loadBalancer('api', '10.0.0.2'));
  await expect(reconciler.reconcile({ keys: [], full: true })).resolves.toEqual({ done: true });
  expect(services()).toEqual(['web@10.0.0.1']);
  expect(reconciler.isReady()).toBe(true); // only some Services are refused
  expect(warnings).toEqual([expect.objectContaining({ name: 'api', reason: 'ConsulRegistrationRefused' })]);
  expect(warnings[0]?.message).toMatch(/lacks service:write on "api"/);
  // Held until its retry is due: a full pass leaves it out.
  const writes = catalog.writes.length;
  await reconciler.reconcile({ keys: [], full: true });
  expect(catalog.writes).toHaveLength(writes);
  jest.advanceTimersByTime(25);
  expect(requeued).toEqual(['shop/api']);
  catalog.denied.clear();
  await reconciler.reconcile({ keys: ['shop/api'], full: false });
  expect(services()).toEqual(['api@10.0.0.2', 'web@10.0.0.1']);
  reconciler.stop();
});

test("a node of another cluster's registrar is never written", async () => {
  const { caches, catalog, reconciler } = setup();
  catalog.node = {
    address: '127.0.0.1',
    meta: { 'external-source': 'kubernetes', 'external-k8s-cluster-id': 'west' },
  };
  caches.services.set(loadBalancer('web', '10.0.0.1'));
  const result = await reconciler.reconcile({ keys: [], full: true });
  expect(result).toMatchObject({ done: false });
  expect((result as { error: unknown }).error).toBeInstanceOf(NodeClaimedError);
  expect(catalog.writes).toEqual([]);
});

test('a standby writes nothing; on becoming leader its first pass is a full one', async () => {
  let leader = false;
  const { caches, catalog, reconciler, services } = setup({ isLeader: () => leader });
  caches.services.set(loadBalancer('web', '10.0.0.1'));
  expect(await reconciler.reconcile({ keys: ['shop/web'], full: true })).toEqual({ done: true });
  expect(catalog.reads).toBe(0);
  expect(reconciler.isReady()).toBe(true); // a standby is ready
  leader = true;
  await reconciler.reconcile({ keys: [], full: false }); // upgraded to a full pass
  expect(catalog.reads).toBe(1);
  expect(services()).toEqual(['web@10.0.0.1']);
});

test('every write is bounded by what is left of the lease, minus a safety margin, at most 15 s', async () => {
  let left = 5000;
  const { caches, catalog, reconciler } = setup({ leaseRemainingMs: () => left });
  const budgets: Array<boolean | number> = [];
  const apply = catalog.apply.bind(catalog);
  catalog.apply = (ops, mayWrite) => {
    budgets.push(mayWrite());
    return apply(ops, mayWrite);
  };
  caches.services.set(loadBalancer('web', '10.0.0.1'));
  await reconciler.reconcile({ keys: [], full: true });
  left = 60_000;
  caches.services.set(loadBalancer('web', '10.0.0.2'));
  await reconciler.reconcile({ keys: ['shop/web'], full: false });
  expect(budgets).toEqual([4000, 15_000]);
});

test('invalid annotations are reported on the Service once per change, and it is still registered', async () => {
  const { caches, reconciler, warnings, services } = setup();
  caches.services.set(loadBalancer('web', '10.0.0.1', { 'consul.hashicorp.com/service-weight': 'heavy' }));
  await reconciler.reconcile({ keys: [], full: true });
  expect(warnings).toEqual([expect.objectContaining({ name: 'web', reason: 'InvalidConsulAnnotations' })]);
  expect(services()).toEqual(['web@10.0.0.1']);
});
