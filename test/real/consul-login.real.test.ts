/**
 * ACL login through an auth method against a real Consul with ACLs (default deny): a JWT auth
 * method that trusts a key made here, a binding rule that gives the login a role with node:write
 * and service:write, and the registrar's login, renewal and logout. The answers of /v1/acl/login
 * and /v1/acl/logout are compared with the Consul double's, so the double keeps Consul's wording.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  type ConsulClient,
  ConsulLoginSession,
  consulConfigFromEnv,
  createConsulClient,
  registerCatalog,
} from '../../core/consul';
import { createLogger } from '../../core/runtime';
import { parseRegistrarConfig } from '../../registrar/config';
import { consulFromEnv, startRegistrar } from '../../registrar/main';
import { startConsulDouble, type ConsulDouble } from '../support/consul';
import { createJwtSigner } from '../support/jwt';
import { KubeDouble } from '../support/kube';
import { eventually } from '../support/wait';
import { startRealConsul, type RealConsul } from './servers/consul';

const METHOD = 'registrar-jwt';
const SUBJECT = 'system:serviceaccount:consul-k8s-gitops:consul-k8s-gitops-registrar';

let consul: RealConsul;
let double: ConsulDouble;
let dir: string;
let bearerFile: string;
let bearer: string;
const clients: ConsulClient[] = [];

async function ok(answer: Promise<{ status: number; body: unknown }>, what: string): Promise<unknown> {
  const { status, body } = await answer;
  if (status !== 200) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
  return body;
}

beforeAll(async () => {
  consul = await startRealConsul({ acl: true });
  const signer = createJwtSigner();
  const now = Math.floor(Date.now() / 1000);
  bearer = signer.sign({ iss: 'test', sub: SUBJECT, aud: 'consul', iat: now, exp: now + 3600 });
  dir = mkdtempSync(join(tmpdir(), 'consul-login-real-'));
  bearerFile = join(dir, 'token');
  writeFileSync(bearerFile, `${bearer}\n`);

  const jwtMethod = (name: string) => ({
    Name: name,
    Type: 'jwt',
    Config: {
      JWTValidationPubKeys: [signer.publicKeyPem],
      BoundAudiences: ['consul'],
      ClaimMappings: { sub: 'subject' },
    },
  });
  await ok(consul.api('PUT', '/acl/auth-method', jwtMethod(METHOD)), 'auth method');
  await ok(consul.api('PUT', '/acl/auth-method', jwtMethod('no-binding')), 'auth method');
  await ok(
    consul.api('PUT', '/acl/policy', {
      Name: 'registrar-sync',
      Rules: 'node_prefix "" { policy = "write" }\nservice_prefix "" { policy = "write" }',
    }),
    'policy',
  );
  await ok(
    consul.api('PUT', '/acl/role', { Name: 'registrar-sync', Policies: [{ Name: 'registrar-sync' }] }),
    'role',
  );
  await ok(
    consul.api('PUT', '/acl/binding-rule', {
      AuthMethod: METHOD,
      Selector: `value.subject == "${SUBJECT}"`,
      BindType: 'role',
      BindName: 'registrar-sync',
    }),
    'binding rule',
  );

  double = await startConsulDouble({
    acl: {
      enabled: true,
      defaultPolicy: 'deny',
      tokens: [{ secretId: 'static-secret', rules: { management: true } }],
      authMethods: [
        {
          name: METHOD,
          validate: (token) => (token === bearer ? undefined : 'error validating claims'),
          rules: { servicePrefix: { '': 'write' }, nodePrefix: { '': 'write' } },
        },
        { name: 'no-binding', validate: () => undefined },
      ],
    },
  });
});

afterAll(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await double?.stop();
  await consul?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A client with no token of its own (the login provides one). */
function client(): ConsulClient {
  const env = consul.env();
  delete env.CONSUL_HTTP_TOKEN;
  const created = createConsulClient(consulConfigFromEnv(env));
  clients.push(created);
  return created;
}

/** Consul's (or the double's) answer as status and text. */
async function answer(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}/v1${path}`, {
    method,
    headers: options.token ? { 'X-Consul-Token': options.token } : {},
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { status: res.status, text: (await res.text()).trim() };
}

describe('/v1/acl/login and /v1/acl/logout: the double answers as Consul 1.16.1', () => {
  const servers = () => [
    { name: 'real', base: `http://${consul.address}`, staticToken: consul.managementToken! },
    { name: 'double', base: double.url, staticToken: 'static-secret' },
  ];

  test.each([
    ['an unknown auth method', 'POST', '/acl/login', { AuthMethod: 'nope', BearerToken: 'x' }],
    ['no binding rule matching', 'POST', '/acl/login', { AuthMethod: 'no-binding', BearerToken: '$bearer' }],
    ['a namespace on OSS', 'POST', '/acl/login?ns=team', { AuthMethod: METHOD, BearerToken: '$bearer' }],
    ['a partition on OSS', 'POST', '/acl/login?partition=p1', { AuthMethod: METHOD, BearerToken: '$bearer' }],
    ['PUT', 'PUT', '/acl/login', { AuthMethod: METHOD, BearerToken: '$bearer' }],
    ['logout without a token', 'POST', '/acl/logout', undefined],
    ['logout with an unknown token', 'POST', '/acl/logout', 'unknown-token'],
    ['logout of a token not made by a login', 'POST', '/acl/logout', 'static'],
    ['logout with PUT', 'PUT', '/acl/logout', 'static'],
  ] as const)('%s', async (_, method, path, given) => {
    const answers = [];
    for (const server of servers()) {
      const options =
        typeof given === 'string'
          ? { token: given === 'static' ? server.staticToken : given }
          : given === undefined
            ? {}
            : {
                body: { ...given, BearerToken: given.BearerToken === '$bearer' ? bearer : given.BearerToken },
              };
      answers.push(await answer(server.base, method, path, options));
    }
    expect(answers[1]).toEqual(answers[0]);
  });

  test('login: 200 with the token (its Description carries the meta), a request token ignored; logout: 200, then "ACL not found"', async () => {
    for (const server of servers()) {
      const login = await answer(server.base, 'POST', '/acl/login', {
        body: { AuthMethod: METHOD, BearerToken: bearer, Meta: { pod: 'ns/p', component: 'registrar' } },
        token: 'not-a-known-token',
      });
      expect([server.name, login.status]).toEqual([server.name, 200]);
      const token = JSON.parse(login.text) as Record<string, unknown>;
      expect(token).toMatchObject({
        AuthMethod: METHOD,
        Local: true,
        Description: 'token created via login: {"component":"registrar","pod":"ns/p"}',
      });
      const secret = token.SecretID as string;
      expect(await answer(server.base, 'POST', '/acl/logout', { token: secret })).toEqual({
        status: 200,
        text: 'true',
      });
      expect(await answer(server.base, 'POST', '/acl/logout', { token: secret })).toEqual({
        status: 403,
        text: 'ACL not found',
      });
      expect(
        await answer(server.base, 'PUT', '/catalog/register', {
          token: secret,
          body: { Node: 'n', Address: '10.0.0.1' },
        }),
      ).toEqual({ status: 403, text: 'ACL not found' });
    }
  });
});

describe('the login session against real Consul', () => {
  const settings = (authMethod = METHOD) => ({
    authMethod,
    bearerTokenFile: bearerFile,
    meta: { component: 'registrar' },
  });
  const write = (c: ConsulClient, node: string) => registerCatalog(c, { Node: node, Address: '10.0.0.9' });

  test('login -> writes succeed; token deleted -> one fresh login and the retry succeeds; stop -> logged out', async () => {
    const c = client();
    const renewals: string[] = [];
    const session = await ConsulLoginSession.start({
      consul: c,
      settings: settings(),
      onLogin: (accessor, renewal) => renewal && renewals.push(accessor),
    });
    const first = session.accessorId;
    await write(c, 'k8s-login-1');
    const token = (await ok(consul.api('GET', `/acl/token/${first}`), 'token read')) as Record<
      string,
      unknown
    >;
    expect(token).toMatchObject({ AuthMethod: METHOD, Roles: [{ Name: 'registrar-sync' }] });

    await ok(consul.api('DELETE', `/acl/token/${first}`), 'token delete');
    await expect(write(c, 'k8s-login-2')).rejects.toThrow('HTTP 403: ACL not found');
    await eventually(() => renewals.length === 1, { what: 'a fresh login' });
    expect(session.accessorId).not.toBe(first);
    await write(c, 'k8s-login-2');

    const second = session.accessorId;
    await session.stop();
    expect(await consul.api('GET', `/acl/token/${second}`)).toEqual({
      status: 403,
      body: 'token does not exist: ACL not found',
    });
  });

  test("a refusal fails the start with Consul's reason, never the bearer token", async () => {
    const refused = ConsulLoginSession.start({ consul: client(), settings: settings('no-binding') });
    await expect(refused).rejects.toThrow(
      'Consul login through auth method "no-binding" failed: consul acl.login: HTTP 403: Permission denied',
    );
    writeFileSync(join(dir, 'garbage'), 'not-a-jwt');
    const garbage = ConsulLoginSession.start({
      consul: client(),
      settings: { ...settings(), bearerTokenFile: join(dir, 'garbage') },
      startup: { maxAttempts: 1 },
    });
    const error = (await garbage.catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(
      /^Consul login through auth method "registrar-jwt" failed: .*HTTP 500: error parsing token/,
    );
    expect(error.message).not.toContain('not-a-jwt');
  });
});

test('the registrar with --acl-auth-method: registers, survives its token being deleted, logs out on stop', async () => {
  const kube = await KubeDouble.start();
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    component: 'registrar',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  });
  const config = parseRegistrarConfig(
    { clusterId: 'real', aclAuthMethod: METHOD, consulLoginBearerTokenFile: bearerFile },
    { POD_NAMESPACE: 'consul-k8s-gitops', POD_NAME: 'registrar-0' },
  );
  const env = consul.env();
  delete env.CONSUL_HTTP_TOKEN;
  const registrar = await startRegistrar(config, {
    logger,
    consul: consulFromEnv(config, env, logger),
    kubeConfig: kube.kubeConfig({ skipTLSVerify: true }),
    serveHttp: false,
    controller: { debounceMs: 10, retry: { initialMs: 50, maxMs: 500 } },
  });
  const addresses = async (name: string) => {
    const res = await consul.api('GET', `/catalog/service/${name}`);
    return (res.body as Array<{ ServiceAddress: string }>).map((s) => s.ServiceAddress);
  };
  const loginTokens = async () => {
    const res = await consul.api('GET', `/acl/tokens?authmethod=${METHOD}`);
    return (res.body as Array<{ AccessorID: string; Description: string }>) ?? [];
  };
  try {
    const service = (name: string, ip: string) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'default' },
      spec: { externalIPs: [ip], ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
    });
    kube.create(service('web', '1.1.1.1'));
    await eventually(async () => (await addresses('web')).includes('1.1.1.1'), { timeoutMs: 15_000 });
    const [first, ...others] = await loginTokens();
    expect(others).toEqual([]);
    expect(first?.Description).toBe(
      'token created via login: {"component":"registrar","pod":"consul-k8s-gitops/registrar-0"}',
    );

    await ok(consul.api('DELETE', `/acl/token/${first!.AccessorID}`), 'token delete');
    kube.create(service('api', '2.2.2.2'));
    await eventually(async () => (await addresses('api')).includes('2.2.2.2'), { timeoutMs: 15_000 });
    const renewed = await loginTokens();
    expect(renewed).toHaveLength(1);
    expect(renewed[0]!.AccessorID).not.toBe(first!.AccessorID);
  } finally {
    await registrar.stop();
    await kube.close();
  }
  expect(await loginTokens()).toEqual([]);
  const logs = lines.join('');
  expect(logs).toContain('Consul no longer knows our token: logged in again');
  expect(logs).not.toContain(bearer);
});
