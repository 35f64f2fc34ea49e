/**
 * `generate --watch` end to end in-process: Consul double, Kubernetes double (Lease leader
 * election, --check-cluster), a bare remote, the health/metrics server, shutdown on SIGTERM.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startConsulDouble, type ConsulDouble } from '../test/support/consul';
import { KubeDouble } from '../test/support/kube';
import { bareRemote, commitCount, git, namesAt, tempDir } from '../test/support/generator/git-fixture';
import { parseGenerateFlags, targetArgs, watchArgs } from '../test/support/generator/cli';
import { startWatch } from '../test/support/generator/watch';
import { eventually } from '../test/support/wait';

/** The generator end to end takes seconds: its waits poll for up to 15 s. */
const SLOW = { timeoutMs: 15_000, intervalMs: 50 };

let consul: ConsulDouble;
let kube: KubeDouble;
let root: { dir: string; cleanup(): void };
beforeAll(async () => {
  consul = await startConsulDouble({ blockingJitter: false });
  kube = await KubeDouble.start();
  root = tempDir();
});
afterAll(async () => {
  await consul.stop();
  await kube.close();
  root.cleanup();
});

it('watches Consul, respects cluster conflicts, holds the Lease, serves health and metrics, stops on SIGTERM', async () => {
  const dir = path.join(root.dir, 'watch');
  mkdirSync(dir);
  const remote = bareRemote(dir);
  const kubeconfig = path.join(dir, 'kubeconfig');
  kube.writeKubeconfig(kubeconfig);
  kube.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'api', namespace: 'default' },
    spec: { type: 'ClusterIP', ports: [{ port: 80 }] },
  });
  for (const name of ['web', 'api']) {
    consul.seed.register({
      Node: 'vm-1',
      Address: '10.0.0.1',
      Service: { ID: name, Service: name, Port: 80 },
    });
  }

  const flags = await parseGenerateFlags([
    ...watchArgs({ bufferMin: '200ms', bufferMax: '2s' }),
    ...targetArgs({ repo: remote, workdir: path.join(dir, 'work'), dir: 'consul' }),
    '--check-cluster',
    '--kubeconfig',
    kubeconfig,
    '--leader-elect',
    '--leader-elect-lease-namespace',
    'default',
    '--leader-elect-lease-duration',
    '3s',
  ]);
  const { exited, signals, state, base } = startWatch(flags, consul.env());
  await eventually(() => state.port > 0, SLOW);
  expect((await fetch(`${base()}/healthz`)).status).toBe(200);
  await eventually(async () => (await fetch(`${base()}/readyz`)).status === 200, SLOW);
  // Ready says nothing about the first commit: a replica is ready as a standby too, before it
  // holds the Lease. Wait for the commit itself.
  await eventually(() => namesAt(remote, 'main', 'consul').length > 0, SLOW);

  const files = namesAt(remote, 'main', 'consul').map((file) => path.basename(file));
  expect(files).toEqual([
    '.consul-k8s-gitops-owner',
    'inventory.configmap.yaml',
    'kustomization.yaml',
    'web.yaml',
  ]);
  expect(git(remote, 'show', 'main:consul/inventory.configmap.yaml')).toContain(
    '"api": conflict: Service "api" already defined in the cluster (namespace default) without label app.kubernetes.io/managed-by=consul-k8s-gitops',
  );
  const lease = kube.get<{ spec: { holderIdentity: string } }>(
    'leases',
    'default',
    'consul-k8s-gitops-generator',
  );
  expect(lease?.spec.holderIdentity).toBeTruthy();

  // A change in Consul reaches the repository as one more commit.
  const before = commitCount(remote);
  consul.seed.register({
    Node: 'vm-1',
    Address: '10.0.0.1',
    Service: { ID: 'db', Service: 'db', Port: 5432 },
  });
  await eventually(() => namesAt(remote, 'main', 'consul').includes('consul/db.yaml'), SLOW);
  expect(commitCount(remote)).toBe(before + 1);

  // The commit is counted once its push returned, which may be just after the remote shows it.
  await eventually(
    async () =>
      /consul_k8s_gitops_generator_commits_total\{component="generator"\} 2/.test(
        await (await fetch(`${base()}/metrics`)).text(),
      ),
    SLOW,
  );
  const metrics = await (await fetch(`${base()}/metrics`)).text();
  expect(metrics).toMatch(/consul_k8s_gitops_generator_services_rendered\{component="generator"\} 2/);
  expect(metrics).toMatch(
    /consul_k8s_gitops_generator_last_success_timestamp_seconds\{component="generator"\} [1-9]/,
  );

  signals.emit('SIGTERM', 'SIGTERM');
  expect(await exited).toBe(0);
  expect(state.logs).toContain('became the leader');
  expect(state.logs).not.toMatch(/"level":"error"/);
});

it('reports unhealthy and not ready, and counts a refusal, when the mass-deletion guard refuses, until a run succeeds', async () => {
  const dir = path.join(root.dir, 'watch-guard');
  mkdirSync(dir);
  const remote = bareRemote(dir);
  const catalog = path.join(dir, 'catalog.json');
  writeFileSync(catalog, JSON.stringify({ a: [], b: [], c: [], d: [] }));
  const flags = await parseGenerateFlags([
    ...watchArgs(),
    ...targetArgs({ catalog, repo: remote, workdir: path.join(dir, 'work'), dir: 'consul' }),
  ]);
  const { exited, signals, state, base } = startWatch(flags, {});
  const readyStatus = async () => (await fetch(`${base()}/readyz`)).status;
  const status = async (endpoint: string) => (await fetch(`${base()}${endpoint}`)).status;
  const metric = async (pattern: RegExp) =>
    pattern.exec(await (await fetch(`${base()}/metrics`)).text())?.[1];
  await eventually(() => state.port > 0, SLOW);
  await eventually(async () => (await readyStatus()) === 200, SLOW);
  expect(namesAt(remote, 'main', 'consul')).toHaveLength(7);
  const head = git(remote, 'rev-parse', 'main');

  writeFileSync(catalog, JSON.stringify({ a: [] }));
  await eventually(
    async () =>
      (await metric(/consul_k8s_gitops_generator_guard_refusals_total\{component="generator"\} (\d+)/)) ===
      '1',
    SLOW,
  );
  expect(await readyStatus()).toBe(503);
  expect(await status('/healthz')).toBe(503);
  expect(await (await fetch(`${base()}/healthz`)).json()).toEqual({
    status: 'unhealthy',
    failing: ['mass-deletion-guard'],
  });
  expect(await status('/livez')).toBe(200); // a restart would not help: liveness stays green
  expect(
    await metric(/consul_k8s_gitops_generator_runs_total\{result="refused",component="generator"\} (\d+)/),
  ).toBe('1');
  expect(git(remote, 'rev-parse', 'main')).toBe(head);

  writeFileSync(catalog, JSON.stringify({ a: [], b: [], c: [] }));
  await eventually(async () => (await readyStatus()) === 200, SLOW);
  expect(await status('/healthz')).toBe(200);
  expect(namesAt(remote, 'main', 'consul')).toHaveLength(6);

  // A broken catalog file is retried (it can be fixed) and reported as unhealthy meanwhile.
  writeFileSync(catalog, '{ not json');
  await eventually(async () => (await status('/healthz')) === 503, SLOW);
  expect(await (await fetch(`${base()}/healthz`)).json()).toEqual({
    status: 'unhealthy',
    failing: ['catalog-source'],
  });
  expect(await status('/livez')).toBe(200);
  writeFileSync(catalog, JSON.stringify({ a: [], b: [], c: [] }));
  await eventually(async () => (await status('/healthz')) === 200, SLOW);
  expect(namesAt(remote, 'main', 'consul')).toHaveLength(6);

  signals.emit('SIGTERM', 'SIGTERM');
  expect(await exited).toBe(0);
});

// Finding 1: a partial read is shown on /healthz and in a metric, and removes nothing.
it('reports a read filtered by ACLs on /healthz and in consul_k8s_gitops_generator_catalog_incomplete', async () => {
  const dir = path.join(root.dir, 'watch-partial');
  mkdirSync(dir);
  const remote = bareRemote(dir);
  consul.seed.clear();
  for (const name of ['web', 'secret-a'])
    consul.seed.register({
      Node: 'vm-1',
      Address: '10.0.0.1',
      Service: { ID: name, Service: name, Port: 80 },
    });
  const flags = await parseGenerateFlags([
    ...watchArgs(),
    ...targetArgs({ repo: remote, workdir: path.join(dir, 'work'), dir: 'consul' }),
  ]);
  const { exited, signals, state, base } = startWatch(flags, consul.env('partial'));
  const metric = async () =>
    /consul_k8s_gitops_generator_catalog_incomplete\{component="generator"\} (\d+)/.exec(
      await (await fetch(`${base()}/metrics`)).text(),
    )?.[1];
  await eventually(() => state.port > 0 && namesAt(remote, 'main', 'consul').length === 5, SLOW);
  expect(await metric()).toBe('0');

  consul.acl.enabled = true;
  consul.acl.defaultPolicy = 'deny';
  consul.acl.setToken({ secretId: 'partial', rules: { servicePrefix: { '': 'read', secret: 'deny' } } });
  consul.seed.register({
    Node: 'vm-1',
    Address: '10.0.0.1',
    Service: { ID: 'api', Service: 'api', Port: 80 },
  });
  await eventually(async () => (await fetch(`${base()}/healthz`)).status === 503, SLOW);
  expect(await metric()).toBe('1');
  expect(await (await fetch(`${base()}/healthz`)).json()).toEqual({
    status: 'unhealthy',
    failing: ['catalog-complete'],
  });
  const files = namesAt(remote, 'main', 'consul').map((file) => path.basename(file));
  expect(files).toEqual(expect.arrayContaining(['api.yaml', 'secret-a.yaml', 'web.yaml']));
  expect(state.logs).toMatch(/kept 1 Service\(s\) as committed: secret-a/);

  consul.acl.enabled = false;
  consul.seed.register({ Node: 'vm-1', Address: '10.0.0.1', Service: { ID: 'db', Service: 'db', Port: 80 } });
  await eventually(async () => (await fetch(`${base()}/healthz`)).status === 200, SLOW);
  expect(await metric()).toBe('0');
  signals.emit('SIGTERM', 'SIGTERM');
  expect(await exited).toBe(0);
});
