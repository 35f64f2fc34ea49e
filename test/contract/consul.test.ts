/**
 * Contract suite for the Consul HTTP API: the documented behaviours the registrar and generator
 * rely on, asserted through the real `consul` npm client and our core/consul helpers.
 *
 * By default it runs against the in-repo double (test/support/consul). With CONSUL_HTTP_ADDR set
 * (plus CONSUL_HTTP_TOKEN etc. as needed: a token allowed to write `ct-*` nodes and services) it
 * runs against that real Consul instead, so the double can be checked against the real thing.
 * Tests that need the double's fault controls or ACL setup use `itNeedsDouble`: they are left out
 * only in that real mode.
 */
import { EventEmitter } from 'node:events';
import {
  applyCatalogTxn,
  consulConfigFromEnv,
  ConsulError,
  createConsulClient,
  nextBlockingIndex,
  rawConsulRequest,
  readCatalogServices,
  readHealthService,
  readNodeServices,
  registerCatalog,
  deregisterCatalog,
  toConsulError,
  type CatalogTxnOp,
  type ConsulClient,
  type ConsulResponse,
} from '../../core/consul';
import {
  createNamespace,
  EnterpriseRequiredError,
  namespaceDefinition,
  namespaceExists,
  requireEnterprise,
} from '../../core/consul/namespaces';
import { startConsulDouble, type ConsulDouble } from '../support/consul';
import { eventually } from '../support/wait';

const REAL_CONSUL = Boolean(process.env.CONSUL_HTTP_ADDR);
/**
 * For tests that need the double's fault controls or ACL setup. Against a real Consul they are not
 * declared at all (the real tier runs with zero skipped tests): their ACL half runs against a real
 * Consul with ACLs in test/real/consul-acl.real.test.ts; fault controls exist only on the double.
 */
const itNeedsDouble: jest.It = REAL_CONSUL ? Object.assign(() => undefined, it) : it;
/** A block of such tests, with its hooks. */
const describeNeedsDouble: jest.Describe = REAL_CONSUL ? Object.assign(() => undefined, describe) : describe;

const RUN = `ct-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
const nodeName = (suffix: string) => `${RUN}-${suffix}`;
const serviceName = (suffix: string) => `${RUN}-${suffix}`;

let double: ConsulDouble | undefined;
let consul: ConsulClient;
const createdNodes = new Set<string>();

beforeAll(async () => {
  if (!REAL_CONSUL) double = await startConsulDouble();
  consul = createConsulClient(consulConfigFromEnv(REAL_CONSUL ? process.env : double!.env()));
});

afterAll(async () => {
  for (const node of createdNodes) await deregisterCatalog(consul, { Node: node }).catch(() => undefined);
  consul?.destroy();
  await double?.stop();
});

async function registerNode(node: string, extra: Record<string, unknown> = {}): Promise<void> {
  createdNodes.add(node);
  await registerCatalog(consul, { Node: node, Address: '10.0.0.1', ...extra });
}

/** A GET through the client that also returns the response (headers). */
async function get(path: string, query: Record<string, string> = {}): Promise<[ConsulResponse, unknown]> {
  return rawConsulRequest(consul, { method: 'GET', name: 'contract', path, query, timeoutMs: 20_000 });
}

function header(res: ConsulResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

async function serviceIndex(name: string): Promise<string> {
  const [res] = await get(`/catalog/service/${encodeURIComponent(name)}`);
  return header(res, 'X-Consul-Index')!;
}

/** The error a failing call rejects with (fails the test when it resolves). */
async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { statusCode?: number; response?: ConsulResponse }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { statusCode?: number; response?: ConsulResponse };
  }
  throw new Error('expected the call to fail');
}

describe('catalog register and reads', () => {
  it('registers through the npm client; /catalog/services maps names to tags', async () => {
    const node = nodeName('n1');
    const name = serviceName('web');
    createdNodes.add(node);
    await consul.catalog.register({
      node,
      address: '10.0.0.1',
      service: { id: `${name}-1`, service: name, tags: ['a', 'b'], port: 8080 },
    });
    const services = await consul.catalog.service.list();
    expect(new Set(services[name])).toEqual(new Set(['a', 'b']));
  });

  it('/catalog/service/:name answers ServiceNode objects in PascalCase, with ?tag filtering', async () => {
    const node = nodeName('n2');
    const name = serviceName('api');
    await registerNode(node, {
      NodeMeta: { zone: 'z1' },
      Service: { ID: `${name}-1`, Service: name, Tags: ['v1'], Port: 80, Meta: { team: 'x' } },
    });
    await registerNode(nodeName('n2b'), {
      Service: { ID: `${name}-2`, Service: name, Tags: ['v2'], Port: 81 },
    });
    const all = (await consul.catalog.service.nodes(name)) as Array<Record<string, unknown>>;
    expect(all).toHaveLength(2);
    const first = all.find((e) => e.ServiceID === `${name}-1`)!;
    expect(first).toMatchObject({
      Node: node,
      Address: '10.0.0.1',
      NodeMeta: { zone: 'z1' },
      ServiceID: `${name}-1`,
      ServiceName: name,
      ServiceTags: ['v1'],
      ServicePort: 80,
      ServiceAddress: '',
      ServiceMeta: { team: 'x' },
    });
    expect(typeof first.CreateIndex).toBe('number');
    expect(typeof first.ModifyIndex).toBe('number');
    const tagged = (await consul.catalog.service.nodes({ service: name, tag: 'v2' })) as Array<
      Record<string, unknown>
    >;
    expect(tagged.map((e) => e.ServiceID)).toEqual([`${name}-2`]);
  });

  it('/catalog/node-services/:node answers {Node, Services[]}; the service ID defaults to the name; Tags [] when none', async () => {
    const node = nodeName('n3');
    const name = serviceName('db');
    await registerNode(node, { Service: { Service: name, Port: 5432, Weights: { Passing: 3, Warning: 1 } } });
    const { value, index } = await readNodeServices(consul, node);
    expect(Number(index)).toBeGreaterThan(0);
    expect(value.node).toMatchObject({ Node: node, Address: '10.0.0.1' });
    expect(value.services).toHaveLength(1);
    expect(value.services[0]).toMatchObject({
      ID: name,
      Service: name,
      Port: 5432,
      Tags: [],
      Weights: { Passing: 3, Warning: 1 },
    });
    const missing = await readNodeServices(consul, nodeName('no-such-node'));
    expect(missing.value).toEqual({ node: null, services: [] });
  });

  it('/catalog/nodes lists registered nodes', async () => {
    const node = nodeName('n4');
    await registerNode(node, { NodeMeta: { k: 'v' } });
    const nodes = (await consul.catalog.node.list()) as Array<Record<string, unknown>>;
    expect(nodes.find((n) => n.Node === node)).toMatchObject({
      Node: node,
      Address: '10.0.0.1',
      Meta: { k: 'v' },
    });
  });

  it('health/service: a check without status is critical; ?passing hides it until it passes; node checks count', async () => {
    const node = nodeName('n5');
    const name = serviceName('cache');
    await registerNode(node, {
      Service: { ID: `${name}-1`, Service: name, Port: 6379 },
      Check: { CheckID: `${name}-ready`, Name: 'ready', ServiceID: `${name}-1` },
    });
    const all = await readHealthService(consul, name);
    expect(all.value).toHaveLength(1);
    expect(all.value[0]!.Checks).toEqual([
      expect.objectContaining({
        CheckID: `${name}-ready`,
        Status: 'critical',
        ServiceID: `${name}-1`,
        ServiceName: name,
      }),
    ]);
    expect((await readHealthService(consul, name, { passing: true })).value).toEqual([]);

    await registerCatalog(consul, {
      Node: node,
      Address: '10.0.0.1',
      Check: { CheckID: `${name}-ready`, Name: 'ready', ServiceID: `${name}-1`, Status: 'passing' },
    });
    expect((await readHealthService(consul, name, { passing: true })).value).toHaveLength(1);

    await registerCatalog(consul, {
      Node: node,
      Address: '10.0.0.1',
      Check: { CheckID: `${RUN}-node-maint`, Name: 'maint', Status: 'warning' },
    });
    const passing = await readHealthService(consul, name, { passing: true });
    expect(passing.value).toEqual([]);
  });

  it('deregistering a service removes its checks; deregistering the node removes everything on it', async () => {
    const node = nodeName('n6');
    const name = serviceName('queue');
    await registerNode(node, {
      Service: { ID: `${name}-1`, Service: name },
      Checks: [{ CheckID: `${name}-c`, Name: 'c', ServiceID: `${name}-1`, Status: 'passing' }],
    });
    await registerCatalog(consul, {
      Node: node,
      Address: '10.0.0.1',
      Service: { ID: `${name}-2`, Service: name },
    });
    await deregisterCatalog(consul, { Node: node, ServiceID: `${name}-1` });
    const [, checks] = await get(`/health/node/${node}`);
    expect(checks).toEqual([]);
    expect((await readNodeServices(consul, node)).value.services.map((s) => s.ID)).toEqual([`${name}-2`]);
    await deregisterCatalog(consul, { Node: node });
    expect((await readNodeServices(consul, node)).value.node).toBeNull();
    expect((await consul.catalog.service.list())[name]).toBeUndefined();
  });

  it('?filter selects instances by meta', async () => {
    const name = serviceName('filtered');
    await registerNode(nodeName('n7'), { Service: { ID: `${name}-a`, Service: name, Meta: { owner: 'a' } } });
    await registerNode(nodeName('n7b'), {
      Service: { ID: `${name}-b`, Service: name, Meta: { owner: 'b' } },
    });
    const matched = (await consul.catalog.service.nodes({
      service: name,
      filter: 'ServiceMeta.owner == "b"',
    })) as Array<Record<string, unknown>>;
    expect(matched.map((e) => e.ServiceID)).toEqual([`${name}-b`]);
    const error = await rejection(
      consul.catalog.service.nodes({ service: name, filter: 'ServiceMeta.owner ===' }),
    );
    // Consul answers an invalid filter with a 500 that names the evaluator, not a 400.
    expect(error.response?.statusCode).toBe(500);
    expect(String(error.response?.body)).toMatch(/^Failed to create boolean expression evaluator: /);
  });

  it('rejects a registration without an address, and reserved meta keys', async () => {
    const missingAddress = toConsulError(
      await rejection(registerCatalog(consul, { Node: nodeName('bad'), Address: '' })),
      'x',
    );
    expect(missingAddress.statusCode).toBe(500);
    expect(missingAddress.message).toContain('Must provide address if SkipNodeUpdate is not set');
    const node = nodeName('n8');
    await registerNode(node);
    const reserved = toConsulError(
      await rejection(
        registerCatalog(consul, {
          Node: node,
          Address: '10.0.0.1',
          Service: { Service: serviceName('m'), Meta: { 'consul-x': 'y' } },
        }),
      ),
      'x',
    );
    expect(reserved.message).toMatch(/reserved for internal use/);
  });
});

describe('query metadata and indexes', () => {
  it('every read returns X-Consul-Index (>= 1), X-Consul-KnownLeader and X-Consul-LastContact', async () => {
    for (const path of [
      '/catalog/services',
      '/catalog/nodes',
      `/catalog/service/${serviceName('none')}`,
      `/health/service/${serviceName('none')}`,
    ]) {
      const [res] = await get(path);
      expect(Number(header(res, 'X-Consul-Index'))).toBeGreaterThanOrEqual(1);
      expect(header(res, 'X-Consul-KnownLeader')).toBe('true');
      expect(header(res, 'X-Consul-LastContact')).toMatch(/^\d+$/);
    }
  });

  it("a service's index moves on its own change, not on an identical re-registration nor on another service's write", async () => {
    const node = nodeName('i1');
    const name = serviceName('indexed');
    const registration = {
      Node: node,
      Address: '10.0.0.1',
      Service: { ID: `${name}-1`, Service: name, Port: 1 },
    };
    await registerNode(node, registration);
    const before = await serviceIndex(name);
    await registerCatalog(consul, registration);
    await registerNode(nodeName('i1-other'), { Service: { Service: serviceName('other'), Port: 2 } });
    expect(await serviceIndex(name)).toBe(before);
    await registerCatalog(consul, { ...registration, Service: { ...registration.Service, Port: 2 } });
    expect(BigInt(await serviceIndex(name))).toBeGreaterThan(BigInt(before));
  });
});

describe('blocking queries', () => {
  it('index=0 (or none) answers at once', async () => {
    const result = await readCatalogServices(consul, { index: '0', waitMs: 60_000 });
    expect(Number(result.index)).toBeGreaterThanOrEqual(1);
  });

  it('holds until the watched service changes, not before, then answers with the new index', async () => {
    const node = nodeName('b1');
    const name = serviceName('watched');
    await registerNode(node, { Service: { ID: `${name}-1`, Service: name, Tags: ['old'] } });
    const start = await readHealthService(consul, name);
    let settled = false;
    const pending = readHealthService(consul, name, { index: start.index, waitMs: 20_000 }).finally(() => {
      settled = true;
    });
    // A write elsewhere must not wake it; a full round trip after that write proves it stayed held.
    await registerNode(nodeName('b1-other'), { Service: { Service: serviceName('unrelated') } });
    await readCatalogServices(consul);
    if (double) expect(double.blockedQueries()).toBe(1);
    expect(settled).toBe(false);

    await registerCatalog(consul, {
      Node: node,
      Address: '10.0.0.1',
      Service: { ID: `${name}-1`, Service: name, Tags: ['new'] },
    });
    const woken = await pending;
    expect(BigInt(woken.index)).toBeGreaterThan(BigInt(start.index));
    expect(woken.value[0]!.Service.Tags).toEqual(['new']);
  });

  it('answers with the same index once the wait (plus at most wait/16) expires', async () => {
    const name = serviceName('quiet');
    await registerNode(nodeName('b2'), { Service: { Service: name } });
    const start = await readHealthService(consul, name);
    const began = Date.now();
    const result = await readHealthService(consul, name, { index: start.index, waitMs: 300 });
    const elapsed = Date.now() - began;
    expect(result.index).toBe(start.index);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(300 + 300 / 16 + 2000);
  });

  it('the npm client takes index/wait options and, with ctx.includeResponse, returns the response headers', async () => {
    const name = serviceName('npm-blocking');
    const withResponse = () => Object.assign(new EventEmitter(), { includeResponse: true });
    const [first] = (await consul.catalog.service.list({ ctx: withResponse() })) as unknown as [
      ConsulResponse,
      unknown,
    ];
    const index = header(first, 'X-Consul-Index')!;
    const pending = consul.catalog.service.list({
      index,
      wait: '10s',
      ctx: withResponse(),
    }) as unknown as Promise<[ConsulResponse, Record<string, string[]>]>;
    await registerNode(nodeName('b5'), { Service: { Service: name } });
    const [res, services] = await pending;
    expect(BigInt(header(res, 'X-Consul-Index')!)).toBeGreaterThan(BigInt(index));
    expect(services[name]).toEqual([]);
  });

  it('consul.watch (the npm client) emits change when the watched list changes', async () => {
    const name = serviceName('watch-npm');
    const watch = consul.watch({ method: consul.catalog.service.list, options: { wait: '5s' } });
    try {
      const changes: Array<Record<string, string[]>> = [];
      const seen = new Promise<void>((resolve, reject) => {
        watch.on('error', reject);
        watch.on('change', (data: Record<string, string[]>) => {
          changes.push(data);
          if (data[name]) resolve();
        });
      });
      await new Promise((resolve) => watch.once('change', resolve));
      await registerNode(nodeName('b3'), { Service: { Service: name, Tags: ['w'] } });
      await seen;
      expect(changes.at(-1)![name]).toEqual(['w']);
    } finally {
      watch.end();
    }
  });

  itNeedsDouble(
    'an index reset (snapshot restore) wakes held queries with a lower index; clients restart from 0',
    async () => {
      const name = serviceName('reset');
      await registerNode(nodeName('b4'), { Service: { Service: name } });
      const start = await readCatalogServices(consul);
      const pending = readCatalogServices(consul, { index: start.index, waitMs: 20_000 });
      await eventually(() => double!.blockedQueries() === 1);
      double!.faults.resetIndex(1);
      const after = await pending;
      expect(BigInt(after.index)).toBeLessThan(BigInt(start.index));
      expect(nextBlockingIndex(start.index, after.index)).toBe('0');
    },
  );
});

describe('transactions', () => {
  it('applies Node, Service and Check operations in order and returns PascalCase results', async () => {
    const node = nodeName('t1');
    const name = serviceName('txn');
    createdNodes.add(node);
    const ops: CatalogTxnOp[] = [
      { Node: { Verb: 'set', Node: { Node: node, Address: '10.0.0.2', Meta: { owner: 'ct' } } } },
      {
        Service: {
          Verb: 'set',
          Node: node,
          Service: { ID: `${name}-1`, Service: name, Port: 9000, Tags: ['t'] },
        },
      },
      {
        Check: {
          Verb: 'set',
          Check: {
            Node: node,
            CheckID: `${name}-c`,
            Name: 'c',
            ServiceID: `${name}-1`,
            // Consul's latest ACL pre-check needs the name of a service created in the same txn.
            ServiceName: name,
            Status: 'passing',
          },
        },
      },
    ];
    const result = await consul.transaction.create(ops as never);
    expect(result.Errors).toBeNull();
    expect(result.Results).toEqual([
      { Node: expect.objectContaining({ Node: node, Address: '10.0.0.2', Meta: { owner: 'ct' } }) },
      { Service: expect.objectContaining({ ID: `${name}-1`, Service: name, Port: 9000, Tags: ['t'] }) },
      { Check: expect.objectContaining({ CheckID: `${name}-c`, Status: 'passing', ServiceName: name }) },
    ]);
    expect((await readHealthService(consul, name, { passing: true })).value).toHaveLength(1);
  });

  it('is all-or-nothing: a failing operation answers 409 {Errors:[{OpIndex,What}], Results:null} and applies nothing', async () => {
    const node = nodeName('t2');
    const name = serviceName('atomic');
    await registerNode(node);
    const before = await readNodeServices(consul, node);
    const ops: CatalogTxnOp[] = [
      { Service: { Verb: 'set', Node: node, Service: { ID: `${name}-1`, Service: name } } },
      {
        Service: {
          Verb: 'delete-cas',
          Node: node,
          Service: { ID: `${name}-missing`, Service: name, ModifyIndex: 1 },
        },
      },
    ];
    const error = await rejection(consul.transaction.create(ops as never));
    expect(error.response?.statusCode).toBe(409);
    expect(error.response?.body).toEqual({
      Results: null,
      Errors: [{ OpIndex: 1, What: expect.stringContaining('index is stale') }],
    });
    expect((await readNodeServices(consul, node)).value.services).toEqual(before.value.services);
  });

  it('set-if-not-exists (cas with ModifyIndex 0) fails when the service exists; cas with the current index succeeds', async () => {
    const node = nodeName('t3');
    const name = serviceName('cas');
    await registerNode(node, { Service: { ID: `${name}-1`, Service: name } });
    const current = (await readNodeServices(consul, node)).value.services[0]!;
    const stale = toConsulError(
      await rejection(
        applyCatalogTxn(consul, [
          {
            Service: { Verb: 'cas', Node: node, Service: { ID: `${name}-1`, Service: name, ModifyIndex: 0 } },
          },
        ]),
      ),
      'txn',
    );
    expect(stale.statusCode).toBe(409);
    expect(stale.kind).toBe('bad-request');
    const ok = await applyCatalogTxn(consul, [
      {
        Service: {
          Verb: 'cas',
          Node: node,
          Service: { ID: `${name}-1`, Service: name, Port: 7, ModifyIndex: current.ModifyIndex },
        },
      },
    ]);
    expect(ok.results).toEqual([{ Service: expect.objectContaining({ Port: 7 }) }]);
  });

  it('with results: false the answer is not parsed, and a rollback still names the failing operation', async () => {
    const node = nodeName('t3b');
    const name = serviceName('unparsed');
    await registerNode(node, { Service: { ID: `${name}-1`, Service: name } });
    const set: CatalogTxnOp = {
      Service: { Verb: 'set', Node: node, Service: { ID: `${name}-2`, Service: name, Port: 8 } },
    };
    await expect(applyCatalogTxn(consul, [set], { results: false })).resolves.toEqual({
      transactions: 1,
      results: [],
    });
    const stale: CatalogTxnOp = {
      Service: { Verb: 'cas', Node: node, Service: { ID: `${name}-1`, Service: name, ModifyIndex: 0 } },
    };
    const error = toConsulError(
      await rejection(applyCatalogTxn(consul, [set, stale], { results: false })),
      'txn',
    );
    expect(error.statusCode).toBe(409);
    expect(error.opErrors).toEqual([{ OpIndex: 1, What: expect.any(String) }]);
  });

  it('rejects more operations than the limit with 413, and core/consul batches 65 ops into two transactions', async () => {
    const node = nodeName('t4');
    await registerNode(node);
    const ops: CatalogTxnOp[] = Array.from({ length: 129 }, (_, i) => ({
      Service: {
        Verb: 'set' as const,
        Node: node,
        Service: { ID: `s${i}`, Service: serviceName(`bulk-${i % 3}`) },
      },
    }));
    const tooMany = await rejection(consul.transaction.create(ops as never));
    expect(tooMany.response?.statusCode).toBe(413);
    expect(String(tooMany.response?.body)).toMatch(
      /^Transaction contains too many operations \(129 > \d+\)$/,
    );

    const applied = await applyCatalogTxn(consul, ops.slice(0, 65));
    expect(applied.transactions).toBe(2);
    expect((await readNodeServices(consul, node)).value.services).toHaveLength(65);
  });

  it('a read-only transaction (get) answers the objects; a missing one is a 409', async () => {
    const node = nodeName('t5');
    await registerNode(node);
    const read = await consul.transaction.create([{ Node: { Verb: 'get', Node: { Node: node } } }] as never);
    expect(read.Results).toEqual([{ Node: expect.objectContaining({ Node: node }) }]);
    const missing = await rejection(
      consul.transaction.create([{ Node: { Verb: 'get', Node: { Node: nodeName('ghost') } } }] as never),
    );
    expect(missing.response?.statusCode).toBe(409);
  });
});

describeNeedsDouble('ACLs (double with ACLs enabled, default deny)', () => {
  let secured: ConsulDouble;
  const WRITER = 'secret-writer-token-1234';
  const READER = 'secret-reader-token-5678';
  let writerAccessor = '';

  beforeAll(async () => {
    if (REAL_CONSUL) return;
    secured = await startConsulDouble({ acl: { enabled: true, defaultPolicy: 'deny' } });
    writerAccessor = secured.acl.setToken({
      secretId: WRITER,
      rules: { nodePrefix: { 'k8s-': 'write' }, servicePrefix: { web: 'write', '': 'read' } },
    });
    secured.acl.setToken({
      secretId: READER,
      rules: { nodePrefix: { '': 'read' }, servicePrefix: { 'web-': 'read' } },
    });
    secured.seed.register({
      Node: 'k8s-node',
      Address: '10.1.0.1',
      Service: { ID: 'web-public-1', Service: 'web-public' },
    });
    secured.seed.register({ Node: 'k8s-node', Address: '10.1.0.1', Service: { ID: 'db-1', Service: 'db' } });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  function clientWith(token?: string): ConsulClient {
    return createConsulClient(consulConfigFromEnv(secured.env(token)));
  }

  itNeedsDouble(
    'accepts the token from X-Consul-Token, Authorization: Bearer and ?token=; an unknown token is 403 "ACL not found"',
    async () => {
      const url = `${secured.url}/v1/catalog/services`;
      const ways: Array<{ url: string; headers: Record<string, string> }> = [
        { url, headers: { 'X-Consul-Token': READER } },
        { url, headers: { Authorization: `Bearer ${READER}` } },
        { url: `${url}?token=${READER}`, headers: {} },
      ];
      for (const init of ways) {
        const res = await fetch(init.url, { headers: init.headers });
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ 'web-public': [] });
      }
      const unknown = await fetch(url, { headers: { 'X-Consul-Token': 'nope' } });
      expect(unknown.status).toBe(403);
      expect(await unknown.text()).toBe('ACL not found');
    },
  );

  itNeedsDouble(
    'filters reads to what the token may see and says so in X-Consul-Results-Filtered-By-ACLs (never to an anonymous request)',
    async () => {
      const reader = clientWith(READER);
      try {
        const result = await readCatalogServices(reader);
        expect(result.value).toEqual({ 'web-public': [] });
        expect(result.filteredByAcls).toBe(true);
        const anonymous = clientWith();
        const none = await readCatalogServices(anonymous);
        anonymous.destroy();
        expect(none.value).toEqual({});
        // Consul masks the flag when no token is sent (agent/consul/rpc.go, maskResultsFilteredByACLs).
        expect(none.filteredByAcls).toBe(false);
      } finally {
        reader.destroy();
      }
    },
  );

  itNeedsDouble(
    'denies writes with 403 worded as Consul does; the error is classified auth and never shows the token',
    async () => {
      const writer = clientWith(WRITER);
      try {
        const error = await rejection(
          registerCatalog(writer, {
            Node: 'k8s-node',
            Address: '10.1.0.1',
            Service: { ID: 'db-2', Service: 'db' },
          }),
        );
        expect(error).toBeInstanceOf(ConsulError);
        const consulError = error as ConsulError;
        expect(consulError.statusCode).toBe(403);
        expect(consulError.kind).toBe('auth');
        expect(consulError.message).toContain(
          `Permission denied: token with AccessorID '${writerAccessor}' lacks permission 'service:write' on "db"`,
        );
        expect(consulError.message).not.toContain(WRITER);

        const newNode = toConsulError(
          await rejection(registerCatalog(writer, { Node: 'other-node', Address: '10.1.0.2' })),
          'x',
        );
        expect(newNode.message).toContain(`lacks permission 'node:write' on "other-node"`);

        await registerCatalog(writer, {
          Node: 'k8s-node',
          Address: '10.1.0.1',
          Service: { ID: 'web-2', Service: 'web' },
        });
      } finally {
        writer.destroy();
      }
    },
  );

  itNeedsDouble(
    'a denied operation inside a transaction is a 409 per-op "Permission denied", classified auth',
    async () => {
      const writer = clientWith(WRITER);
      try {
        const error = (await rejection(
          applyCatalogTxn(writer, [
            { Service: { Verb: 'set', Node: 'k8s-node', Service: { ID: 'web-3', Service: 'web' } } },
            { Service: { Verb: 'set', Node: 'k8s-node', Service: { ID: 'db-3', Service: 'db' } } },
          ]),
        )) as ConsulError;
        expect(error.statusCode).toBe(409);
        expect(error.kind).toBe('auth');
        expect(error.opErrors).toEqual([
          { OpIndex: 1, What: expect.stringMatching(/^Permission denied: .*'service:write' on "db"$/) },
        ]);
        expect(secured.state.services.get('k8s-node')?.has('web-3')).toBe(false);
      } finally {
        writer.destroy();
      }
    },
  );
});

describe('Consul without namespaces (OSS, as the real 1.16.1 answers): Enterprise features refused', () => {
  async function status(promise: Promise<unknown>): Promise<ConsulError> {
    return toConsulError(await rejection(promise), 'x');
  }

  it('GET /v1/namespaces is no route (404)', async () => {
    const error = await status(get('/namespaces'));
    expect(error.statusCode).toBe(404);
    expect(error.message).toContain('Invalid URL path: not a recognized HTTP API endpoint');
  });

  it('?ns= and ?partition= on catalog reads are 400 "... a Consul Enterprise feature"', async () => {
    const ns = await status(get('/catalog/services', { ns: 'team' }));
    expect(ns.statusCode).toBe(400);
    expect(ns.message).toContain(
      'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature',
    );
    const wildcard = await status(get(`/catalog/node-services/${nodeName('oss')}`, { ns: '*' }));
    expect(wildcard.statusCode).toBe(400);
    const partition = await status(get('/catalog/nodes', { partition: 'default' }));
    expect(partition.statusCode).toBe(400);
    expect(partition.message).toContain(
      'Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature',
    );
  });

  it('a Namespace field in a registration is an unknown field (400)', async () => {
    const node = nodeName('oss-reg');
    createdNodes.add(node);
    const error = await status(
      registerCatalog(consul, {
        Node: node,
        Address: '10.0.0.1',
        Service: { ID: 'x', Service: 'x', Namespace: 'team' },
      }),
    );
    expect(error.statusCode).toBe(400);
    expect(error.message).toContain('unknown field "Namespace" - Namespaces are a Consul Enterprise feature');
  });

  it('txn ops ignore Namespace (the write lands in the only namespace: why the startup check exists)', async () => {
    const node = nodeName('oss-txn');
    await registerNode(node);
    const name = serviceName('oss-txn');
    await applyCatalogTxn(consul, [
      {
        Service: { Verb: 'set', Node: node, Service: { ID: `${name}-1`, Service: name, Namespace: 'team' } },
      },
    ]);
    const read = await readNodeServices(consul, node);
    expect(read.value.services.map((s) => [s.ID, s.Namespace])).toEqual([[`${name}-1`, undefined]]);
  });

  it('requireEnterprise fails, naming the setting and saying namespaces need Consul Enterprise', async () => {
    const error = await rejection(requireEnterprise(consul, ['--enable-namespaces']));
    expect(error).toBeInstanceOf(EnterpriseRequiredError);
    expect(error.message).toMatch(
      /^--enable-namespaces: namespaces and admin partitions need Consul Enterprise, and this Consul has none \(GET \/v1\/namespaces answered 404/,
    );
  });
});

describeNeedsDouble('Consul Enterprise namespaces and partitions (double only: OSS has none)', () => {
  let enterprise: ConsulDouble;
  let ent: ConsulClient;
  let east: ConsulClient;

  beforeAll(async () => {
    enterprise = await startConsulDouble({ enterprise: true, partitions: ['east'] });
    ent = createConsulClient(consulConfigFromEnv(enterprise.env()));
    east = createConsulClient(consulConfigFromEnv({ ...enterprise.env(), CONSUL_PARTITION: 'east' }));
  });
  afterAll(async () => {
    ent.destroy();
    east.destroy();
    await enterprise.stop();
  });

  itNeedsDouble('requireEnterprise passes; /v1/namespaces lists the builtin default', async () => {
    await requireEnterprise(ent, ['--enable-namespaces']);
    const [, body] = await rawConsulRequest(ent, { method: 'GET', name: 'x', path: '/namespaces' });
    expect(body).toEqual([
      expect.objectContaining({ Name: 'default', Description: 'Builtin Default Namespace' }),
    ]);
  });

  itNeedsDouble(
    'a namespace created as consul-k8s creates it reads back with its ACL policy default',
    async () => {
      expect(await namespaceExists(ent, 'team')).toBe(false);
      await createNamespace(ent, namespaceDefinition('team', 'cross-namespace-policy'));
      expect(await namespaceExists(ent, 'team')).toBe(true);
      const [, body] = await rawConsulRequest(ent, { method: 'GET', name: 'x', path: '/namespace/team' });
      expect(body).toMatchObject({
        Name: 'team',
        Description: 'Auto-generated by consul-k8s',
        ACLs: { PolicyDefaults: [{ Name: 'cross-namespace-policy' }] },
        Meta: { 'external-source': 'kubernetes' },
        Partition: 'default',
      });
    },
  );

  itNeedsDouble(
    'instances are per namespace: ?ns= reads one, ?ns=* all; a missing namespace is refused',
    async () => {
      await registerCatalog(ent, { Node: 'n1', Address: '10.0.0.1' });
      await applyCatalogTxn(ent, [
        { Service: { Verb: 'set', Node: 'n1', Service: { ID: 'web-1', Service: 'web', Namespace: 'team' } } },
        { Service: { Verb: 'set', Node: 'n1', Service: { ID: 'web-1', Service: 'web' } } },
      ]);
      const ids = async (ns?: string) =>
        (await readNodeServices(ent, 'n1', ns === undefined ? {} : { namespace: ns })).value.services.map(
          (s) => `${s.Namespace}/${s.ID}`,
        );
      expect(await ids()).toEqual(['default/web-1']);
      expect(await ids('team')).toEqual(['team/web-1']);
      expect((await ids('*')).sort()).toEqual(['default/web-1', 'team/web-1']);
      const missing = (await rejection(
        applyCatalogTxn(ent, [
          { Service: { Verb: 'set', Node: 'n1', Service: { ID: 'x', Service: 'x', Namespace: 'nope' } } },
        ]),
      )) as ConsulError;
      expect(missing.opErrors).toEqual([{ OpIndex: 0, What: 'Namespace "nope" does not exist' }]);
    },
  );

  itNeedsDouble(
    'nodes belong to a partition: the client partition (CONSUL_PARTITION) scopes every request',
    async () => {
      await registerCatalog(east, { Node: 'n-east', Address: '10.0.0.2', Partition: 'east' });
      expect((await readNodeServices(east, 'n-east')).value.node).toMatchObject({
        Node: 'n-east',
        Partition: 'east',
      });
      expect((await readNodeServices(ent, 'n-east')).value.node).toBeNull();
    },
  );
});

describeNeedsDouble('fault controls (double only)', () => {
  afterEach(() => double?.faults.clear());

  itNeedsDouble(
    'failNext answers 500 for the next N requests (classified transient), then serves normally',
    async () => {
      double!.faults.failNext(2);
      for (let i = 0; i < 2; i++) {
        const error = (await rejection(readCatalogServices(consul))) as ConsulError;
        expect(error.statusCode).toBe(500);
        expect(error.kind).toBe('transient');
        expect(error.retryable).toBe(true);
        expect(error.message).toContain('No cluster leader');
      }
      await expect(readCatalogServices(consul)).resolves.toBeDefined();
    },
  );

  itNeedsDouble('failNext can target writes only; the request log counts write requests', async () => {
    double!.requests.clear();
    double!.faults.failNext(1, { match: (r) => r.write });
    await readCatalogServices(consul);
    const node = nodeName('f1');
    createdNodes.add(node);
    await rejection(registerCatalog(consul, { Node: node, Address: '10.0.0.9' }));
    await registerCatalog(consul, { Node: node, Address: '10.0.0.9' });
    await registerCatalog(consul, { Node: node, Address: '10.0.0.9' });
    expect(double!.requests.writes().map((w) => w.status)).toEqual([500, 200, 200]);
    expect(double!.requests.count((e) => !e.write)).toBe(1);
  });

  itNeedsDouble(
    'stop() refuses connections (transient network error); restart() comes back on the same port with the same data',
    async () => {
      const node = nodeName('f2');
      await registerNode(node);
      const port = double!.port;
      const start = await readCatalogServices(consul);
      const held = rejection(readCatalogServices(consul, { index: start.index, waitMs: 20_000 }));
      await eventually(() => double!.blockedQueries() === 1);
      await double!.stop();
      expect(toConsulError(await held, 'x').kind).toBe('transient');
      const refused = (await rejection(readNodeServices(consul, node))) as ConsulError;
      expect(refused.kind).toBe('transient');
      expect(refused.statusCode).toBeUndefined();
      await double!.restart();
      expect(double!.port).toBe(port);
      expect((await readNodeServices(consul, node)).value.node?.Node).toBe(node);
    },
  );

  itNeedsDouble('setLatency delays every answer', async () => {
    double!.faults.setLatency(150);
    const began = Date.now();
    await readCatalogServices(consul);
    expect(Date.now() - began).toBeGreaterThanOrEqual(140);
  });

  itNeedsDouble('an aborted blocking read is cancelled on both sides', async () => {
    const start = await readCatalogServices(consul);
    const controller = new AbortController();
    const pending = rejection(
      readCatalogServices(consul, { index: start.index, waitMs: 20_000, signal: controller.signal }),
    );
    await eventually(() => double!.blockedQueries() === 1);
    controller.abort();
    expect(toConsulError(await pending, 'x').message).toContain('aborted');
    await eventually(() => double!.blockedQueries() === 0);
  });
});
