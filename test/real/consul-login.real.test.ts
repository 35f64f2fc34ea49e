/**
 * ACL login through an auth method against a real Consul with ACLs (default deny): a JWT auth
 * method that trusts a key made here, a Kubernetes auth method that reviews service-account tokens
 * with a real kube-apiserver, binding rules that give the login a role with node:write and
 * service:write, and the registrar's login, renewal and logout. The answers of /v1/acl/login
 * and /v1/acl/logout are compared with the Consul double's, so the double keeps Consul's wording.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { loadKubeConfig } from '../../core/kube/config';
import { createLogger } from '../../core/runtime';
import { parseRegistrarConfig } from '../../registrar/config';
import { consulFromEnv, startRegistrar } from '../../registrar/main';
import { startConsulDouble, type ConsulDouble } from '../support/consul';
import { createJwtSigner } from '../support/jwt';
import { eventually } from '../support/wait';
import { startRealConsul, type RealConsul } from './servers/consul';
import { startRealKube, type RealKube } from './servers/kube';

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

describe('the registrar with --acl-auth-method through a Kubernetes auth method (real kube-apiserver)', () => {
  const NS = 'consul-k8s-gitops';
  const SA = 'consul-k8s-gitops-registrar';
  const K8S_METHOD = 'consul-k8s-component-auth-method';
  let kube: RealKube;
  let saTokenFile: string;

  beforeAll(async () => {
    kube = await startRealKube();
    await ok(kube.api('POST', '/api/v1/namespaces', { metadata: { name: NS } }).then(created), 'namespace');
    await ok(
      kube.api('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { metadata: { name: SA } }).then(created),
      'service account',
    );
    // Consul's reviewer, as consul-k8s's chart sets it up: TokenReview and reading ServiceAccounts.
    const reviewer = 'consul-auth-method';
    await ok(
      kube
        .api('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { metadata: { name: reviewer } })
        .then(created),
      'reviewer service account',
    );
    await ok(
      kube
        .api('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
          metadata: { name: reviewer },
          rules: [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get'] }],
        })
        .then(created),
      'reviewer role',
    );
    for (const role of [reviewer, 'system:auth-delegator']) {
      await ok(
        kube
          .api('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
            metadata: { name: `${reviewer}-${role.replace(':', '-')}` },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
            subjects: [{ kind: 'ServiceAccount', name: reviewer, namespace: NS }],
          })
          .then(created),
        `reviewer binding ${role}`,
      );
    }
    await ok(
      consul.api('PUT', '/acl/auth-method', {
        Name: K8S_METHOD,
        Type: 'kubernetes',
        Config: {
          Host: kube.server,
          CACert: kube.caPem,
          ServiceAccountJWT: await kube.serviceAccountToken(NS, reviewer),
        },
      }),
      'kubernetes auth method',
    );
    await ok(
      consul.api('PUT', '/acl/binding-rule', {
        AuthMethod: K8S_METHOD,
        Selector: `serviceaccount.namespace == "${NS}" and serviceaccount.name == "${SA}"`,
        BindType: 'role',
        BindName: 'registrar-sync',
      }),
      'binding rule',
    );
    saTokenFile = join(dir, 'sa-token');
    writeFileSync(saTokenFile, await boundToken());
  });

  /** A token bound to a Secret, as a pod's projected token is bound to its pod: void once it is deleted. */
  async function boundToken(): Promise<string> {
    await ok(
      kube
        .api('POST', `/api/v1/namespaces/${NS}/secrets`, { metadata: { name: 'token-holder' } })
        .then(created),
      'token holder',
    );
    const res = await kube.api('POST', `/api/v1/namespaces/${NS}/serviceaccounts/${SA}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        expirationSeconds: 3600,
        boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'token-holder' },
      },
    });
    const token = (res.body as { status?: { token?: string } } | undefined)?.status?.token;
    if (res.status !== 201 || !token)
      throw new Error(`TokenRequest: ${res.status} ${JSON.stringify(res.body)}`);
    return token;
  }
  afterAll(async () => {
    await kube?.stop();
  });

  /** 201 Created counts as success for the Kubernetes calls. */
  function created(res: { status: number; body: unknown }) {
    return res.status === 201 ? { ...res, status: 200 } : res;
  }
  const addresses = async (name: string) => {
    const res = await consul.api('GET', `/catalog/service/${name}`);
    return (res.body as Array<{ ServiceAddress: string }>).map((s) => s.ServiceAddress);
  };
  const loginTokens = async () => {
    const res = await consul.api('GET', `/acl/tokens?authmethod=${K8S_METHOD}`);
    return (res.body as Array<{ AccessorID: string; Description: string }>) ?? [];
  };
  const createService = (name: string, ip: string) =>
    ok(
      kube
        .api('POST', '/api/v1/namespaces/default/services', {
          metadata: { name },
          spec: { externalIPs: [ip], ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
        })
        .then(created),
      `service ${name}`,
    );

  test('registers, logs in again (with a rotated service-account token) when its token is deleted, logs out on stop', async () => {
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
      { clusterId: 'real', aclAuthMethod: K8S_METHOD, consulLoginBearerTokenFile: saTokenFile },
      { POD_NAMESPACE: NS, POD_NAME: 'registrar-0' },
    );
    const env = consul.env();
    delete env.CONSUL_HTTP_TOKEN;
    const registrar = await startRegistrar(config, {
      logger,
      consul: consulFromEnv(config, env, logger),
      kubeConfig: loadKubeConfig({ kubeconfig: kube.adminKubeconfig }),
      serveHttp: false,
      controller: { debounceMs: 10, retry: { initialMs: 50, maxMs: 500 } },
    });
    const firstSaToken = readFileSync(saTokenFile, 'utf8');
    let rotatedSaToken = '';
    try {
      await createService('web', '1.1.1.1');
      await eventually(async () => (await addresses('web')).includes('1.1.1.1'), { timeoutMs: 20_000 });
      const [first, ...others] = await loginTokens();
      expect(others).toEqual([]);
      expect(first?.Description).toBe(
        `token created via login: {"component":"registrar","pod":"${NS}/registrar-0"}`,
      );

      // The pod is replaced in effect: its bound token is void; the file holds a fresh one.
      await ok(kube.api('DELETE', `/api/v1/namespaces/${NS}/secrets/token-holder`), 'token holder delete');
      // The API server notices through its caches, within moments (TokenReview, as Consul asks).
      await eventually(
        async () => {
          const review = await kube.api('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            spec: { token: firstSaToken },
          });
          return (review.body as { status?: { authenticated?: boolean } }).status?.authenticated !== true;
        },
        { timeoutMs: 15_000, what: 'the first token void' },
      );
      rotatedSaToken = await kube.serviceAccountToken(NS, SA);
      writeFileSync(saTokenFile, rotatedSaToken);
      await ok(consul.api('DELETE', `/acl/token/${first!.AccessorID}`), 'token delete');
      await createService('api', '2.2.2.2');
      await eventually(async () => (await addresses('api')).includes('2.2.2.2'), { timeoutMs: 20_000 });
      const renewed = await loginTokens();
      expect(renewed).toHaveLength(1);
      expect(renewed[0]!.AccessorID).not.toBe(first!.AccessorID);
    } finally {
      await registrar.stop();
    }
    expect(await loginTokens()).toEqual([]);
    const logs = lines.join('');
    expect(logs).toContain('Consul no longer knows our token: logged in again');
    expect(logs).not.toContain(firstSaToken);
    expect(logs).not.toContain(rotatedSaToken);
  });
});
