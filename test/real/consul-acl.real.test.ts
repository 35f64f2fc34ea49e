/**
 * The ACL half of the Consul contract (test/contract/consul.test.ts runs it on the double), against
 * a real Consul with ACLs on, default deny, and tokens made through the ACL API.
 */
import {
  applyCatalogTxn,
  consulConfigFromEnv,
  ConsulError,
  createConsulClient,
  readCatalogServices,
  registerCatalog,
  toConsulError,
  type ConsulClient,
} from '../../core/consul';
import { startRealConsul, type RealConsul } from './servers/consul';

let consul: RealConsul;
let writer: { secretId: string; accessorId: string };
let reader: { secretId: string; accessorId: string };

beforeAll(async () => {
  consul = await startRealConsul({ acl: true });
  writer = await consul.createToken(
    'node_prefix "k8s-" { policy = "write" }\nservice_prefix "web" { policy = "write" }\nservice_prefix "" { policy = "read" }',
  );
  reader = await consul.createToken(
    'node_prefix "" { policy = "read" }\nservice_prefix "web-" { policy = "read" }',
  );
  const seeded = await consul.api('PUT', '/catalog/register', {
    Node: 'k8s-node',
    Address: '10.1.0.1',
    Service: { ID: 'web-public-1', Service: 'web-public' },
  });
  expect(seeded.status).toBe(200);
});

afterAll(async () => {
  await consul?.stop();
});

function clientWith(token?: string): ConsulClient {
  const env = consul.env(token);
  if (!token) delete env.CONSUL_HTTP_TOKEN;
  return createConsulClient(consulConfigFromEnv(env));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

test('accepts the token from X-Consul-Token, Authorization: Bearer and ?token=; an unknown token is 403 "ACL not found"', async () => {
  const url = `http://${consul.address}/v1/catalog/services`;
  const ways: Array<{ url: string; headers: Record<string, string> }> = [
    { url, headers: { 'X-Consul-Token': reader.secretId } },
    { url, headers: { Authorization: `Bearer ${reader.secretId}` } },
    { url: `${url}?token=${reader.secretId}`, headers: {} },
  ];
  for (const init of ways) {
    const res = await fetch(init.url, { headers: init.headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ 'web-public': [] });
  }
  const unknown = await fetch(url, { headers: { 'X-Consul-Token': 'nope' } });
  expect(unknown.status).toBe(403);
  expect(await unknown.text()).toBe('ACL not found');
});

test('filters reads to what the token may see and says so in X-Consul-Results-Filtered-By-ACLs (never to an anonymous request)', async () => {
  const client = clientWith(reader.secretId);
  const anonymous = clientWith();
  try {
    const result = await readCatalogServices(client);
    expect(result.value).toEqual({ 'web-public': [] });
    expect(result.filteredByAcls).toBe(true);
    const none = await readCatalogServices(anonymous);
    expect(none.value).toEqual({});
    // Consul masks the flag when no token is sent (agent/consul/rpc.go, maskResultsFilteredByACLs).
    expect(none.filteredByAcls).toBe(false);
  } finally {
    client.destroy();
    anonymous.destroy();
  }
});

test('denies writes with 403 worded as Consul does; the error is classified auth and never shows the token', async () => {
  const client = clientWith(writer.secretId);
  try {
    const error = await rejection(
      registerCatalog(client, {
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
      `Permission denied: token with AccessorID '${writer.accessorId}' lacks permission 'service:write' on "db"`,
    );
    expect(consulError.message).not.toContain(writer.secretId);

    const newNode = toConsulError(
      await rejection(registerCatalog(client, { Node: 'other-node', Address: '10.1.0.2' })),
      'x',
    );
    expect(newNode.message).toContain(`lacks permission 'node:write' on "other-node"`);

    await registerCatalog(client, {
      Node: 'k8s-node',
      Address: '10.1.0.1',
      Service: { ID: 'web-2', Service: 'web' },
    });
  } finally {
    client.destroy();
  }
});

test('a denied operation inside a transaction is a 409 per-op "Permission denied", classified auth', async () => {
  const client = clientWith(writer.secretId);
  try {
    const error = (await rejection(
      applyCatalogTxn(client, [
        { Service: { Verb: 'set', Node: 'k8s-node', Service: { ID: 'web-3', Service: 'web' } } },
        { Service: { Verb: 'set', Node: 'k8s-node', Service: { ID: 'db-3', Service: 'db' } } },
      ]),
    )) as ConsulError;
    expect(error.statusCode).toBe(409);
    expect(error.kind).toBe('auth');
    expect(error.opErrors).toEqual([
      { OpIndex: 1, What: expect.stringMatching(/^Permission denied: .*'service:write' on "db"$/) },
    ]);
    const services = await consul.api('GET', '/catalog/node-services/k8s-node');
    const ids = ((services.body as { Services?: Array<{ ID: string }> }).Services ?? []).map((s) => s.ID);
    expect(ids).not.toContain('web-3');
  } finally {
    client.destroy();
  }
});

test('mutual TLS: a Consul that requires client certificates serves the product client configured from CONSUL_* env', async () => {
  const secure = await startRealConsul({ tls: true });
  try {
    const client = createConsulClient(consulConfigFromEnv(secure.env()));
    try {
      const services = await readCatalogServices(client);
      expect(services.value).toHaveProperty('consul');
    } finally {
      client.destroy();
    }
    const withoutCert = secure.env();
    delete withoutCert.CONSUL_CLIENT_CERT;
    delete withoutCert.CONSUL_CLIENT_KEY;
    const anonymous = createConsulClient(consulConfigFromEnv(withoutCert));
    try {
      await expect(readCatalogServices(anonymous)).rejects.toThrow();
    } finally {
      anonymous.destroy();
    }
  } finally {
    await secure.stop();
  }
});
