/** applyOps against the Consul double through the real client. */
import { consulConfigFromEnv, createConsulClient, type ConsulClient } from '../core/consul';
import { NamespaceCreator } from '../core/consul/namespaces';
import { type ConsulDouble, startConsulDouble } from '../test/support/consul';
import { applyOps } from './apply';
import { desiredNode, type Instance } from './catalog';
import type { Op } from './diff';

const NODE = 'k8s-sync-east';
let consul: ConsulDouble;
let client: ConsulClient;

beforeAll(async () => {
  consul = await startConsulDouble();
  client = createConsulClient(consulConfigFromEnv(consul.env(), {}, () => ''));
});
afterAll(async () => {
  await consul.stop();
});
beforeEach(() => {
  consul.seed.clear();
  consul.requests.clear();
  consul.faults.clear();
});

const meta = { 'external-source': 'kubernetes', 'external-k8s-cluster-id': 'east' };
function instance(id: string, extra: Partial<Instance> = {}): Instance {
  return { id, service: 'web', address: '10.0.0.1', port: 80, tags: ['k8s'], meta, ...extra };
}
const nodeOp: Op = { kind: 'node', node: desiredNode(NODE, 'east') };
const serviceOp = (i: Instance): Op => ({ kind: 'service', instance: i });

describe('applyOps', () => {
  test('writes everything in transactions of at most 64 operations, in order', async () => {
    const ops: Op[] = [nodeOp];
    for (let i = 0; i < 100; i++) {
      const inst = instance(`web-${i}`, {
        check: { id: `default/web-${i}`, status: i % 2 ? 'passing' : 'critical', output: 'x' },
      });
      ops.push(serviceOp(inst), {
        kind: 'check',
        instance: inst as Instance & { check: NonNullable<Instance['check']> },
      });
    }
    const outcome = await applyOps(ops, { consul: client, nodeName: NODE });
    expect(outcome).toMatchObject({ transactions: 4, singleCalls: 0, rejected: [] });
    expect(outcome.applied).toHaveLength(201);
    expect(consul.requests.writes().map((w) => w.path)).toEqual(['/v1/txn', '/v1/txn', '/v1/txn', '/v1/txn']);
    expect(consul.state.services.get(NODE)?.size).toBe(100);
    expect(consul.state.checks.get(NODE)?.get('default/web-1')).toMatchObject({
      Status: 'passing',
      Type: 'kubernetes-readiness',
      ServiceID: 'web-1',
    });
  });

  test('an operation Consul names as invalid is dropped with its siblings; the rest is written', async () => {
    const bad = instance('bad', {
      meta: { ...meta, 'not valid!': 'x' },
      check: { id: 'default/bad', status: 'passing', output: '' },
    });
    const ops: Op[] = [
      nodeOp,
      serviceOp(instance('good')),
      serviceOp(bad),
      { kind: 'check', instance: bad as Instance & { check: NonNullable<Instance['check']> } },
    ];
    const outcome = await applyOps(ops, { consul: client, nodeName: NODE });
    expect(outcome.rejected.map((r) => r.op.kind)).toEqual(['service', 'check']);
    expect(outcome.rejected[0]?.reason).toMatch(/meta/i);
    expect([...(consul.state.services.get(NODE)?.keys() ?? [])]).toEqual(['good']);
  });

  test('a transaction refused as a whole falls back to single calls for that batch', async () => {
    const ops: Op[] = [nodeOp, ...Array.from({ length: 69 }, (_, i) => serviceOp(instance(`web-${i}`)))];
    // Ask for 70 ops per transaction: the double refuses it (over its op limit) without naming an op.
    const outcome = await applyOps(ops, { consul: client, nodeName: NODE, maxOpsPerTxn: 70 });
    expect(outcome.transactions).toBe(0);
    expect(outcome.singleCalls).toBe(70);
    expect(consul.state.services.get(NODE)?.size).toBe(69);
  });

  test('transient and ACL errors stop the pass and are returned, with what was already written', async () => {
    const ops: Op[] = [nodeOp, ...Array.from({ length: 99 }, (_, i) => serviceOp(instance(`web-${i}`)))];
    let seen = 0;
    consul.faults.failNext(1, { match: (r) => r.path === '/v1/txn' && ++seen === 2 });
    const outcome = await applyOps(ops, { consul: client, nodeName: NODE });
    expect(outcome.error?.kind).toBe('transient');
    expect(outcome.applied).toHaveLength(64);
    expect(consul.state.services.get(NODE)?.size).toBe(63);
  });

  test('stops before the next write once mayWrite says no (leadership lost mid-pass)', async () => {
    const ops: Op[] = [nodeOp, ...Array.from({ length: 199 }, (_, i) => serviceOp(instance(`web-${i}`)))];
    let asked = 0;
    const outcome = await applyOps(ops, { consul: client, nodeName: NODE, mayWrite: () => ++asked <= 2 });
    expect(outcome).toMatchObject({ stopped: true, transactions: 2 });
    expect(outcome.error).toBeUndefined();
    expect(outcome.applied).toHaveLength(128);
    expect(consul.requests.writes()).toHaveLength(2);

    consul.seed.clear();
    consul.requests.clear();
    const refusedWhole = await applyOps(ops.slice(0, 70), {
      consul: client,
      nodeName: NODE,
      maxOpsPerTxn: 70,
      mayWrite: () => consul.requests.writes().length < 4,
    });
    // The 70-op txn is refused as a whole (over the limit); the single calls stop after the third.
    expect(refusedWhole).toMatchObject({ stopped: true, transactions: 0, singleCalls: 3 });
  });

  test('finding 1: a service the token may not write is refused alone; every other one commits', async () => {
    // As Consul's txn preCheck (agent/consul/txn_endpoint.go): ACL denials come back as per-op
    // errors of a 409, and consul-k8s (catalog/to-consul/syncer.go) registers each instance on its own.
    const acl = await startConsulDouble({
      acl: {
        enabled: true,
        tokens: [
          {
            secretId: 'partial-secret',
            rules: { nodePrefix: { '': 'write' }, servicePrefix: { '': 'read', web: 'write' } },
          },
        ],
      },
    });
    try {
      const partial = createConsulClient(consulConfigFromEnv(acl.env('partial-secret'), {}, () => ''));
      const names = ['api', 'web-1', 'zzz', 'web-2', 'web-3'];
      const ops: Op[] = [nodeOp, ...names.map((name) => serviceOp(instance(name, { service: name })))];
      const outcome = await applyOps(ops, { consul: partial, nodeName: NODE });
      expect(outcome.error).toBeUndefined();
      expect([...(acl.state.services.get(NODE)?.keys() ?? [])].sort()).toEqual(['web-1', 'web-2', 'web-3']);
      expect(outcome.rejected.map((r) => [r.op.kind === 'service' && r.op.instance.id, r.cause])).toEqual([
        ['api', 'permission'],
        ['zzz', 'permission'],
      ]);
      expect(outcome.rejected[0]?.reason).toMatch(/lacks permission 'service:write' on "api"/);
      // The whole batch, the rest, then each refused instance alone.
      expect(acl.requests.writes().map((w) => w.status)).toEqual([409, 200, 409, 409]);
    } finally {
      await acl.stop();
    }
  });

  test('finding 8: transactions stay under 512 KiB: big registrations are split by bytes, not sent whole', async () => {
    const big = 'x'.repeat(500);
    const manyMeta = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, big]));
    const ops: Op[] = [
      nodeOp,
      ...Array.from({ length: 60 }, (_, i) =>
        serviceOp(instance(`big-${i}`, { meta: { ...meta, ...manyMeta } })),
      ),
    ];
    const limited = await startConsulDouble({ maxTxnBytes: 512 * 1024 });
    try {
      const limitedClient = createConsulClient(consulConfigFromEnv(limited.env(), {}, () => ''));
      const outcome = await applyOps(ops, { consul: limitedClient, nodeName: NODE });
      expect(outcome).toMatchObject({ singleCalls: 0, rejected: [] });
      expect(outcome.transactions).toBeGreaterThan(1);
      expect(limited.state.services.get(NODE)?.size).toBe(60);
      expect(Math.max(...limited.requests.writes().map((w) => w.bodyBytes))).toBeLessThan(512 * 1024);
      expect(limited.requests.writes().every((w) => w.status === 200)).toBe(true);
    } finally {
      await limited.stop();
    }
  });

  test('finding 7: a write never outlives the time mayWrite grants (the rest of the lease)', async () => {
    consul.faults.setLatency(1500);
    const started = Date.now();
    const outcome = await applyOps([nodeOp, serviceOp(instance('late'))], {
      consul: client,
      nodeName: NODE,
      mayWrite: () => 300,
    });
    expect(outcome.error?.kind).toBe('transient');
    expect(outcome.error?.message).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(1400);
    consul.faults.setLatency(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Consul did not apply it late (the request was abandoned before the double handled it).
    expect(consul.state.services.get(NODE)).toBeUndefined();
    // No time left: nothing is started.
    consul.requests.clear();
    expect(await applyOps([nodeOp], { consul: client, nodeName: NODE, mayWrite: () => 0 })).toMatchObject({
      stopped: true,
    });
    expect(consul.requests.writes()).toHaveLength(0);
  });
});

describe('applyOps with Consul Enterprise namespaces and a partition', () => {
  let enterprise: ConsulDouble;
  let ent: ConsulClient;
  beforeAll(async () => {
    enterprise = await startConsulDouble({ enterprise: true, partitions: ['east'] });
    ent = createConsulClient(
      consulConfigFromEnv({ ...enterprise.env(), CONSUL_PARTITION: 'east' }, {}, () => ''),
    );
  });
  afterAll(async () => {
    await enterprise.stop();
  });
  beforeEach(() => enterprise.faults.clear());

  const placed = (id: string, namespace: string) => serviceOp(instance(id, { namespace }));

  test('creates each namespace once, then writes Namespace and Partition into every op', async () => {
    const namespaces = new NamespaceCreator(ent, 'cross');
    const outcome = await applyOps(
      [nodeOp, placed('a', 'team'), placed('b', 'team'), placed('c', 'default')],
      {
        consul: ent,
        nodeName: NODE,
        partition: 'east',
        namespaces,
      },
    );
    expect(outcome).toMatchObject({ rejected: [], transactions: 1 });
    expect(enterprise.requests.count((e) => e.method === 'PUT' && e.path === '/v1/namespace')).toBe(1);
    const node = enterprise.state.nodes.get(`east\u0000${NODE}`);
    expect(node?.Partition).toBe('east');
    const services = [...(enterprise.state.services.get(`east\u0000${NODE}`)?.values() ?? [])];
    expect(services.map((s) => `${s.Partition}/${s.Namespace}/${s.ID}`).sort()).toEqual([
      'east/default/c',
      'east/team/a',
      'east/team/b',
    ]);
  });

  test('a namespace Consul refuses to create refuses only its registrations; a 5xx stops the pass', async () => {
    const namespaces = new NamespaceCreator(ent);
    const isCreate = (r: { method: string; path: string }) =>
      r.method === 'PUT' && r.path === '/v1/namespace';
    enterprise.faults.failNext(1, {
      status: 403,
      body: "Permission denied: token with AccessorID 'x' lacks permission 'operator:write'",
      match: isCreate,
    });
    const refused = await applyOps([nodeOp, placed('d', 'denied'), placed('e', 'default')], {
      consul: ent,
      nodeName: NODE,
      partition: 'east',
      namespaces,
    });
    expect(refused.rejected.map((r) => [r.cause, r.reason])).toEqual([
      ['permission', expect.stringContaining(`namespace "denied" could not be created: `)],
    ]);
    expect(refused.applied).toHaveLength(2);

    enterprise.faults.failNext(1, { match: isCreate });
    const stopped = await applyOps([placed('f', 'later')], { consul: ent, nodeName: NODE, namespaces });
    expect(stopped.error?.kind).toBe('transient');
    expect(stopped.applied).toEqual([]);
  });
});
