/**
 * The generator against a real Consul (ACLs on, tokens from the ACL API): a run renders the
 * catalog into a real bare remote; the tree it commits is applied to a real kube-apiserver with
 * `kubectl apply --server-side`, and `kubectl diff` then shows no drift; watch mode follows a
 * change in Consul through its blocking query; a token that may not read every service never
 * makes a run delete what it cannot see.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../deploy/render';
import { eventually } from '../support/wait';
import { startRealConsul, type RealConsul } from './servers/consul';
import { startRealKube, type RealKube } from './servers/kube';
import { freePorts, removeDir, startProcess, tempDir } from './servers/process';

const WRITE_NS = 'consul-services';
const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: os.devNull,
  GIT_AUTHOR_NAME: 'test',
  GIT_AUTHOR_EMAIL: 'test@example.test',
  GIT_COMMITTER_NAME: 'test',
  GIT_COMMITTER_EMAIL: 'test@example.test',
};

let consul: RealConsul;
let kube: RealKube;
let dir: string;
let remote: string;
let readAll: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], {
    cwd,
    env: { ...process.env, ...GIT_ENV },
    encoding: 'utf8',
  }).trim();
}

function filesOnMain(): string[] {
  return git(remote, 'ls-tree', '-r', '--name-only', 'main', '--', 'services').split('\n').filter(Boolean);
}

function generateOnce(
  token: string,
  extra: string[] = [],
): { status: number; stdout: string; stderr: string } {
  const res = spawnSync(
    process.execPath,
    [
      join(REPO_ROOT, 'dist/cli.js'),
      'generate',
      '--once',
      `--repo=${remote}`,
      '--path=services',
      `--k8s-write-namespace=${WRITE_NS}`,
      `--workdir=${join(dir, `work-${Math.random().toString(36).slice(2)}`)}`,
      ...extra,
    ],
    { env: { ...process.env, ...GIT_ENV, ...consul.env(token) }, encoding: 'utf8', timeout: 120_000 },
  );
  return { status: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

async function register(name: string, tags: string[] = [], meta: Record<string, string> = {}): Promise<void> {
  const res = await consul.api('PUT', '/catalog/register', {
    Node: 'vm-1',
    Address: '10.2.0.1',
    Service: { ID: `${name}-1`, Service: name, Tags: tags, Meta: meta, Port: 8080 },
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  dir = tempDir('generator');
  [consul, kube] = await Promise.all([startRealConsul({ acl: true }), startRealKube()]);
  readAll = (
    await consul.createToken('service_prefix "" { policy = "read" }\nnode_prefix "" { policy = "read" }')
  ).secretId;
  await register('api', ['v1', 'blue'], { team: 'payments' });
  await register('billing', ['v2']);
  await register('cache');

  remote = join(dir, 'remote.git');
  git(dir, 'init', '-q', '--bare', remote);
  const seed = join(dir, 'seed');
  git(dir, 'clone', '-q', remote, seed);
  writeFileSync(join(seed, 'README.md'), '# cluster config\n');
  git(seed, 'add', 'README.md');
  git(seed, 'commit', '-q', '-m', 'initial');
  git(seed, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  expect(kube.kubectl(['create', 'namespace', WRITE_NS]).status).toBe(0);
}, 300_000);

afterAll(async () => {
  await consul?.stop();
  await kube?.stop();
  removeDir(dir);
});

test('a run commits one ExternalName Service per Consul service that the API server accepts without drift', () => {
  const run = generateOnce(readAll);
  expect(run.stderr).not.toMatch(/error/i);
  expect(run.status).toBe(0);
  const files = filesOnMain();
  for (const name of ['api', 'billing', 'cache']) expect(files).toContain(`services/${name}.yaml`);
  // Consul's own service is registered by the agent itself and carries no k8s tag: rendered too.
  expect(files).toContain('services/kustomization.yaml');

  const checkout = join(dir, 'checkout');
  git(dir, 'clone', '-q', remote, checkout);
  const applied = kube.kubectl([
    'apply',
    '--server-side',
    '--field-manager=argocd-controller',
    '-k',
    join(checkout, 'services'),
  ]);
  expect(applied.stderr).toBe('');
  expect(applied.status).toBe(0);
  const service = JSON.parse(
    kube.kubectl(['get', 'service', 'api', '-n', WRITE_NS, '-o', 'json']).stdout,
  ) as {
    spec: { type: string; externalName: string };
    metadata: { labels: Record<string, string> };
  };
  expect(service.spec).toMatchObject({ type: 'ExternalName', externalName: 'api.service.consul' });
  expect(service.metadata.labels.consul).toBe('true');

  const diff = kube.kubectl([
    'diff',
    '--server-side',
    '--field-manager=argocd-controller',
    '-k',
    join(checkout, 'services'),
  ]);
  expect(diff.stdout).toBe('');
  expect(diff.status).toBe(0);
}, 120_000);

test('watch mode follows Consul through a blocking query: a new service is committed within seconds', async () => {
  const [port] = (await freePorts(1)) as [number];
  const watcher = startProcess(
    'generate-watch',
    process.execPath,
    [
      join(REPO_ROOT, 'dist/cli.js'),
      'generate',
      '--watch',
      `--repo=${remote}`,
      '--path=services',
      `--k8s-write-namespace=${WRITE_NS}`,
      `--workdir=${join(dir, 'watch-work')}`,
      `--http-port=${port}`,
      '--buffer-min=1s',
      '--buffer-max=2s',
    ],
    dir,
    { ...GIT_ENV, ...consul.env(readAll) },
  );
  try {
    await eventually(
      async () => {
        if (!watcher.running()) throw new Error(`generator exited:\n${watcher.logTail()}`);
        return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the watching generator to be ready' },
    );
    const before = Number(git(remote, 'rev-list', '--count', 'main'));
    await register('orders', ['v3']);
    await eventually(() => filesOnMain().includes('services/orders.yaml'), {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: 'services/orders.yaml on main',
    });
    expect(Number(git(remote, 'rev-list', '--count', 'main'))).toBe(before + 1);
  } finally {
    await watcher.stop();
  }
}, 180_000);

test('a token filtered by ACLs never makes a run delete the services it cannot read', async () => {
  const before = filesOnMain();
  const partial = (
    await consul.createToken('service_prefix "api" { policy = "read" }\nnode_prefix "" { policy = "read" }')
  ).secretId;
  const run = generateOnce(partial);
  expect(run.status).toBe(4);
  expect(filesOnMain()).toEqual(before);
  expect(`${run.stdout}${run.stderr}`).toMatch(/ACL/);
  expect(existsSync(remote)).toBe(true);
}, 120_000);

test('a read without any token (Consul masks what it filtered) never deletes either', () => {
  const before = filesOnMain();
  const run = generateOnce('');
  expect(run.status).toBe(4);
  expect(run.stderr).toMatch(/without a token/);
  expect(filesOnMain()).toEqual(before);
}, 120_000);
