import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import { KubeDouble } from '../../test/support/kube';
import { eventually } from '../../test/support/wait';
import { KubeInformer, objectKey } from './informer';

let double: KubeDouble;
let core: CoreV1Api;

beforeAll(async () => {
  double = await KubeDouble.start();
  core = double.kubeConfig().makeApiClient(CoreV1Api);
});
afterAll(() => double.close());
const informers: Array<KubeInformer<V1Service>> = [];
afterEach(async () => {
  double.setLatency(0);
  double.resumeWatches();
  await Promise.all(informers.splice(0).map((informer) => informer.stop()));
});

const svc = (namespace: string, name: string, labels: Record<string, string> = {}): V1Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace, labels },
  spec: { ports: [{ port: 80 }] },
});

function servicesInformer(namespace: string, errors: unknown[] = [], pageSize?: number) {
  const informer = new KubeInformer<V1Service>(double.kubeConfig(), {
    path: `/api/v1/namespaces/${namespace}/services`,
    list: (page) => core.listNamespacedService({ namespace, ...page }),
    ...(pageSize ? { pageSize } : {}),
    backoff: { initialMs: 5, maxMs: 20 },
    hooks: { onError: (error) => errors.push(error) },
  });
  informers.push(informer);
  const keys: string[] = [];
  informer.onChange((key) => keys.push(key));
  return { informer, keys, errors };
}

test('objectKey: namespace/name, or name for cluster-scoped objects', () => {
  expect(objectKey('shop', 'web')).toBe('shop/web');
  expect(objectKey(undefined, 'node-1')).toBe('node-1');
});

test('syncs, serves the cache and reports changed keys (level-based)', async () => {
  double.create(svc('live', 'web'));
  const { informer, keys } = servicesInformer('live');
  expect(informer.hasSynced()).toBe(false);
  await informer.start();
  await informer.waitForSync();
  expect(informer.hasSynced()).toBe(true);
  expect(informer.get('live', 'web')?.metadata?.name).toBe('web');
  expect(keys).toEqual(['live/web']);
  double.create(svc('live', 'api'));
  double.apply(svc('live', 'web', { changed: 'yes' }));
  double.delete('services', 'live', 'api');
  await eventually(() => keys.length >= 4, { what: 'three changes' });
  expect(keys).toEqual(['live/web', 'live/api', 'live/web', 'live/api']);
  expect(informer.get('live', 'api')).toBeUndefined();
  expect(informer.list().map((s) => s.metadata?.labels)).toEqual([{ changed: 'yes' }]);
  await informer.stop();
});

test('transform shapes every cached object, from the list and from watch events', async () => {
  double.create(svc('shaped', 'web', { keep: 'no' }));
  const seen: string[] = [];
  const informer = new KubeInformer<V1Service>(double.kubeConfig(), {
    path: '/api/v1/namespaces/shaped/services',
    list: (page) => core.listNamespacedService({ namespace: 'shaped', ...page }),
    transform: (service) => {
      seen.push(service.metadata?.name ?? '');
      const { labels: _labels, ...metadata } = service.metadata ?? {};
      return { metadata };
    },
  });
  informers.push(informer);
  await informer.start();
  await informer.waitForSync();
  double.create(svc('shaped', 'api', { keep: 'no' }));
  await eventually(() => informer.get('shaped', 'api') !== undefined, { what: 'the watched object' });
  double.apply(svc('shaped', 'web', { keep: 'still no' }));
  await eventually(() => seen.length >= 3, { what: 'the update' });
  expect(seen).toEqual(['web', 'api', 'web']);
  for (const name of ['web', 'api']) {
    const cached = informer.get('shaped', name);
    expect(cached?.metadata?.name).toBe(name);
    expect(cached?.metadata?.resourceVersion).toBeDefined();
    expect(cached?.metadata?.labels).toBeUndefined();
    expect(cached?.spec).toBeUndefined();
  }
});

const listsOf = (namespace: string) =>
  double.requests.filter((r) => r.verb === 'list' && r.path.includes(`/namespaces/${namespace}/`)).length;

test('lists in chunks, and the watch starts where the chunked list ended', async () => {
  for (let i = 0; i < 7; i++) double.create(svc('chunked', `s${i}`));
  const { informer, keys } = servicesInformer('chunked', [], 3);
  await informer.start();
  await informer.waitForSync();
  expect(listsOf('chunked')).toBe(3);
  expect(informer.list().map((s) => s.metadata?.name)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
  double.create(svc('chunked', 'late'));
  await eventually(() => informer.get('chunked', 'late') !== undefined, { what: 'the watched object' });
  expect(keys).toHaveLength(8);
});

test('an expired continue token (410): one whole list instead, nothing lost', async () => {
  for (let i = 0; i < 5; i++) double.create(svc('expiring', `s${i}`));
  let lists = 0;
  double.failNext(1, {
    status: 410,
    match: (r) => r.verb === 'list' && r.path.includes('/expiring/') && lists++ === 1,
  });
  const errors: unknown[] = [];
  const { informer } = servicesInformer('expiring', errors, 2);
  await informer.start();
  await informer.waitForSync();
  expect(errors).toEqual([]);
  expect(listsOf('expiring')).toBe(3);
  expect(informer.list()).toHaveLength(5);
});

test('a failing list is retried with backoff until the cache syncs', async () => {
  double.create(svc('flaky', 'web'));
  double.failNext(2, { status: 500, match: (r) => r.verb === 'list' && r.path.includes('/flaky/') });
  const { informer, errors } = servicesInformer('flaky');
  const synced = informer.waitForSync();
  await informer.start();
  expect(informer.hasSynced()).toBe(false);
  await synced;
  expect(errors).toHaveLength(2);
  expect(informer.get('flaky', 'web')).toBeDefined();
  await informer.stop();
});

test('a list that works followed by a failing watch: synced, and the watch is retried', async () => {
  double.create(svc('watchfail', 'web'));
  double.failNext(1, { status: 500, match: (r) => r.verb === 'watch' && r.path.includes('/watchfail/') });
  const { informer, keys, errors } = servicesInformer('watchfail');
  await informer.start();
  expect(informer.hasSynced()).toBe(true);
  expect(errors).toHaveLength(1);
  double.create(svc('watchfail', 'later'));
  await eventually(() => keys.includes('watchfail/later'), { what: 'the change through the retried watch' });
});

test('a reset watch connection (client-node stops on it) is restarted, without a relist', async () => {
  const { informer, keys, errors } = servicesInformer('reset');
  await informer.start();
  await eventually(() => double.requests.some((r) => r.verb === 'watch' && r.path.includes('/reset/')), {
    what: 'the watch',
  });
  const lists = double.requests.filter((r) => r.verb === 'list' && r.path.includes('/reset/')).length;
  double.dropWatches({ abrupt: true });
  double.create(svc('reset', 'after-reset'));
  await eventually(() => keys.includes('reset/after-reset'), { what: 'the change after the reset' });
  expect(errors.length).toBeGreaterThanOrEqual(1);
  expect(double.requests.filter((r) => r.verb === 'list' && r.path.includes('/reset/')).length).toBe(lists);
  await informer.stop();
});

test('410 Expired while disconnected: relist, and every difference reported', async () => {
  for (const name of ['a', 'b', 'c']) double.create(svc('expiry', name));
  const { informer, keys } = servicesInformer('expiry');
  await informer.start();
  keys.length = 0;
  double.pauseWatches();
  await eventually(() => double.heldWatchCount === 1, { what: 'the re-watch to be held' });
  double.delete('services', 'expiry', 'a');
  double.apply(svc('expiry', 'b', { v: '2' }));
  double.create(svc('expiry', 'd'));
  double.expireHistory();
  double.resumeWatches();
  await eventually(() => keys.length >= 3, { what: 'three changes' });
  expect(keys.sort()).toEqual(['expiry/a', 'expiry/b', 'expiry/d']);
  expect(
    informer
      .list()
      .map((s) => s.metadata?.name)
      .sort(),
  ).toEqual(['b', 'c', 'd']);
  await informer.stop();
});

test('stop() during a list: no watch afterwards, no restart, no error reported', async () => {
  const { informer, keys, errors } = servicesInformer('stopping');
  double.setLatency(100);
  const started = informer.start();
  await informer.stop();
  await started; // the delayed list answers after stop()
  double.setLatency(0);
  double.create(svc('stopping', 'late'));
  expect(double.requests.filter((r) => r.verb === 'watch' && r.path.includes('/stopping/'))).toEqual([]);
  expect(errors).toEqual([]);
  expect(keys).toEqual([]);
  expect(informer.hasSynced()).toBe(false);
});

test('stop() then start() resumes', async () => {
  const { informer, keys } = servicesInformer('again');
  await informer.start();
  await informer.stop();
  await informer.start();
  double.create(svc('again', 'web'));
  await eventually(() => keys.includes('again/web'), { what: 'the change' });
  await informer.stop();
});
