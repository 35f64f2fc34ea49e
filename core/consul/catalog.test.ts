import { startConsulDouble, type ConsulDouble } from '../../test/support/consul';
import { blockingTimeoutMs, nextBlockingIndex } from './blocking-read';
import { readCatalogServices, readHealthService, readNodeServices } from './catalog-reads';
import type { CatalogTxnOp } from './catalog-types';
import { applyCatalogTxn, deregisterCatalog, registerCatalog } from './catalog-writes';
import { batchOps, MAX_TXN_OPS } from './txn-batches';
import { createConsulClient, type ConsulClient } from './client';
import { consulConfigFromEnv } from './config';
import { ConsulError } from './errors';

describe('pure helpers', () => {
  it('batchOps keeps order and never exceeds the limit', () => {
    const ops = Array.from({ length: 130 }, (_, i) => i);
    const batches = batchOps(ops);
    expect(batches.map((b) => b.length)).toEqual([64, 64, 2]);
    expect(batches.flat()).toEqual(ops);
    expect(batchOps([])).toEqual([]);
    expect(() => batchOps(ops, 0)).toThrow(/batch size/);
    expect(MAX_TXN_OPS).toBe(64);
  });

  it.each([
    [undefined, '10', '10'],
    ['10', '12', '12'],
    ['10', '10', '10'],
    ['10', '3', '0'],
    [undefined, '0', '1'],
    [undefined, 'garbage', '0'],
  ])('nextBlockingIndex(%s, %s) = %s', (previous, received, expected) => {
    expect(nextBlockingIndex(previous, received)).toBe(expected);
  });

  it('blockingTimeoutMs leaves room for the wait and its jitter', () => {
    expect(blockingTimeoutMs(16_000)).toBeGreaterThan(17_000);
  });
});

describe('catalog helpers against the Consul double', () => {
  let double: ConsulDouble;
  let consul: ConsulClient;

  beforeAll(async () => {
    double = await startConsulDouble({ acl: { enabled: true, defaultPolicy: 'allow' } });
    consul = createConsulClient(consulConfigFromEnv(double.env('s3cret-token-value')));
    double.acl.setToken({ secretId: 's3cret-token-value', rules: { management: true } });
  });
  afterAll(async () => {
    consul.destroy();
    await double.stop();
  });
  beforeEach(() => {
    double.seed.clear();
    double.requests.clear();
    double.faults.clear();
  });

  it('sends the token as X-Consul-Token; a rejected token is an auth error without the token in it', async () => {
    await readCatalogServices(consul);
    expect(double.requests.entries.at(-1)?.hasToken).toBe(true);
    const wrong = createConsulClient(consulConfigFromEnv(double.env('wrong-token-value')));
    try {
      const error = await readCatalogServices(wrong).catch((e: unknown) => e as ConsulError);
      expect(error).toBeInstanceOf(ConsulError);
      expect((error as ConsulError).kind).toBe('auth');
      expect((error as ConsulError).message).toBe('consul catalog.services: HTTP 403: ACL not found');
      expect((error as ConsulError).message).not.toContain('wrong-token-value');
    } finally {
      wrong.destroy();
    }
  });

  it('registerCatalog keeps the fields the npm client drops (Weights, EnableTagOverride, TaggedAddresses)', async () => {
    await registerCatalog(consul, {
      Node: 'n1',
      Address: '10.0.0.1',
      NodeMeta: { 'external-source': 'kubernetes' },
      Service: {
        ID: 'web-1',
        Service: 'web',
        Port: 80,
        Weights: { Passing: 5, Warning: 1 },
        EnableTagOverride: true,
        TaggedAddresses: { lan: { Address: '10.0.0.1', Port: 80 } },
      },
    });
    const { value } = await readNodeServices(consul, 'n1');
    expect(value.node?.Meta).toEqual({ 'external-source': 'kubernetes' });
    expect(value.services[0]).toMatchObject({ Weights: { Passing: 5, Warning: 1 }, EnableTagOverride: true });
    await deregisterCatalog(consul, { Node: 'n1', ServiceID: 'web-1' });
    expect((await readNodeServices(consul, 'n1')).value.services).toEqual([]);
  });

  it('a blocking read returns when the data moves, with the new index', async () => {
    double.seed.register({ Node: 'n1', Address: '10.0.0.1' });
    const first = await readCatalogServices(consul);
    const pending = readCatalogServices(consul, { index: first.index, waitMs: 10_000 });
    double.seed.register({ Node: 'n1', Address: '10.0.0.1', Service: { Service: 'api', Tags: ['x'] } });
    const next = await pending;
    expect(BigInt(next.index)).toBeGreaterThan(BigInt(first.index));
    expect(next.value).toEqual({ api: ['x'] });
    expect(double.requests.entries.at(-1)?.query).toMatchObject({ index: first.index, wait: '10000ms' });
  });

  it('readHealthService passes ?passing and ?tag', async () => {
    double.seed.register({
      Node: 'n1',
      Address: '10.0.0.1',
      Service: { ID: 'a', Service: 'svc', Tags: ['blue'] },
      Check: { CheckID: 'a-ok', Name: 'ok', ServiceID: 'a', Status: 'passing' },
    });
    double.seed.register({
      Node: 'n2',
      Address: '10.0.0.2',
      Service: { ID: 'b', Service: 'svc', Tags: ['green'] },
      Check: { CheckID: 'b-ok', Name: 'ok', ServiceID: 'b', Status: 'critical' },
    });
    // An instance without any check counts as passing, as in Consul.
    double.seed.register({ Node: 'n3', Address: '10.0.0.3', Service: { ID: 'c', Service: 'svc' } });
    expect((await readHealthService(consul, 'svc')).value.map((e) => e.Service.ID)).toEqual(['a', 'b', 'c']);
    expect(
      (await readHealthService(consul, 'svc', { passing: true })).value.map((e) => e.Service.ID),
    ).toEqual(['a', 'c']);
    expect((await readHealthService(consul, 'svc', { tag: 'green' })).value.map((e) => e.Service.ID)).toEqual(
      ['b'],
    );
  });

  function serviceOps(count: number, node = 'n1'): CatalogTxnOp[] {
    return Array.from({ length: count }, (_, i) => ({
      Service: { Verb: 'set' as const, Node: node, Service: { ID: `svc-${i}`, Service: 'bulk', Port: i } },
    }));
  }

  it('applyCatalogTxn sends ceil(n/64) transactions, in order', async () => {
    double.seed.register({ Node: 'n1', Address: '10.0.0.1' });
    const result = await applyCatalogTxn(consul, serviceOps(130));
    expect(result.transactions).toBe(3);
    expect(result.results).toHaveLength(130);
    expect(double.requests.writes().map((w) => w.path)).toEqual(['/v1/txn', '/v1/txn', '/v1/txn']);
    expect(double.state.services.get('n1')?.size).toBe(130);
    expect(await applyCatalogTxn(consul, [])).toEqual({ transactions: 0, results: [] });
  });

  it('a failing batch reports what earlier batches committed and op indexes into the whole list', async () => {
    double.seed.register({ Node: 'n1', Address: '10.0.0.1' });
    const ops = serviceOps(100);
    ops[70] = { Service: { Verb: 'set', Node: 'missing-node', Service: { ID: 'x', Service: 'bulk' } } };
    const error = (await applyCatalogTxn(consul, ops).catch((e: unknown) => e)) as ConsulError;
    expect(error).toBeInstanceOf(ConsulError);
    expect(error).toMatchObject({ statusCode: 409, kind: 'bad-request', committedOps: 64 });
    expect(error.opErrors).toEqual([{ OpIndex: 70, What: 'Missing node registration' }]);
    expect(double.state.services.get('n1')?.size).toBe(64);
  });

  it('5xx and refused connections are transient', async () => {
    double.faults.failNext(1, { status: 503, body: 'rate limited' });
    const unavailable = (await readNodeServices(consul, 'n1').catch((e: unknown) => e)) as ConsulError;
    expect(unavailable).toMatchObject({ kind: 'transient', statusCode: 503 });
    const closed = await startConsulDouble();
    const port = closed.port;
    await closed.stop();
    const nowhere = createConsulClient(consulConfigFromEnv({ CONSUL_HTTP_ADDR: `127.0.0.1:${port}` }));
    try {
      const refused = (await readCatalogServices(nowhere).catch((e: unknown) => e)) as ConsulError;
      expect(refused).toMatchObject({ kind: 'transient', statusCode: undefined });
      expect(refused.message).toBe('consul catalog.services: network error (ECONNREFUSED)');
    } finally {
      nowhere.destroy();
    }
  });

  it('the datacenter override is sent as ?dc=', async () => {
    const other = createConsulClient(
      consulConfigFromEnv(double.env('s3cret-token-value'), { datacenter: 'dc9' }),
    );
    try {
      const error = (await readCatalogServices(other).catch((e: unknown) => e)) as ConsulError;
      expect(error.message).toBe('consul catalog.services: HTTP 500: No path to datacenter');
      expect(double.requests.entries.at(-1)?.query.dc).toBe('dc9');
    } finally {
      other.destroy();
    }
  });
});
