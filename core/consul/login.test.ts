import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AclRules, startConsulDouble, type ConsulDouble } from '../../test/support/consul';
import { eventually } from '../../test/support/wait';
import { registerCatalog } from './catalog-writes';
import { clientToken, createConsulClient, type ConsulClient } from './client';
import { consulConfigFromEnv } from './config';
import { ConsulLoginError, ConsulLoginSession, consulLogin } from './login';
import type { ConsulLoginSettings } from './login-settings';

const WRITE_ALL: AclRules = { servicePrefix: { '': 'write' }, nodePrefix: { '': 'write' } };
const BEARER = 'sa-token-aaaaaaaa';

describe('ACL login against the Consul double', () => {
  let consul: ConsulDouble;
  let dir: string;
  let bearerFile: string;
  let accepted: Set<string>;
  const clients: ConsulClient[] = [];
  const sessions: ConsulLoginSession[] = [];

  beforeEach(async () => {
    accepted = new Set([BEARER]);
    consul = await startConsulDouble({
      acl: {
        enabled: true,
        defaultPolicy: 'deny',
        authMethods: [
          {
            name: 'k8s',
            validate: (bearer) => (accepted.has(bearer) ? undefined : 'lookup failed: token is not valid'),
            rules: WRITE_ALL,
          },
          { name: 'no-binding', validate: () => undefined },
        ],
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'consul-login-'));
    bearerFile = join(dir, 'token');
    writeFileSync(bearerFile, `${BEARER}\n`);
  });
  afterEach(async () => {
    for (const session of sessions.splice(0)) await session.stop();
    for (const client of clients.splice(0)) client.destroy();
    await consul.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function client(): ConsulClient {
    const created = createConsulClient(consulConfigFromEnv(consul.env()));
    clients.push(created);
    return created;
  }
  function settings(overrides: Partial<ConsulLoginSettings> = {}): ConsulLoginSettings {
    return { authMethod: 'k8s', bearerTokenFile: bearerFile, meta: { pod: 'ns/pod-1' }, ...overrides };
  }
  async function start(
    consulClient: ConsulClient,
    extra: Partial<Parameters<typeof ConsulLoginSession.start>[0]> = {},
  ): Promise<ConsulLoginSession> {
    const session = await ConsulLoginSession.start({ consul: consulClient, settings: settings(), ...extra });
    sessions.push(session);
    return session;
  }
  const write = (c: ConsulClient) => registerCatalog(c, { Node: 'k8s-sync', Address: '127.0.0.1' });
  const logins = () => consul.requests.count((e) => e.path === '/v1/acl/login');

  test('logs in with the bearer token and meta, without sending a token; Consul returns a login token', async () => {
    const token = await consulLogin(client(), settings());
    const [made] = consul.acl.loginTokens();
    expect(made).toMatchObject({
      accessorId: token.accessorId,
      authMethod: 'k8s',
      description: 'token created via login: {"pod":"ns/pod-1"}',
    });
    expect(token.secretId).toBe(made!.secretId);
    expect(JSON.stringify(token)).not.toContain(made!.secretId);
    expect(consul.requests.entries.find((e) => e.path === '/v1/acl/login')?.hasToken).toBe(false);
  });

  test('reads the bearer token file again for every login (rotated service-account tokens)', async () => {
    const c = client();
    await consulLogin(c, settings());
    accepted = new Set(['sa-token-rotated']);
    writeFileSync(bearerFile, 'sa-token-rotated\n');
    await expect(consulLogin(c, settings())).resolves.toHaveProperty('accessorId');
  });

  test.each<[string, Partial<ConsulLoginSettings>, string, boolean]>([
    ['an unknown auth method', { authMethod: 'nope' }, 'ACL not found: auth method "nope" not found', false],
    ['no binding rule matching', { authMethod: 'no-binding' }, 'HTTP 403: Permission denied', false],
    ['a namespace on Consul OSS', { namespace: 'team' }, 'Namespaces are a Consul Enterprise feature', false],
    ['the datacenter unknown', { datacenter: 'dc9' }, 'No path to datacenter', true],
  ])(
    "%s: a ConsulLoginError naming the auth method and Consul's reason",
    async (_, overrides, reason, retryable) => {
      const error = await consulLogin(client(), settings(overrides)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConsulLoginError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^Consul login through auth method "${overrides.authMethod ?? 'k8s'}" failed: consul acl\\.login`,
        ),
      );
      expect((error as Error).message).toContain(reason);
      expect((error as ConsulLoginError).retryable).toBe(retryable);
    },
  );

  test('a refused bearer token: the reason, never the bearer token itself', async () => {
    writeFileSync(bearerFile, 'sa-token-unknown-zzzz');
    consul.acl.setAuthMethod({
      name: 'k8s',
      validate: (bearer) => `token ${bearer} is not valid`,
      rules: WRITE_ALL,
    });
    const error = (await consulLogin(client(), settings()).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('HTTP 500: token [REDACTED] is not valid');
    expect(error.message).not.toContain('sa-token-unknown-zzzz');
  });

  test('an unreadable or empty bearer token file names the flag and the path', async () => {
    await expect(consulLogin(client(), settings({ bearerTokenFile: join(dir, 'missing') }))).rejects.toThrow(
      `Consul login through auth method "k8s" failed: --consul-login-bearer-token-file: cannot read "${join(dir, 'missing')}" (ENOENT)`,
    );
    writeFileSync(bearerFile, ' \n');
    await expect(consulLogin(client(), settings())).rejects.toThrow(`"${bearerFile}" is empty`);
    expect(logins()).toBe(0);
  });

  test('a session: every request carries the login token; stop() logs out and the token is gone', async () => {
    const c = client();
    const loggedIn: string[] = [];
    const session = await start(c, { onLogin: (accessor) => loggedIn.push(accessor) });
    expect(loggedIn).toEqual([session.accessorId]);
    await write(c);
    expect(consul.state.nodes.has('k8s-sync')).toBe(true);
    expect(consul.acl.loginTokens()).toHaveLength(1);
    await session.stop();
    expect(consul.acl.loginTokens()).toHaveLength(0);
    expect(consul.requests.entries.at(-1)).toMatchObject({
      path: '/v1/acl/logout',
      status: 200,
      hasToken: true,
    });
  });

  test('startup retries network failures and 5xx, and gives up at once on a refusal', async () => {
    consul.faults.failNext(2, { match: (r) => r.path === '/v1/acl/login' });
    const retries: string[] = [];
    await start(client(), { startup: { initialMs: 5, maxMs: 10 }, onError: (m) => retries.push(m) });
    expect(logins()).toBe(3);
    expect(retries).toHaveLength(2);
    expect(retries[0]).toContain('HTTP 500: No cluster leader (attempt 1;');

    consul.requests.clear();
    const refused = ConsulLoginSession.start({
      consul: client(),
      settings: settings({ authMethod: 'no-binding' }),
      startup: { initialMs: 5, maxMs: 10 },
    });
    await expect(refused).rejects.toThrow('Consul login through auth method "no-binding" failed');
    expect(logins()).toBe(1);
  });

  test('token gone (403 "ACL not found"): one fresh login, then requests succeed with the new token', async () => {
    const c = client();
    const renewed: string[] = [];
    const session = await start(c, { onLogin: (accessor, renewal) => renewal && renewed.push(accessor) });
    const first = consul.acl.loginTokens()[0]!;
    consul.acl.removeToken(first.secretId);
    // Several requests fail together; they cause one login between them.
    const failures = await Promise.allSettled([write(c), write(c), write(c)]);
    expect(failures.every((f) => f.status === 'rejected')).toBe(true);
    await eventually(() => renewed.length === 1);
    expect(logins()).toBe(2);
    expect(session.accessorId).not.toBe(first.accessorId);
    expect(clientToken(c)).toBe(consul.acl.loginTokens()[0]!.secretId);
    await write(c);
    expect(logins()).toBe(2);
  });

  test('a token that keeps vanishing: renewals back off; a successful request resets the delay', async () => {
    const c = client();
    const errors: string[] = [];
    await start(c, {
      renewBackoff: { initialMs: 1000, maxMs: 1000, random: () => 1 },
      onError: (m) => errors.push(m),
    });
    const revokeAndFail = async () => {
      for (const t of consul.acl.loginTokens()) consul.acl.removeToken(t.secretId);
      await write(c).catch(() => undefined);
    };
    await revokeAndFail();
    await eventually(() => logins() === 2); // the first renewal: at once
    await revokeAndFail();
    const before = Date.now();
    await eventually(() => logins() === 3, { timeoutMs: 4000 });
    expect(Date.now() - before).toBeGreaterThanOrEqual(950); // the second: after the delay
    await write(c); // success: the next renewal is immediate again
    await revokeAndFail();
    const reset = Date.now();
    await eventually(() => logins() === 4);
    expect(Date.now() - reset).toBeLessThan(800); // well under the 1 s delay
    expect(errors).toEqual([]);
  });

  test('a failed renewal is reported (without tokens); the next "ACL not found" tries again', async () => {
    const c = client();
    const errors: string[] = [];
    await start(c, { renewBackoff: { initialMs: 1, maxMs: 1 }, onError: (m) => errors.push(m) });
    for (const t of consul.acl.loginTokens()) consul.acl.removeToken(t.secretId);
    accepted.clear();
    await write(c).catch(() => undefined);
    await eventually(() => errors.length === 1);
    expect(errors[0]).toContain(
      'Consul login through auth method "k8s" failed: consul acl.login: HTTP 500: lookup failed',
    );
    expect(errors[0]).toContain('logging in again at the next "ACL not found"');
    expect(errors[0]).not.toContain(BEARER);
    accepted.add(BEARER);
    await write(c).catch(() => undefined);
    await eventually(() => consul.acl.loginTokens().length === 1);
    await write(c);
  });

  test('after stop(), "ACL not found" answers no longer log in', async () => {
    const c = client();
    const session = await start(c);
    await session.stop();
    await expect(write(c)).rejects.toThrow('ACL not found');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(logins()).toBe(1);
  });

  test('a failed logout is reported, not thrown', async () => {
    const errors: string[] = [];
    const session = await start(client(), { onError: (m) => errors.push(m) });
    for (const t of consul.acl.loginTokens()) consul.acl.removeToken(t.secretId);
    await session.stop();
    expect(errors).toEqual([
      `could not log out of Consul (token ${session.accessorId}): consul acl.logout: HTTP 403: ACL not found`,
    ]);
  });
});
