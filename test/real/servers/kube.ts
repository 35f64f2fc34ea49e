/**
 * A real etcd plus kube-apiserver on random loopback ports, fresh for each caller: RBAC
 * authorization, a static token file for test users, service-account signing keys (so
 * TokenRequest works without a controller manager) and the admission webhooks and policies enabled.
 * There is no controller manager and no kubelet: tests create EndpointSlices and Nodes themselves.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestCa } from '../../support/pki';
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

export interface RealKube {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** The CA that signed the API server's serving certificate. */
  readonly caPem: string;
  /** A kubeconfig for the `admin` user (group system:masters). */
  readonly adminKubeconfig: string;
  readonly adminToken: string;
  readonly etcd: ServerProcess;
  readonly apiserver: ServerProcess;
  /** `kube-apiserver --version`, e.g. "Kubernetes v1.36.3". */
  readonly version: string;
  /** Writes a kubeconfig for a bearer token (a static user's or a service account's). */
  kubeconfigFor(token: string, name: string): string;
  /** Runs the real kubectl as admin (or with `kubeconfig`), with `input` on stdin. */
  kubectl(args: string[], options?: { kubeconfig?: string; input?: string }): KubectlResult;
  /** A raw API call as admin: JSON in and out. */
  api(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: unknown }>;
  /** The API server's audit log so far (metadata level: who did what to which resource). */
  auditEvents(): AuditEvent[];
  /** A token for a service account, through the TokenRequest API (the service account must exist). */
  serviceAccountToken(namespace: string, name: string): Promise<string>;
  stop(): Promise<void>;
}

interface AuditEvent {
  stage: string;
  verb: string;
  user: { username: string; groups?: string[] };
  objectRef?: {
    resource?: string;
    subresource?: string;
    apiGroup?: string;
    namespace?: string;
    name?: string;
  };
  responseStatus?: { code?: number };
}

interface KubectlResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Static users of the token file: `name` -> groups. */
const STATIC_USERS: Record<string, string[]> = {
  admin: ['system:masters'],
  'no-rights': [],
};

export async function startRealKube(): Promise<RealKube> {
  const etcdBinary = realBinary('etcd');
  const apiserverBinary = realBinary('kube-apiserver');
  const kubectlBinary = realBinary('kubectl');
  const dir = tempDir('kube');
  const [etcdClient, etcdPeer, securePort] = (await freePorts(3)) as [number, number, number];

  const etcd = startProcess(
    'etcd',
    etcdBinary,
    [
      '--name=real',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=real=http://127.0.0.1:${etcdPeer}`,
      '--log-level=warn',
      // Tests are short: no need for fsync on every write.
      '--unsafe-no-fsync',
    ],
    dir,
  );
  await waitForReady(
    etcd,
    async () => {
      const res = await fetch(`http://127.0.0.1:${etcdClient}/health`);
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    },
    30_000,
  );

  const ca = createTestCa('real kube-apiserver test CA');
  const serving = ca.issue({
    commonName: 'kube-apiserver',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  writeFileSync(join(dir, 'serving.pem'), serving.certPem);
  writeFileSync(join(dir, 'serving-key.pem'), serving.keyPem);
  const sa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  writeFileSync(join(dir, 'sa.key'), sa.privateKey);
  writeFileSync(join(dir, 'sa.pub'), sa.publicKey);
  // Metadata-level audit of every request (watches show at ResponseStarted): tests read who used which permission.
  writeFileSync(
    join(dir, 'audit-policy.yaml'),
    'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n',
  );
  const tokens = Object.fromEntries(
    Object.keys(STATIC_USERS).map((user) => [user, randomBytes(16).toString('hex')]),
  );
  writeFileSync(
    join(dir, 'tokens.csv'),
    Object.entries(STATIC_USERS)
      .map(
        ([user, groups]) => `${tokens[user]},${user},${user}${groups.length ? `,"${groups.join(',')}"` : ''}`,
      )
      .join('\n') + '\n',
  );

  const apiserver = startProcess(
    'kube-apiserver',
    apiserverBinary,
    [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${securePort}`,
      `--tls-cert-file=${join(dir, 'serving.pem')}`,
      `--tls-private-key-file=${join(dir, 'serving-key.pem')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--enable-admission-plugins=NamespaceLifecycle,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy,MutatingAdmissionWebhook',
      // No kubelet or controller manager: pods are never run, so their service-account checks are moot.
      '--disable-admission-plugins=ServiceAccount',
      `--cert-dir=${join(dir, 'certs')}`,
      `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`,
      `--audit-log-path=${join(dir, 'audit.log')}`,
      '--audit-log-format=json',
      '--audit-log-mode=blocking',
      '--profiling=false',
      '--v=1',
    ],
    dir,
  );
  const server = `https://127.0.0.1:${securePort}`;
  const adminToken = tokens.admin!;

  const api: RealKube['api'] = (method, path, body, token = adminToken) =>
    jsonRequest(
      {
        host: '127.0.0.1',
        port: securePort,
        path,
        method,
        timeout: 30_000,
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
        tls: { ca: ca.certPem },
      },
      body,
    );

  try {
    await waitForReady(apiserver, async () => (await api('GET', '/readyz')).status === 200, 120_000);
  } catch (err) {
    await etcd.stop();
    throw err;
  }

  const kubeconfigFor = (token: string, name: string): string => {
    const path = join(dir, `kubeconfig-${name}`);
    const caData = Buffer.from(ca.certPem).toString('base64');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: real\n  cluster:\n    server: ${server}\n    certificate-authority-data: ${caData}`,
        'users:',
        `- name: ${name}\n  user:\n    token: ${token}`,
        'contexts:',
        `- name: real\n  context:\n    cluster: real\n    user: ${name}`,
        'current-context: real',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    return path;
  };
  const adminKubeconfig = kubeconfigFor(adminToken, 'admin');
  const version = execFileSync(apiserverBinary, ['--version'], { encoding: 'utf8' }).trim();

  return {
    server,
    caPem: ca.certPem,
    adminKubeconfig,
    adminToken,
    etcd,
    apiserver,
    version,
    kubeconfigFor,
    api,
    auditEvents() {
      const path = join(dir, 'audit.log');
      if (!existsSync(path)) return [];
      return readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as AuditEvent);
    },
    kubectl(args, { kubeconfig = adminKubeconfig, input } = {}) {
      const res = spawnSync(kubectlBinary, [`--kubeconfig=${kubeconfig}`, ...args], {
        encoding: 'utf8',
        input,
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return {
        status: res.status ?? 1,
        stdout: res.stdout ?? '',
        stderr: res.stderr ?? String(res.error ?? ''),
      };
    },
    async serviceAccountToken(namespace, name) {
      const res = await api('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      });
      const token = (res.body as { status?: { token?: string } } | undefined)?.status?.token;
      if (res.status !== 201 || !token) throw new Error(`TokenRequest ${namespace}/${name}: ${res.status}`);
      return token;
    },
    async stop() {
      await apiserver.stop();
      await etcd.stop();
      removeDir(dir);
    },
  };
}
