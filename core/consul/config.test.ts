import { inspect } from 'node:util';
import { ConsulConfigError, consulConfigFromEnv, type ReadFile } from './config';

const files: Record<string, string> = {
  '/secrets/token': '  s3cr3t-from-file \n',
  '/secrets/empty': '\n',
  '/tls/ca.pem': 'CA PEM',
  '/tls/cert.pem': 'CERT PEM',
  '/tls/key.pem': 'KEY PEM',
};
const readFile: ReadFile = (path) => {
  const content = files[path];
  if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return content;
};
const load = (env: Record<string, string>, datacenter?: string) =>
  consulConfigFromEnv(env, datacenter === undefined ? {} : { datacenter }, readFile);

function errorOf(fn: () => unknown): ConsulConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConsulConfigError);
    return err as ConsulConfigError;
  }
  throw new Error('expected a ConsulConfigError');
}

describe('consulConfigFromEnv: address', () => {
  it.each([
    [{}, 'http', '127.0.0.1', 8500],
    [{ CONSUL_HTTP_ADDR: 'consul.example:8600' }, 'http', 'consul.example', 8600],
    [{ CONSUL_HTTP_ADDR: 'http://10.0.0.1:8500' }, 'http', '10.0.0.1', 8500],
    [{ CONSUL_HTTP_ADDR: 'https://consul.example:8501' }, 'https', 'consul.example', 8501],
    [{ CONSUL_HTTP_ADDR: 'https://consul.example' }, 'https', 'consul.example', 8501],
    [{ CONSUL_HTTP_ADDR: 'consul.example:8501', CONSUL_HTTP_SSL: 'true' }, 'https', 'consul.example', 8501],
    [
      { CONSUL_HTTP_ADDR: 'http://consul.example:8501', CONSUL_HTTP_SSL: '1' },
      'https',
      'consul.example',
      8501,
    ],
    [{ CONSUL_HTTP_ADDR: '[::1]:8500' }, 'http', '::1', 8500],
    [{ CONSUL_HTTP_ADDR: 'consul.example:8500/' }, 'http', 'consul.example', 8500],
  ])('%j -> %s://%s:%d', (env, scheme, host, port) => {
    const config = load(env as Record<string, string>);
    expect([config.scheme, config.host, config.port]).toEqual([scheme, host, port]);
  });

  it.each([
    'unix:///var/run/consul.sock',
    'ftp://x:1',
    'host:99999',
    'http://host:8500/v1',
    'a b:1',
    'user:pw@host:1',
  ])('rejects %s naming CONSUL_HTTP_ADDR', (addr) => {
    const error = errorOf(() => load({ CONSUL_HTTP_ADDR: addr }));
    expect(error.variable).toBe('CONSUL_HTTP_ADDR');
    expect(error.message).toMatch(/^CONSUL_HTTP_ADDR: /);
  });

  it.each([
    'user:s3cret@host:1',
    'https://user:s3cret@host:8501',
    'http://s3cret@host:8500/v1',
    'https://user:s3cret@ho st',
  ])('never shows credentials written into the address (%s)', (addr) => {
    const error = errorOf(() => load({ CONSUL_HTTP_ADDR: addr }));
    expect(error.message).not.toContain('s3cret');
    expect(error.message).toContain('[REDACTED]@');
  });
});

describe('consulConfigFromEnv: booleans', () => {
  it.each(['yes', 'on', ' true', 'enabled'])('rejects CONSUL_HTTP_SSL=%j', (value) => {
    const error = errorOf(() => load({ CONSUL_HTTP_SSL: value }));
    expect(error.variable).toBe('CONSUL_HTTP_SSL');
    expect(error.message).toContain(JSON.stringify(value));
  });

  it('CONSUL_HTTP_SSL_VERIFY=false disables verification; default verifies', () => {
    expect(load({ CONSUL_HTTP_SSL: 'true' }).tls.verify).toBe(true);
    expect(load({ CONSUL_HTTP_SSL: 'true', CONSUL_HTTP_SSL_VERIFY: 'false' }).tls.verify).toBe(false);
    expect(errorOf(() => load({ CONSUL_HTTP_SSL_VERIFY: 'nope' })).variable).toBe('CONSUL_HTTP_SSL_VERIFY');
  });
});

describe('consulConfigFromEnv: token', () => {
  it('reads CONSUL_HTTP_TOKEN', () => {
    const config = load({ CONSUL_HTTP_TOKEN: 'abc-123' });
    expect(config.token).toBe('abc-123');
    expect(config.tokenSource).toBe('CONSUL_HTTP_TOKEN');
  });

  it('a non-empty token file wins over CONSUL_HTTP_TOKEN (as in the Go client), trimmed', () => {
    const config = load({ CONSUL_HTTP_TOKEN: 'abc-123', CONSUL_HTTP_TOKEN_FILE: '/secrets/token' });
    expect(config.token).toBe('s3cr3t-from-file');
    expect(config.tokenSource).toBe('CONSUL_HTTP_TOKEN_FILE');
    expect(load({ CONSUL_HTTP_TOKEN: 'abc-123', CONSUL_HTTP_TOKEN_FILE: '/secrets/empty' }).token).toBe(
      'abc-123',
    );
  });

  it('an unreadable token file names the variable and the path, not a stack', () => {
    const error = errorOf(() => load({ CONSUL_HTTP_TOKEN_FILE: '/nope/token' }));
    expect(error.variable).toBe('CONSUL_HTTP_TOKEN_FILE');
    expect(error.message).toBe('CONSUL_HTTP_TOKEN_FILE: cannot read "/nope/token" (ENOENT)');
  });

  it('never shows the token in describe(), JSON or inspect', () => {
    const config = load({ CONSUL_HTTP_TOKEN_FILE: '/secrets/token', CONSUL_HTTP_ADDR: 'https://c:8501' });
    for (const text of [config.describe(), JSON.stringify(config), inspect(config, { depth: 5 })]) {
      expect(text).not.toContain('s3cr3t');
    }
    expect(config.describe()).toBe('https://c:8501 token=from CONSUL_HTTP_TOKEN_FILE tls(verify)');
  });
});

describe('consulConfigFromEnv: TLS files and datacenter', () => {
  it('reads CA, client certificate and key, and the server name', () => {
    const config = load({
      CONSUL_HTTP_ADDR: 'https://consul:8501',
      CONSUL_CACERT: '/tls/ca.pem',
      CONSUL_CLIENT_CERT: '/tls/cert.pem',
      CONSUL_CLIENT_KEY: '/tls/key.pem',
      CONSUL_TLS_SERVER_NAME: 'server.dc1.consul',
    });
    expect(config.tls).toEqual({
      ca: 'CA PEM',
      cert: 'CERT PEM',
      key: 'KEY PEM',
      serverName: 'server.dc1.consul',
      verify: true,
    });
    expect(config.describe()).toBe(
      'https://consul:8501 token=none tls(ca, client-cert, server-name=server.dc1.consul, verify)',
    );
  });

  it.each([
    [{ CONSUL_CACERT: '/tls/missing.pem' }, 'CONSUL_CACERT'],
    [{ CONSUL_CLIENT_CERT: '/tls/cert.pem' }, 'CONSUL_CLIENT_KEY'],
    [{ CONSUL_CLIENT_KEY: '/tls/key.pem' }, 'CONSUL_CLIENT_CERT'],
  ])('%j fails naming %s', (env, variable) => {
    expect(errorOf(() => load(env)).variable).toBe(variable);
  });

  it('takes the datacenter override and validates it', () => {
    expect(load({}, 'dc-2').datacenter).toBe('dc-2');
    expect(load({}, 'dc-2').describe()).toBe('http://127.0.0.1:8500 dc=dc-2 token=none');
    expect(errorOf(() => load({}, 'dc/2')).variable).toBe('--datacenter');
  });
});

describe('consulConfigFromEnv: Consul Enterprise namespace and partition', () => {
  it('keeps CONSUL_NAMESPACE and CONSUL_PARTITION; --partition wins; describe() shows them', () => {
    const config = consulConfigFromEnv({ CONSUL_NAMESPACE: 'team', CONSUL_PARTITION: 'east' }, {}, readFile);
    expect(config).toMatchObject({ namespace: 'team', partition: 'east' });
    expect(config.describe()).toBe('http://127.0.0.1:8500 partition=east ns=team token=none');
    expect(consulConfigFromEnv({ CONSUL_PARTITION: 'east' }, { partition: 'west' }, readFile).partition).toBe(
      'west',
    );
  });

  it.each([
    [{ CONSUL_NAMESPACE: 'a_b' }, {}, 'CONSUL_NAMESPACE'],
    [{ CONSUL_PARTITION: '-x' }, {}, 'CONSUL_PARTITION'],
    [{}, { partition: 'a.b' }, '--partition'],
  ])('a bad name %j %j is refused, naming %s', (env, overrides, variable) => {
    const error = errorOf(() => consulConfigFromEnv(env, overrides, readFile));
    expect(error.variable).toBe(variable);
    expect(error.message).toContain('is not a namespace or partition name');
  });
});
