/**
 * Contract of the Kubernetes API as our components use it, asserted through the real client
 * (@kubernetes/client-node 1.4.0). Runs against the in-process double by default; against a real
 * cluster when KUBECONFIG is set and K8S_CONTRACT_REAL=1 (see test/support/kube/README.md). Tests
 * that need the double's controls (faults, forced bookmarks, auth) are left out in that mode.
 */
import { randomBytes } from 'node:crypto';
import {
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  makeInformer,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  Watch,
  type KubernetesObject,
  type V1HTTPIngressPath,
  type V1IngressRule,
  type V1Service,
} from '@kubernetes/client-node';
import { kubeErrorStatus, loadKubeConfig } from '../../core/kube';
import { KubeDouble } from '../support/kube';
import { eventually } from '../support/wait';

const REAL_CLUSTER = process.env.K8S_CONTRACT_REAL === '1' && Boolean(process.env.KUBECONFIG);
/**
 * Tests that drive the double's fault controls; a real cluster cannot be told to misbehave, so
 * against one they are not declared at all (the real tier runs with zero skipped tests).
 */
const testNeedingDoubleControls: jest.It = REAL_CLUSTER ? Object.assign(() => undefined, test) : test;

let double: KubeDouble | undefined;
let kc: KubeConfig;
let core: CoreV1Api;
let discovery: DiscoveryV1Api;
let coordination: CoordinationV1Api;
let networking: NetworkingV1Api;
const namespace = `contract-${randomBytes(4).toString('hex')}`;
const testNodes: string[] = [];

beforeAll(async () => {
  if (REAL_CLUSTER) {
    kc = loadKubeConfig();
  } else {
    double = await KubeDouble.start({ tls: true });
    kc = double.kubeConfig();
  }
  core = kc.makeApiClient(CoreV1Api);
  discovery = kc.makeApiClient(DiscoveryV1Api);
  coordination = kc.makeApiClient(CoordinationV1Api);
  networking = kc.makeApiClient(NetworkingV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  for (const name of testNodes) await core.deleteNode({ name }).catch(() => undefined);
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await double?.close();
});

function service(name: string, labels: Record<string, string> = {}): V1Service {
  return { metadata: { name, labels }, spec: { ports: [{ name: 'http', port: 80 }] } };
}

async function createService(name: string, labels: Record<string, string> = {}): Promise<V1Service> {
  return core.createNamespacedService({ namespace, body: service(name, labels) });
}

async function failure(promise: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    const code = kubeErrorStatus(error)?.code;
    if (code === undefined) throw error;
    return { code, body: JSON.parse(String((error as { body: unknown }).body)) as Record<string, unknown> };
  }
  throw new Error('expected the request to fail');
}

/** Polling bounds: the double answers in milliseconds, a real cluster in a few. */
const PACE = { timeoutMs: REAL_CLUSTER ? 20_000 : 5_000 };

const names = (items: readonly KubernetesObject[]): string[] =>
  items.map((i) => i.metadata?.name ?? '').sort();

describe('objects', () => {
  test('create answers 201 with server fields; list carries metadata.resourceVersion', async () => {
    const created = await createService('basic');
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.spec?.clusterIP).toBeTruthy();
    expect(created.spec?.type).toBe('ClusterIP');
    expect(created.spec?.ports?.[0]?.protocol).toBe('TCP');
    const list = await core.listNamespacedService({ namespace });
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(names(list.items)).toContain('basic');
    const everywhere = await core.listServiceForAllNamespaces({
      fieldSelector: `metadata.namespace=${namespace}`,
    });
    expect(names(everywhere.items)).toContain('basic');
  });

  test('get of a missing object: 404 with a Status body', async () => {
    const { code, body } = await failure(core.readNamespacedService({ namespace, name: 'absent' }));
    expect(code).toBe(404);
    expect(body).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'services "absent" not found',
      details: { name: 'absent', kind: 'services' },
    });
    const lease = await failure(coordination.readNamespacedLease({ namespace, name: 'absent' }));
    expect(lease.body).toMatchObject({
      reason: 'NotFound',
      details: { name: 'absent', group: 'coordination.k8s.io', kind: 'leases' },
    });
  });

  test('create of an existing name: 409 AlreadyExists', async () => {
    await createService('twice');
    const { code, body } = await failure(createService('twice'));
    expect(code).toBe(409);
    expect(body).toMatchObject({
      kind: 'Status',
      reason: 'AlreadyExists',
      code: 409,
      details: { name: 'twice', kind: 'services' },
    });
  });

  test('update with a stale resourceVersion: 409 Conflict; with the current one it succeeds', async () => {
    const created = await createService('cas');
    const first = await core.replaceNamespacedService({
      namespace,
      name: 'cas',
      body: { ...created, metadata: { ...created.metadata, labels: { step: 'one' } } },
    });
    expect(Number(first.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );
    const stale = await failure(
      core.replaceNamespacedService({
        namespace,
        name: 'cas',
        body: { ...created, metadata: { ...created.metadata, labels: { step: 'two' } } },
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.body).toMatchObject({
      reason: 'Conflict',
      code: 409,
      details: { name: 'cas', kind: 'services' },
    });
    expect(String(stale.body.message)).toContain('the object has been modified');
    expect(first.spec?.clusterIP).toBe(created.spec?.clusterIP);
  });

  test('patch: JSON patch (client default), merge patch and strategic merge patch', async () => {
    await createService('patched');
    const json = await core.patchNamespacedService({
      namespace,
      name: 'patched',
      body: [{ op: 'add', path: '/metadata/labels', value: { a: '1' } }],
    });
    expect(json.metadata?.labels).toEqual({ a: '1' });
    const merge = await core.patchNamespacedService(
      { namespace, name: 'patched', body: { metadata: { labels: { a: null, b: '2' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merge.metadata?.labels).toEqual({ b: '2' });
    const strategic = await core.patchNamespacedService(
      { namespace, name: 'patched', body: { spec: { ports: [{ name: 'https', port: 443 }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(strategic.spec?.ports?.map((p) => p.port).sort()).toEqual([443, 80]);
  });

  test('delete answers the object; a second delete is 404', async () => {
    await createService('doomed');
    await core.deleteNamespacedService({ namespace, name: 'doomed' });
    expect((await failure(core.deleteNamespacedService({ namespace, name: 'doomed' }))).code).toBe(404);
  });

  test('cluster-scoped objects (Nodes) live outside namespaces', async () => {
    const name = `contract-node-${randomBytes(3).toString('hex')}`;
    testNodes.push(name);
    await core.createNode({ body: { metadata: { name, labels: { 'contract-test': namespace } } } });
    const node = await core.readNode({ name });
    expect(node.metadata?.namespace).toBeUndefined();
    const listed = await core.listNode({ labelSelector: `contract-test=${namespace}` });
    expect(names(listed.items)).toEqual([name]);
  });
});

describe('selectors', () => {
  beforeAll(async () => {
    await createService('sel-a', { app: 'web', tier: 'front' });
    await createService('sel-b', { app: 'api', tier: 'back' });
    await createService('sel-c', { app: 'db' });
  });

  const select = async (labelSelector?: string, fieldSelector?: string): Promise<string[]> =>
    names((await core.listNamespacedService({ namespace, labelSelector, fieldSelector })).items).filter((n) =>
      n.startsWith('sel-'),
    );

  test('label selectors: equality, inequality, existence, absence, set membership', async () => {
    expect(await select('app=web')).toEqual(['sel-a']);
    expect(await select('app==api')).toEqual(['sel-b']);
    expect(await select('app!=web')).toEqual(['sel-b', 'sel-c']);
    expect(await select('tier')).toEqual(['sel-a', 'sel-b']);
    expect(await select('!tier')).toEqual(['sel-c']);
    expect(await select('app in (web,db)')).toEqual(['sel-a', 'sel-c']);
    expect(await select('app notin (web,db),tier')).toEqual(['sel-b']);
  });

  test('field selectors: metadata.name and metadata.namespace', async () => {
    expect(await select(undefined, 'metadata.name=sel-b')).toEqual(['sel-b']);
    expect(await select(undefined, `metadata.namespace=${namespace},metadata.name!=sel-b`)).toEqual([
      'sel-a',
      'sel-c',
    ]);
    const { code, body } = await failure(
      core.listNamespacedService({ namespace, fieldSelector: 'spec.nonsense=1' }),
    );
    expect(code).toBe(400);
    expect(body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });

  test('EndpointSlices by service-name label', async () => {
    const slice = (name: string, serviceName: string) => ({
      metadata: { name, labels: { 'kubernetes.io/service-name': serviceName } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    await discovery.createNamespacedEndpointSlice({ namespace, body: slice('sel-a-x1', 'sel-a') });
    await discovery.createNamespacedEndpointSlice({ namespace, body: slice('sel-b-x1', 'sel-b') });
    const list = await discovery.listNamespacedEndpointSlice({
      namespace,
      labelSelector: 'kubernetes.io/service-name=sel-a',
    });
    expect(names(list.items)).toEqual(['sel-a-x1']);
    expect(list.items[0]?.endpoints[0]?.addresses).toEqual(['10.0.0.1']);
    const all = await discovery.listEndpointSliceForAllNamespaces({
      labelSelector: 'kubernetes.io/service-name in (sel-a,sel-b)',
    });
    expect(names(all.items)).toEqual(['sel-a-x1', 'sel-b-x1']);
  });
});

describe('Leases and Events', () => {
  test('Lease compare-and-swap on resourceVersion with MicroTime timestamps', async () => {
    const now = new V1MicroTime();
    const created = await coordination.createNamespacedLease({
      namespace,
      body: {
        metadata: { name: 'leader' },
        spec: {
          holderIdentity: 'a',
          leaseDurationSeconds: 15,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: 0,
        },
      },
    });
    const renewed = await coordination.replaceNamespacedLease({
      namespace,
      name: 'leader',
      body: { ...created, spec: { ...created.spec, renewTime: new V1MicroTime() } },
    });
    expect(renewed.spec?.holderIdentity).toBe('a');
    // MicroTime comes back as a string with six fractional digits.
    expect(String(renewed.spec?.renewTime)).toMatch(/\.\d{6}Z$/);
    const lost = await failure(
      coordination.replaceNamespacedLease({
        namespace,
        name: 'leader',
        body: { ...created, spec: { ...created.spec, holderIdentity: 'b' } },
      }),
    );
    expect(lost.code).toBe(409);
    expect(lost.body).toMatchObject({
      reason: 'Conflict',
      details: { name: 'leader', group: 'coordination.k8s.io', kind: 'leases' },
    });
  });

  test('a Lease with a plain Date (millisecond precision) is rejected', async () => {
    const when = new Date();
    const { code } = await failure(
      coordination.createNamespacedLease({
        namespace,
        body: { metadata: { name: 'plain-date' }, spec: { holderIdentity: 'a', renewTime: when } },
      }),
    );
    expect(code).toBe(400);
  });

  test('Events: create and list by involved object', async () => {
    await core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name: `sel-a.${Date.now().toString(16)}`, namespace },
        involvedObject: { kind: 'Service', apiVersion: 'v1', namespace, name: 'sel-a' },
        type: 'Warning',
        reason: 'InvalidAnnotation',
        message: 'consul.hashicorp.com/service-port: "x" names no port',
        count: 1,
        firstTimestamp: new Date(),
        lastTimestamp: new Date(),
        source: { component: 'contract-test' },
      },
    });
    const list = await core.listNamespacedEvent({
      namespace,
      fieldSelector: 'involvedObject.name=sel-a,reason=InvalidAnnotation',
    });
    expect(list.items.map((e) => [e.type, e.involvedObject.name])).toEqual([['Warning', 'sel-a']]);
  });
});

describe('Ingresses (networking.k8s.io/v1)', () => {
  /** A rule routing `/` to web; `pathType` undefined leaves it out (the API requires it). */
  const rule = (pathType: string | undefined): V1IngressRule => ({
    host: 'web.example.com',
    http: {
      paths: [
        {
          path: '/',
          backend: { service: { name: 'web', port: { number: 80 } } },
          ...(pathType ? { pathType } : {}),
        } as V1HTTPIngressPath,
      ],
    },
  });

  test('create keeps rules and TLS hosts, with an empty load-balancer status; status is its own subresource', async () => {
    const created = await networking.createNamespacedIngress({
      namespace,
      body: {
        metadata: { name: 'site' },
        spec: { rules: [rule('Prefix')], tls: [{ hosts: ['web.example.com'] }] },
      },
    });
    expect(created.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name).toBe('web');
    expect(created.spec?.tls?.[0]?.hosts).toEqual(['web.example.com']);
    expect(created.status).toEqual({ loadBalancer: {} });
    const withIp = await networking.replaceNamespacedIngressStatus({
      namespace,
      name: 'site',
      body: { ...created, status: { loadBalancer: { ingress: [{ ip: '34.1.2.3' }] } } },
    });
    expect(withIp.status?.loadBalancer?.ingress?.[0]?.ip).toBe('34.1.2.3');
    const list = await networking.listNamespacedIngress({ namespace });
    expect(list.items.map((i) => i.status?.loadBalancer?.ingress?.[0]?.ip)).toEqual(['34.1.2.3']);
  });

  test('a path without pathType is refused: 422 Invalid naming the field', async () => {
    const { code, body } = await failure(
      networking.createNamespacedIngress({
        namespace,
        body: { metadata: { name: 'no-type' }, spec: { rules: [rule(undefined)] } },
      }),
    );
    expect(code).toBe(422);
    expect(body.reason).toBe('Invalid');
    expect(JSON.stringify(body.details)).toContain('spec.rules[0].http.paths[0].pathType');
  });
});

describe('watch', () => {
  type Seen = { type: string; name: string; rv: string };
  async function openWatch(
    path: string,
    params: Record<string, string | number | boolean | undefined>,
    seen: Seen[],
    done: { error?: unknown; ended: boolean },
  ): Promise<AbortController> {
    return new Watch(kc).watch(
      path,
      params,
      (type, obj: KubernetesObject) =>
        seen.push({ type, name: obj.metadata?.name ?? '', rv: obj.metadata?.resourceVersion ?? '' }),
      (err) => {
        done.ended = true;
        done.error = err;
      },
    );
  }

  test('from a list resourceVersion: ADDED, MODIFIED, DELETED in order, with growing resourceVersions', async () => {
    const list = await core.listNamespacedService({ namespace, labelSelector: 'watch=one' });
    const seen: Seen[] = [];
    const done = { ended: false };
    const controller = await openWatch(
      `/api/v1/namespaces/${namespace}/services`,
      { resourceVersion: list.metadata?.resourceVersion, labelSelector: 'watch=one' },
      seen,
      done,
    );
    await createService('w1', { watch: 'one' });
    await core.patchNamespacedService({
      namespace,
      name: 'w1',
      body: [{ op: 'add', path: '/metadata/annotations', value: { x: 'y' } }],
    });
    await core.deleteNamespacedService({ namespace, name: 'w1' });
    await eventually(() => seen.length >= 3, { ...PACE, what: 'three watch events' });
    controller.abort();
    expect(seen.map((s) => `${s.type} ${s.name}`)).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
    const rvs = seen.map((s) => Number(s.rv));
    expect(rvs[1]).toBeGreaterThan(rvs[0] ?? Infinity);
    expect(rvs[2]).toBeGreaterThan(rvs[1] ?? Infinity); // the deletion has its own resourceVersion
  });

  test('without resourceVersion: synthetic ADDED for existing objects first', async () => {
    await createService('pre-existing', { watch: 'two' });
    const seen: Seen[] = [];
    const controller = await openWatch(
      `/api/v1/namespaces/${namespace}/services`,
      { labelSelector: 'watch=two' },
      seen,
      { ended: false },
    );
    await eventually(() => seen.length >= 1, { ...PACE, what: 'the initial ADDED' });
    controller.abort();
    expect(seen.map((s) => `${s.type} ${s.name}`)).toEqual(['ADDED pre-existing']);
  });

  test('an object leaving the label selector arrives as DELETED, entering as ADDED', async () => {
    await createService('mover', { watch: 'three' });
    const list = await core.listNamespacedService({ namespace, labelSelector: 'watch=three' });
    const seen: Seen[] = [];
    const controller = await openWatch(
      `/api/v1/namespaces/${namespace}/services`,
      { resourceVersion: list.metadata?.resourceVersion, labelSelector: 'watch=three' },
      seen,
      { ended: false },
    );
    const setLabel = (value: string) =>
      core.patchNamespacedService(
        { namespace, name: 'mover', body: { metadata: { labels: { watch: value } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await setLabel('elsewhere');
    await setLabel('three');
    await eventually(() => seen.length >= 2, { ...PACE, what: 'leave and enter' });
    controller.abort();
    expect(seen.map((s) => s.type)).toEqual(['DELETED', 'ADDED']);
  });

  test('timeoutSeconds ends the stream cleanly', async () => {
    const done: { error?: unknown; ended: boolean } = { ended: false };
    await openWatch(
      `/api/v1/namespaces/${namespace}/services`,
      {
        resourceVersion: (await core.listNamespacedService({ namespace })).metadata?.resourceVersion,
        timeoutSeconds: 1,
      },
      [],
      done,
    );
    await eventually(() => done.ended, { timeoutMs: 10_000, what: 'the watch to end' });
    expect(done.error ?? null).toBeNull();
  });

  // Needs the double's expireHistory: a fresh real API server still retains resourceVersion 1 and
  // replays from it (seen on kube-apiserver 1.36); only a long-running cluster has compacted it.
  testNeedingDoubleControls(
    'a resourceVersion older than the retained history: ERROR 410 Expired, then the stream ends',
    async () => {
      double?.expireHistory();
      const events: Array<{ type: string; object: Record<string, unknown> }> = [];
      const done: { error?: unknown; ended: boolean } = { ended: false };
      await new Watch(kc).watch(
        `/api/v1/namespaces/${namespace}/services`,
        { resourceVersion: '1' },
        (type, object: Record<string, unknown>) => events.push({ type, object }),
        (err) => Object.assign(done, { ended: true, error: err }),
      );
      await eventually(() => done.ended, { ...PACE, what: 'the stream to end' });
      expect(events).toHaveLength(1);
      expect(events[0]?.type).toBe('ERROR');
      expect(events[0]?.object).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Expired',
        code: 410,
      });
    },
  );

  testNeedingDoubleControls(
    'BOOKMARK events only with allowWatchBookmarks, carrying just the resourceVersion',
    async () => {
      const rv = (await core.listNamespacedService({ namespace })).metadata?.resourceVersion;
      const withBookmarks: Array<{ type: string; object: KubernetesObject }> = [];
      const without: Array<{ type: string; object: KubernetesObject }> = [];
      const path = `/api/v1/namespaces/${namespace}/services`;
      const a = await new Watch(kc).watch(
        path,
        { resourceVersion: rv, allowWatchBookmarks: true },
        (type, object: KubernetesObject) => withBookmarks.push({ type, object }),
        () => undefined,
      );
      const b = await new Watch(kc).watch(
        path,
        { resourceVersion: rv },
        (type, object: KubernetesObject) => without.push({ type, object }),
        () => undefined,
      );
      await createService('bookmarked'); // proves both streams are open before asking for bookmarks
      await eventually(() => withBookmarks.length >= 1 && without.length >= 1, {
        ...PACE,
        what: 'both watches to see the object',
      });
      await core.createNamespace({ body: { metadata: { name: `${namespace}-other` } } }); // moves the rv, not these watches
      double?.sendBookmarks();
      await eventually(() => withBookmarks.length >= 2, { ...PACE, what: 'a bookmark' });
      a.abort();
      b.abort();
      expect(withBookmarks.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
      expect(withBookmarks[1]?.object).toEqual({
        kind: 'Service',
        apiVersion: 'v1',
        metadata: { resourceVersion: double?.resourceVersion() },
      });
      expect(without.map((e) => e.type)).toEqual(['ADDED']);
      await core.deleteNamespace({ name: `${namespace}-other` });
    },
  );
});

describe('informer (makeInformer)', () => {
  const path = `/api/v1/namespaces/${namespace}/services`;

  function startInformer(labelSelector: string) {
    const informer = makeInformer<V1Service>(
      kc,
      path,
      () => core.listNamespacedService({ namespace, labelSelector }),
      labelSelector,
    );
    const events: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (o) => events.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => events.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => events.push(`delete ${o.metadata?.name}`));
    informer.on('error', (e) => errors.push(e));
    return { informer, events, errors };
  }

  async function seed(group: string): Promise<void> {
    for (const name of ['a', 'b', 'c']) await createService(`${group}-${name}`, { group });
  }

  async function churn(group: string): Promise<void> {
    await core.deleteNamespacedService({ namespace, name: `${group}-a` });
    await core.patchNamespacedService({
      namespace,
      name: `${group}-b`,
      body: [{ op: 'add', path: '/metadata/annotations', value: { v: '2' } }],
    });
    await createService(`${group}-d`, { group });
  }

  test('lists, then follows live changes', async () => {
    await seed('live');
    const { informer, events } = startInformer('group=live');
    await informer.start();
    expect(events.sort()).toEqual(['add live-a', 'add live-b', 'add live-c']);
    events.length = 0;
    await churn('live');
    await eventually(() => events.length >= 3, { ...PACE, what: 'three live events' });
    await informer.stop();
    expect(events).toEqual(['delete live-a', 'update live-b', 'add live-d']);
    expect(names(informer.list())).toEqual(['live-b', 'live-c', 'live-d']);
  });

  testNeedingDoubleControls(
    'survives a dropped watch: resumes from its resourceVersion without missing changes',
    async () => {
      await seed('drop');
      const { informer, events, errors } = startInformer('group=drop');
      await informer.start();
      events.length = 0;
      double?.pauseWatches(); // cut the stream; the informer's re-watch is held
      await eventually(() => (double?.heldWatchCount ?? 0) === 1, {
        ...PACE,
        what: 'the informer to re-watch',
      });
      await churn('drop');
      const listsBefore = double?.requests.filter((r) => r.verb === 'list').length;
      double?.resumeWatches();
      await eventually(() => events.length >= 3, { ...PACE, what: 'the missed changes' });
      await eventually(() => (double?.watchCount ?? 0) >= 1, { ...PACE, what: 'the new watch' });
      await informer.stop();
      expect(events).toEqual(['delete drop-a', 'update drop-b', 'add drop-d']);
      expect(double?.requests.filter((r) => r.verb === 'list').length).toBe(listsBefore); // no relist needed
      expect(errors).toHaveLength(1); // only the abort of its own watch on stop()
      expect(names(informer.list())).toEqual(['drop-b', 'drop-c', 'drop-d']);
    },
  );

  testNeedingDoubleControls(
    'survives 410 Expired: relists and reports the differences as delete/update/add',
    async () => {
      await seed('gone');
      const { informer, events } = startInformer('group=gone');
      await informer.start();
      events.length = 0;
      double?.pauseWatches();
      await eventually(() => (double?.heldWatchCount ?? 0) === 1, {
        ...PACE,
        what: 'the informer to re-watch',
      });
      await churn('gone');
      double?.expireHistory();
      const listsBefore = double?.requests.filter((r) => r.verb === 'list').length ?? 0;
      double?.resumeWatches();
      await eventually(() => events.length >= 3, { ...PACE, what: 'the relist differences' });
      await eventually(() => (double?.watchCount ?? 0) >= 1, { ...PACE, what: 'the new watch' });
      await informer.stop();
      expect(events.sort()).toEqual(['add gone-d', 'delete gone-a', 'update gone-b']); // gone-c unchanged: no event
      expect(double?.requests.filter((r) => r.verb === 'list').length).toBe(listsBefore + 1);
      expect(names(informer.list())).toEqual(['gone-b', 'gone-c', 'gone-d']);
    },
  );
});

describe('faults and auth (double only)', () => {
  testNeedingDoubleControls('injected 500 and 429 answer Status bodies (429 with Retry-After)', async () => {
    const onlyLists = { match: (r: { verb: string }) => r.verb === 'list' };
    double?.failNext(1, { status: 500, ...onlyLists });
    const internal = await failure(core.listNamespacedService({ namespace }));
    expect(internal.code).toBe(500);
    expect(internal.body).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 });
    double?.failNext(1, { status: 429, retryAfterSeconds: 3, ...onlyLists });
    try {
      await core.listNamespacedService({ namespace });
      throw new Error('expected 429');
    } catch (error) {
      const e = error as { code: number; headers: Record<string, string> };
      expect(e.code).toBe(429);
      expect(e.headers['retry-after']).toBe('3');
    }
    await expect(core.listNamespacedService({ namespace })).resolves.toBeDefined();
  });

  testNeedingDoubleControls('a wrong bearer token: 401 Unauthorized', async () => {
    const wrong = new KubeConfig();
    wrong.loadFromClusterAndUser(
      { name: 'c', server: double?.url ?? '', skipTLSVerify: true },
      { name: 'u', token: 'not-the-token' },
    );
    // client-node drops the body of a 401; the code is what callers can act on.
    await expect(wrong.makeApiClient(CoreV1Api).listNamespacedService({ namespace })).rejects.toMatchObject({
      code: 401,
    });
  });

  testNeedingDoubleControls('writes into a missing namespace: 404', async () => {
    const { code } = await failure(
      core.createNamespacedService({ namespace: 'no-such-namespace', body: service('x') }),
    );
    expect(code).toBe(404);
  });
});
