import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConsulDouble, type ConsulDouble } from '../../test/support/consul';
import { createTestCa, type TestCa } from '../../test/support/pki';
import { readCatalogServices } from './catalog-reads';
import { createConsulClient } from './client';
import { consulConfigFromEnv } from './config';
import { ConsulError } from './errors';

/** HTTPS: the client built from CONSUL_* settings verifies Consul as the Go client does. */
describe('createConsulClient over HTTPS', () => {
  let ca: TestCa;
  let dir: string;
  let byIp: ConsulDouble;
  let byName: ConsulDouble;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    ca = createTestCa('consul double test CA');
    dir = mkdtempSync(join(tmpdir(), 'consul-tls-'));
    const ipCert = ca.issue({ commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'] });
    const nameCert = ca.issue({ commonName: 'server.dc1.consul', dnsNames: ['server.dc1.consul'] });
    files.ca = join(dir, 'ca.pem');
    writeFileSync(files.ca, ca.certPem);
    byIp = await startConsulDouble({ tls: { key: ipCert.keyPem, cert: ipCert.certPem } });
    byName = await startConsulDouble({ tls: { key: nameCert.keyPem, cert: nameCert.certPem } });
  });
  afterAll(async () => {
    await byIp?.stop();
    await byName?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function servicesWith(env: Record<string, string>): Promise<unknown> {
    const consul = createConsulClient(consulConfigFromEnv(env));
    try {
      return (await readCatalogServices(consul)).value;
    } finally {
      consul.destroy();
    }
  }

  it('verifies the server against CONSUL_CACERT', async () => {
    await expect(servicesWith({ ...byIp.env(), CONSUL_CACERT: files.ca! })).resolves.toEqual({});
  });

  it('refuses a server it cannot verify without the CA', async () => {
    const error = await servicesWith(byIp.env()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsulError);
    expect((error as ConsulError).message).toMatch(/certificate/i);
  });

  it('CONSUL_HTTP_SSL_VERIFY=false skips verification', async () => {
    await expect(servicesWith({ ...byIp.env(), CONSUL_HTTP_SSL_VERIFY: 'false' })).resolves.toEqual({});
  });

  it('CONSUL_TLS_SERVER_NAME checks the certificate against that name instead of the address', async () => {
    const env = { ...byName.env(), CONSUL_CACERT: files.ca! };
    const mismatch = await servicesWith(env).catch((e: unknown) => e);
    expect((mismatch as ConsulError).message).toMatch(/altnames|does not match/i);
    await expect(servicesWith({ ...env, CONSUL_TLS_SERVER_NAME: 'server.dc1.consul' })).resolves.toEqual({});
  });

  it('presents CONSUL_CLIENT_CERT/CONSUL_CLIENT_KEY to a Consul that requires client certificates', async () => {
    const serverCert = ca.issue({ commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'] });
    const clientCert = ca.issue({ commonName: 'registrar', clientAuth: true });
    files.clientCert = join(dir, 'client.pem');
    files.clientKey = join(dir, 'client-key.pem');
    writeFileSync(files.clientCert, clientCert.certPem);
    writeFileSync(files.clientKey, clientCert.keyPem);
    const mutual = await startConsulDouble({
      tls: { key: serverCert.keyPem, cert: serverCert.certPem, ca: ca.certPem, requestCert: true },
    });
    try {
      const env = { ...mutual.env(), CONSUL_CACERT: files.ca! };
      const refused = await servicesWith(env).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ConsulError);
      await expect(
        servicesWith({ ...env, CONSUL_CLIENT_CERT: files.clientCert, CONSUL_CLIENT_KEY: files.clientKey }),
      ).resolves.toEqual({});
    } finally {
      await mutual.stop();
    }
  });

  it('CONSUL_HTTP_SSL=true with a bare host:port speaks HTTPS', async () => {
    await expect(
      servicesWith({ CONSUL_HTTP_ADDR: byIp.address, CONSUL_HTTP_SSL: 'true', CONSUL_CACERT: files.ca! }),
    ).resolves.toEqual({});
  });
});
