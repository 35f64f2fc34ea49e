/**
 * A real `consul agent -dev` on random loopback ports, fresh for each caller: plain, with ACLs
 * (default deny, a management token, narrower tokens made through the ACL API), or with TLS that
 * requires client certificates.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestCa, type IssuedCertificate } from '../../support/pki';
import {
  freePorts,
  jsonRequest,
  realBinary,
  removeDir,
  startProcess,
  tempDir,
  waitForReady,
  type ServerProcess,
} from './process';

export interface RealConsulOptions {
  /** ACLs on with default policy deny; `managementToken` is the initial management token. */
  acl?: boolean;
  /** HTTPS only, with client certificates required. */
  tls?: boolean;
  datacenter?: string;
}

export interface RealConsul {
  /** host:port of the HTTP(S) API. */
  readonly address: string;
  readonly datacenter: string;
  readonly process: ServerProcess;
  /** With `acl`: the initial management token. */
  readonly managementToken?: string;
  /** With `tls`: the CA, and a client certificate signed by it. */
  readonly tls?: {
    caPem: string;
    caFile: string;
    client: IssuedCertificate;
    certFile: string;
    keyFile: string;
  };
  /** CONSUL_* variables for the product's client (token: the management token unless given). */
  env(token?: string): NodeJS.ProcessEnv;
  /** A raw API call with the management token (or none); JSON in and out. */
  api(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: unknown }>;
  /** With `acl`: a token holding one new policy with these rules (HCL). */
  createToken(rules: string, name?: string): Promise<{ secretId: string; accessorId: string }>;
  /** `consul version`'s first line. */
  readonly version: string;
  stop(): Promise<void>;
}

export async function startRealConsul(options: RealConsulOptions = {}): Promise<RealConsul> {
  const binary = realBinary('consul');
  const dir = tempDir('consul');
  const datacenter = options.datacenter ?? 'dc1';
  const [httpPort, serfLan, serfWan, serverPort] = (await freePorts(4)) as [number, number, number, number];
  const managementToken = options.acl ? randomUUID() : undefined;

  const hcl: string[] = ['ports { grpc = -1 grpc_tls = -1 dns = -1 }'];
  if (options.acl) {
    hcl.push(
      `acl { enabled = true default_policy = "deny" enable_token_persistence = false tokens { initial_management = "${managementToken}" } }`,
    );
  }
  let tls: RealConsul['tls'];
  if (options.tls) {
    const ca = createTestCa('real consul test CA');
    const server = ca.issue({
      commonName: 'server.dc1.consul',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    const client = ca.issue({ commonName: 'client', clientAuth: true });
    const files = {
      ca: join(dir, 'ca.pem'),
      cert: join(dir, 'server.pem'),
      key: join(dir, 'server-key.pem'),
      clientCert: join(dir, 'client.pem'),
      clientKey: join(dir, 'client-key.pem'),
    };
    writeFileSync(files.ca, ca.certPem);
    writeFileSync(files.cert, server.certPem);
    writeFileSync(files.key, server.keyPem);
    writeFileSync(files.clientCert, client.certPem);
    writeFileSync(files.clientKey, client.keyPem);
    hcl.push(
      `tls { defaults { ca_file = "${files.ca}" cert_file = "${files.cert}" key_file = "${files.key}" verify_incoming = true } }`,
      `ports { https = ${httpPort} http = -1 }`,
    );
    tls = {
      caPem: ca.certPem,
      caFile: files.ca,
      client,
      certFile: files.clientCert,
      keyFile: files.clientKey,
    };
  }
  const args = [
    'agent',
    '-dev',
    `-datacenter=${datacenter}`,
    '-bind=127.0.0.1',
    '-client=127.0.0.1',
    '-advertise=127.0.0.1',
    `-node=real-consul-${httpPort}`,
    ...(options.tls ? [] : [`-http-port=${httpPort}`]),
    `-serf-lan-port=${serfLan}`,
    `-serf-wan-port=${serfWan}`,
    `-server-port=${serverPort}`,
    '-log-level=warn',
    ...hcl.flatMap((h) => ['-hcl', h]),
  ];
  const proc = startProcess('consul', binary, args, dir);
  const address = `127.0.0.1:${httpPort}`;

  const api: RealConsul['api'] = (method, path, body, token = managementToken) =>
    jsonRequest(
      {
        host: '127.0.0.1',
        port: httpPort,
        path: `/v1${path}`,
        method,
        headers: token ? { 'X-Consul-Token': token } : {},
        timeout: 10_000,
        ...(tls ? { tls: { ca: tls.caPem, cert: tls.client.certPem, key: tls.client.keyPem } } : {}),
      },
      body,
    );

  await waitForReady(
    proc,
    async () => {
      const leader = await api('GET', '/status/leader', undefined, undefined);
      if (leader.status !== 200 || typeof leader.body !== 'string' || leader.body === '') return false;
      // The ACL system answers a little after the leader is elected.
      if (managementToken) return (await api('GET', '/acl/token/self')).status === 200;
      // And the catalog needs the agent's own node registered before reads are consistent.
      const nodes = await api('GET', '/catalog/nodes');
      return nodes.status === 200 && Array.isArray(nodes.body) && nodes.body.length > 0;
    },
    60_000,
  );
  const version = execFileSync(binary, ['version'], { encoding: 'utf8' }).split('\n')[0] ?? '';

  return {
    address,
    datacenter,
    process: proc,
    managementToken,
    tls,
    version,
    api,
    env(token = managementToken) {
      const env: NodeJS.ProcessEnv = { CONSUL_HTTP_ADDR: tls ? `https://${address}` : address };
      if (token) env.CONSUL_HTTP_TOKEN = token;
      if (tls) {
        env.CONSUL_CACERT = tls.caFile;
        env.CONSUL_CLIENT_CERT = tls.certFile;
        env.CONSUL_CLIENT_KEY = tls.keyFile;
      }
      return env;
    },
    async createToken(rules, name = `real-${randomUUID().slice(0, 8)}`) {
      if (!managementToken) throw new Error('createToken needs a Consul started with acl: true');
      const policy = await api('PUT', '/acl/policy', { Name: name, Rules: rules });
      if (policy.status !== 200)
        throw new Error(`ACL policy: ${policy.status} ${JSON.stringify(policy.body)}`);
      const token = await api('PUT', '/acl/token', { Description: name, Policies: [{ Name: name }] });
      const { SecretID, AccessorID } = (token.body ?? {}) as { SecretID?: string; AccessorID?: string };
      if (token.status !== 200 || !SecretID || !AccessorID) {
        throw new Error(`ACL token: ${token.status} ${JSON.stringify(token.body)}`);
      }
      return { secretId: SecretID, accessorId: AccessorID };
    },
    async stop() {
      await proc.stop();
      removeDir(dir);
    },
  };
}
