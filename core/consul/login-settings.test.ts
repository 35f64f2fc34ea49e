import { ConsulConfigError } from './config';
import { DEFAULT_BEARER_TOKEN_FILE, loginSettingsFrom } from './login-settings';

describe('loginSettingsFrom', () => {
  it('is undefined without an auth method', () => {
    expect(loginSettingsFrom({}, {})).toBeUndefined();
  });

  it("defaults the bearer token to the pod's service-account token; the default meta comes first", () => {
    expect(loginSettingsFrom({ aclAuthMethod: 'k8s' }, {}, { component: 'registrar' })).toEqual({
      authMethod: 'k8s',
      bearerTokenFile: DEFAULT_BEARER_TOKEN_FILE,
      meta: { component: 'registrar' },
    });
  });

  it("reads consul-k8s's CONSUL_LOGIN_* variables; flags win; meta merges default < variable < flag", () => {
    const env = {
      CONSUL_LOGIN_AUTH_METHOD: 'from-env',
      CONSUL_LOGIN_BEARER_TOKEN_FILE: '/env/token',
      CONSUL_LOGIN_DATACENTER: 'dc2',
      CONSUL_LOGIN_PARTITION: 'p1',
      CONSUL_LOGIN_NAMESPACE: 'ns1',
      CONSUL_LOGIN_META: 'component=sync-catalog,pod=ns/pod-1',
    };
    expect(loginSettingsFrom({}, env, { component: 'registrar', team: 'a' })).toEqual({
      authMethod: 'from-env',
      bearerTokenFile: '/env/token',
      datacenter: 'dc2',
      partition: 'p1',
      namespace: 'ns1',
      meta: { component: 'sync-catalog', pod: 'ns/pod-1', team: 'a' },
    });
    const flags = {
      aclAuthMethod: 'from-flag',
      consulLoginBearerTokenFile: '/flag/token',
      consulLoginMeta: ['pod=ns/pod-2', 'url=a=b'],
    };
    expect(loginSettingsFrom(flags, env)).toMatchObject({
      authMethod: 'from-flag',
      bearerTokenFile: '/flag/token',
      meta: { component: 'sync-catalog', pod: 'ns/pod-2', url: 'a=b' },
    });
  });

  it("accepts consul-k8s 1.x's names as aliases; the same setting twice with different values is refused", () => {
    expect(loginSettingsFrom({ authMethodName: 'k8s', aclBearerTokenFile: '/t' }, {})).toMatchObject({
      authMethod: 'k8s',
      bearerTokenFile: '/t',
    });
    expect(loginSettingsFrom({ authMethodName: 'k8s', aclAuthMethod: 'k8s' }, {})?.authMethod).toBe('k8s');
    expect(() => loginSettingsFrom({ authMethodName: 'a', aclAuthMethod: 'b' }, {})).toThrow(
      '--acl-auth-method, --auth-method-name: the same setting given twice with different values',
    );
  });

  it.each([
    [{ consulLoginMeta: ['a=b'] }, {}, '--consul-login-meta: only used with --acl-auth-method'],
    [{ aclAuthMethod: 'bad name' }, {}, '--acl-auth-method: "bad name": expected letters, digits'],
    [
      { aclAuthMethod: 'k8s', consulLoginMeta: ['novalue'] },
      {},
      '--consul-login-meta: "novalue" is not key=value',
    ],
    [{ aclAuthMethod: 'k8s' }, { CONSUL_LOGIN_META: 'a=b,=c' }, 'CONSUL_LOGIN_META: "=c" is not key=value'],
    [{ aclAuthMethod: 'k8s', consulLoginDatacenter: 'dc 1' }, {}, '--consul-login-datacenter: "dc 1"'],
  ])('refuses %j %j', (raw, env, message) => {
    expect(() => loginSettingsFrom(raw, env)).toThrow(ConsulConfigError);
    expect(() => loginSettingsFrom(raw, env)).toThrow(message);
  });
});
