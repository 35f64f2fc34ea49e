/**
 * The generator's input rules against real servers (issue 12, findings 7 and 9):
 * `k8s-sync` takes Go's booleans the same way in the filter real Consul evaluates, in the Consul
 * double's evaluation of that filter, and in the rule over instances in hand (catalog file);
 * names that differ only in case (real Consul lists `web`, `Web` and `WEB` apart, and answers
 * `web.service.consul` with all of them) become one Service; and `--adopt-consul-k8s` takes over
 * Services written the way consul-k8s's to-k8s sync writes them, which the generated files then
 * replace through the real kube-apiserver (server-side apply, and client-side apply).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { consulConfigFromEnv } from '../../core/consul';
import {
  factsOfInstances,
  GO_FALSE_VALUES,
  instanceFilters,
  optsOut,
} from '../../generator/source/instance-rules';
import { ConsulCatalogSource } from '../../generator/source/consul';
import { bareRemote, generate, git, namesAt } from '../support/generator/git-fixture';
import { compileFilter } from '../support/consul/filter';
import { startRealConsul, type RealConsul } from './servers/consul';
import { startRealKube, type RealKube } from './servers/kube';
import { removeDir, tempDir } from './servers/process';

const NS = 'migrated';
let consul: RealConsul;
let kube: RealKube;
let dir: string;

async function register(
  id: string,
  name: string,
  meta: Record<string, string>,
  node = 'vm-1',
): Promise<void> {
  const res = await consul.api('PUT', '/catalog/register', {
    Node: node,
    Address: '10.3.0.1',
    Service: { ID: id, Service: name, Meta: meta, Port: 8080 },
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  dir = tempDir('generator-input');
  [consul, kube] = await Promise.all([startRealConsul(), startRealKube()]);
}, 300_000);

afterAll(async () => {
  await consul?.stop();
  await kube?.stop();
  removeDir(dir);
});

test('k8s-sync Go booleans and the loop guard: real Consul, the double and the catalog-file rule agree', async () => {
  const values = [...GO_FALSE_VALUES, '1', 't', 'T', 'TRUE', 'true', 'True', 'no', 'fAlSe', 'false ', ''];
  const metas: Record<string, Record<string, string>> = { 'sync-absent': {} };
  values.forEach((value, i) => (metas[`sync-${i}`] = { 'k8s-sync': value }));
  const k8s = { 'external-source': 'kubernetes' };
  metas['k8s-no-id'] = k8s;
  metas['k8s-empty-id'] = { ...k8s, 'external-k8s-cluster-id': '' };
  metas['k8s-west'] = { ...k8s, 'external-k8s-cluster-id': 'west' };
  metas['k8s-east'] = { ...k8s, 'external-k8s-cluster-id': 'east' };
  for (const [name, meta] of Object.entries(metas)) await register(name, name, meta);

  const snapshot = await new ConsulCatalogSource(consulConfigFromEnv(consul.env()), {
    clusterId: 'west',
  }).read();
  const filters = instanceFilters('west');
  const double = {
    optedOut: compileFilter(filters.optedOut),
    fromKubernetes: compileFilter(filters.fromKubernetes),
    thisCluster: compileFilter(filters.thisCluster!),
  };
  for (const [name, meta] of Object.entries(metas)) {
    const real = snapshot.services.find((service) => service.name === name);
    const inHand = factsOfInstances([meta], 'west');
    expect({ name, ...real }).toMatchObject({ name, ...inHand });
    const instance = { ServiceName: name, ServiceMeta: meta };
    expect({ name, optedOut: double.optedOut(instance) }).toEqual({ name, optedOut: optsOut(meta) });
    const fromKubernetes = double.fromKubernetes(instance)
      ? double.thisCluster(instance)
        ? 'this-cluster'
        : 'other-cluster'
      : 'none';
    expect({ name, fromKubernetes }).toEqual({ name, fromKubernetes: inHand.fromKubernetes });
  }
  const optedOut = snapshot.services.filter((service) => service.optedOut).map((service) => service.name);
  expect(optedOut.sort()).toEqual(GO_FALSE_VALUES.map((_, i) => `sync-${i}`).sort());
}, 120_000);

test('web, Web and WEB: real Consul lists them apart; the generator renders one Service and says why', async () => {
  await register('case-1', 'shop', {}, 'vm-1');
  await register('case-2', 'Shop', {}, 'vm-2');
  await register('case-3', 'SHOP', {}, 'vm-3');
  const services = (await consul.api('GET', '/catalog/services')).body as Record<string, string[]>;
  expect(Object.keys(services)).toEqual(expect.arrayContaining(['shop', 'Shop', 'SHOP']));
  const instances = (await consul.api('GET', '/catalog/service/shop')).body as unknown[];
  expect(instances).toHaveLength(3);

  const caseDir = join(dir, 'case');
  mkdirSync(caseDir);
  const remote = bareRemote(caseDir);
  const run = await generate(
    [
      '--once',
      '--repo',
      remote,
      '--workdir',
      join(caseDir, 'work'),
      '--path',
      'consul',
      '--include',
      '{shop,Shop,SHOP}',
    ],
    { ...process.env, ...consul.env() },
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(namesAt(remote, 'main', 'consul').filter((file) => /hop/i.test(file))).toEqual(['consul/shop.yaml']);
  const inventory = git(remote, 'show', 'main:consul/inventory.configmap.yaml');
  expect(inventory).toContain('"SHOP": same DNS name as Consul service "shop" (DNS is case-insensitive)');
  expect(inventory).toContain('"Shop": same DNS name as Consul service "shop" (DNS is case-insensitive)');
}, 120_000);

test('--adopt-consul-k8s: Services consul-k8s wrote are rendered, and the files replace them in the cluster', async () => {
  expect(kube.kubectl(['create', 'namespace', NS]).status).toBe(0);
  // Exactly what consul-k8s's to-k8s sink creates (control-plane/catalog/to-k8s/sink.go), once with
  // -consul-domain consul and once with consul. (it puts the domain in as given).
  const written = (name: string, externalName: string) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: NS,
      labels: { consul: 'true' },
      annotations: { 'consul.hashicorp.com/service-sync': 'false' },
    },
    spec: { type: 'ExternalName', externalName },
  });
  for (const service of [
    written('billing', 'billing.service.consul'),
    written('ledger', 'ledger.service.consul.'),
  ]) {
    const created = kube.kubectl(['create', '--field-manager=consul-k8s', '-f', '-'], {
      input: JSON.stringify(service),
    });
    expect(created.stderr).toBe('');
  }
  await register('billing', 'billing', {});
  await register('ledger', 'ledger', {});

  const adoptDir = join(dir, 'adopt');
  mkdirSync(adoptDir);
  const remote = bareRemote(adoptDir);
  const args = (...extra: string[]) => [
    '--once',
    '--repo',
    remote,
    '--workdir',
    join(adoptDir, `work-${extra.length}`),
    '--path',
    'consul',
    '--k8s-write-namespace',
    NS,
    '--include',
    '{billing,ledger}',
    '--check-cluster',
    '--kubeconfig',
    kube.adminKubeconfig,
    ...extra,
  ];
  const env = { ...process.env, ...consul.env() };
  const before = await generate(args('--dry-run'), env);
  expect(before.stdout).toMatch(/"billing": conflict: Service "billing" already defined in the cluster/);

  const run = await generate(args('--adopt-consul-k8s'), env);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const files = namesAt(remote, 'main', 'consul');
  expect(files).toEqual(expect.arrayContaining(['consul/billing.yaml', 'consul/ledger.yaml']));

  const checkout = join(adoptDir, 'checkout');
  git(adoptDir, 'clone', '-q', remote, checkout);
  // Argo CD with ServerSideApply=true and Flux apply server-side, forcing conflicts: the one
  // field that differs (ledger's trailing dot) becomes ours. Same values are simply shared.
  const billing = kube.kubectl([
    'apply',
    '--server-side',
    '--field-manager=argocd-controller',
    '-f',
    join(checkout, 'consul/billing.yaml'),
  ]);
  expect(billing.stderr).toBe('');
  expect(billing.status).toBe(0);
  const ledger = kube.kubectl([
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=kustomize-controller',
    '-f',
    join(checkout, 'consul/ledger.yaml'),
  ]);
  expect(ledger.status).toBe(0);
  for (const [name, externalName] of [
    ['billing', 'billing.service.consul'],
    ['ledger', 'ledger.service.consul'],
  ] as const) {
    const live = JSON.parse(kube.kubectl(['get', 'service', name, '-n', NS, '-o', 'json']).stdout) as {
      metadata: { labels: Record<string, string> };
      spec: { externalName: string };
    };
    expect(live.spec.externalName).toBe(externalName);
    expect(live.metadata.labels).toMatchObject({
      consul: 'true',
      'app.kubernetes.io/managed-by': 'consul-k8s-gitops',
    });
  }
  // Argo CD's default, client-side apply, takes over a consul-k8s Service too.
  const include = (arg: string) => (arg === '{billing,ledger}' ? '{billing,ledger,orders}' : arg);
  const clientSide = kube.kubectl(['create', '--field-manager=consul-k8s', '-f', '-'], {
    input: JSON.stringify(written('orders', 'orders.service.consul')),
  });
  expect(clientSide.status).toBe(0);
  await register('orders', 'orders', {});
  const third = await generate(args('--adopt-consul-k8s').map(include), env);
  expect(third.code).toBe(0);
  git(checkout, 'pull', '-q');
  const orders = readFileSync(join(checkout, 'consul/orders.yaml'), 'utf8');
  writeFileSync(join(adoptDir, 'orders.yaml'), orders);
  const applied = kube.kubectl(['apply', '-f', join(adoptDir, 'orders.yaml')]);
  expect(applied.status).toBe(0);
  expect(
    kube.kubectl(['get', 'service', 'orders', '-n', NS, '-o', 'jsonpath={.metadata.labels}']).stdout,
  ).toContain('consul-k8s-gitops');
  // Now ours in the cluster: a run without the flag finds no conflict either.
  const after = await generate(args().map(include), env);
  expect(after.code).toBe(0);
  expect(git(remote, 'show', 'main:consul/inventory.configmap.yaml')).not.toMatch(/conflict/);
  expect(namesAt(remote, 'main', 'consul')).toEqual(
    expect.arrayContaining(['consul/billing.yaml', 'consul/ledger.yaml', 'consul/orders.yaml']),
  );
}, 180_000);
