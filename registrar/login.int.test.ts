/**
 * The registrar with `--acl-auth-method` end to end on the doubles: it logs in before any request,
 * logs in again when Consul no longer knows its token, and logs out on every way out.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../core/runtime';
import { consulFromEnv, purgeRegistrations } from './main';
import { parseRegistrarConfig } from './config';
import { converged, Harness, service } from '../test/support/registrar/harness';
import { eventually } from '../test/support/wait';

jest.setTimeout(20_000);

const BEARER = 'projected-sa-token-0123456789';
let h: Harness;
let dir: string;
let bearerFile: string;

beforeEach(async () => {
  h = await Harness.start({
    acl: {
      enabled: true,
      defaultPolicy: 'deny',
      authMethods: [
        {
          name: 'consul-k8s-component-auth-method',
          validate: (bearer) => (bearer === BEARER ? undefined : 'lookup failed: service account not found'),
          rules: { servicePrefix: { '': 'write' }, nodePrefix: { '': 'write' } },
        },
      ],
    },
  });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-login-'));
  bearerFile = path.join(dir, 'token');
  fs.writeFileSync(bearerFile, `${BEARER}\n`);
});
afterEach(async () => {
  await h.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const loginFlags = () => ({
  aclAuthMethod: 'consul-k8s-component-auth-method',
  consulLoginBearerTokenFile: bearerFile,
  consulLoginMeta: ['pod=consul-k8s-gitops/registrar-0'],
});

function secretsIn(text: string): string[] {
  return [BEARER, ...h.consul.acl.loginTokens().map((t) => t.secretId)].filter((s) => text.includes(s));
}

test('logs in before its first request, registers with the login token, logs out on stop', async () => {
  h.kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
  const registrar = await h.registrar(loginFlags());
  expect(h.consul.requests.entries[0]?.path).toBe('/v1/acl/login');
  await converged(registrar);
  expect(h.addresses('web')).toEqual(['1.1.1.1:80']);
  const [token] = h.consul.acl.loginTokens();
  expect(token?.description).toBe(
    'token created via login: {"component":"registrar","pod":"consul-k8s-gitops/registrar-0"}',
  );
  expect(h.consul.requests.entries.filter((e) => e.path !== '/v1/acl/login').every((e) => e.hasToken)).toBe(
    true,
  );
  const logs = JSON.stringify(registrar.logs);
  expect(logs).toContain(token!.accessorId);
  expect(secretsIn(logs)).toEqual([]);

  await registrar.stop();
  expect(h.consul.acl.loginTokens()).toEqual([]);
  expect(secretsIn(JSON.stringify(registrar.logs))).toEqual([]);
});

test('token deleted in Consul: the next write gets "ACL not found", a fresh login, and succeeds', async () => {
  h.kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
  const registrar = await h.registrar(loginFlags());
  await converged(registrar);
  const first = h.consul.acl.loginTokens()[0]!;
  h.consul.acl.removeToken(first.secretId);

  h.kube.create(service('api', { externalIPs: ['2.2.2.2'] }));
  await eventually(() => expect(h.addresses('api')).toEqual(['2.2.2.2:80']));
  const [second] = h.consul.acl.loginTokens();
  expect(second?.accessorId).not.toBe(first.accessorId);
  expect(h.consul.requests.count((e) => e.path === '/v1/acl/login')).toBe(2);
  expect(registrar.logs.some((l) => l.msg === 'Consul no longer knows our token: logged in again')).toBe(
    true,
  );
  expect(secretsIn(JSON.stringify(registrar.logs))).toEqual([]);
});

test('a refused login fails the start with the auth method and the reason, before any other request', async () => {
  await expect(h.registrar({ ...loginFlags(), aclAuthMethod: 'no-such-method' })).rejects.toThrow(
    'Consul login through auth method "no-such-method" failed: consul acl.login: HTTP 403: ACL not found: auth method "no-such-method" not found',
  );
  expect(h.consul.requests.entries.map((e) => e.path)).toEqual(['/v1/acl/login']);
});

test('a start that fails after the login logs out (no token left behind by a crash loop)', async () => {
  h.consul.seed.register({
    Node: 'k8s-sync-east',
    Address: '127.0.0.1',
    NodeMeta: { 'external-source': 'kubernetes', 'external-k8s-cluster-id': 'west' },
  });
  await expect(h.registrar(loginFlags())).rejects.toThrow('west');
  expect(h.consul.requests.count((e) => e.path === '/v1/acl/login')).toBe(1);
  expect(h.consul.acl.loginTokens()).toEqual([]);
});

test('--purge logs in, deregisters, and logs out', async () => {
  h.kube.create(service('web', { externalIPs: ['1.1.1.1'] }));
  const registrar = await h.registrar(loginFlags());
  await converged(registrar);
  await registrar.stop();
  const config = parseRegistrarConfig({ clusterId: 'east', ...loginFlags() }, {});
  const logger = createLogger({ level: 'silent', component: 'registrar' });
  const consul = consulFromEnv(config, h.consul.env(), logger);
  await expect(purgeRegistrations(config, consul, logger)).resolves.toMatchObject({ nodeDeleted: true });
  expect(h.instances()).toEqual([]);
  expect(h.consul.acl.loginTokens()).toEqual([]);
});
