/**
 * Migration from consul-k8s (finding 7): `--check-cluster --adopt-consul-k8s` against the
 * Kubernetes double holding Services as consul-k8s's to-k8s sync writes them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KubeDouble } from '../test/support/kube';
import { createGenerateCommand } from './command';
import { bareRemote, generate, git, namesAt, tempDir } from '../test/support/generator/git-fixture';
import { targetArgs } from '../test/support/generator/cli';

let kube: KubeDouble;
let root: { dir: string; cleanup(): void };
beforeAll(async () => {
  kube = await KubeDouble.start();
  root = tempDir();
  const service = (name: string, labels: Record<string, string>, spec: Record<string, unknown>) =>
    kube.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'default', labels },
      spec,
    });
  // As consul-k8s's sink creates them: label consul=true, service-sync=false, ExternalName.
  service('web', { consul: 'true' }, { type: 'ExternalName', externalName: 'web.service.consul' });
  service('api', { consul: 'true' }, { type: 'ExternalName', externalName: 'api.service.consul' });
  // Labelled consul=true by someone else, and a plain Service: still conflicts.
  service('db', { consul: 'true' }, { type: 'ClusterIP', ports: [{ port: 5432 }] });
  service('cache', {}, { type: 'ClusterIP', ports: [{ port: 6379 }] });
});
afterAll(async () => {
  await kube.close();
  root.cleanup();
});

function setup(name: string) {
  const dir = path.join(root.dir, name);
  mkdirSync(dir);
  const remote = bareRemote(dir);
  const catalog = path.join(dir, 'catalog.json');
  writeFileSync(catalog, JSON.stringify({ web: [], api: [], db: [], cache: [], orders: [] }));
  const kubeconfig = path.join(dir, 'kubeconfig');
  kube.writeKubeconfig(kubeconfig);
  const args = (...extra: string[]) => [
    '--once',
    ...targetArgs({ catalog, repo: remote, workdir: path.join(dir, 'work'), dir: 'consul' }),
    '--check-cluster',
    '--kubeconfig',
    kubeconfig,
    ...extra,
  ];
  const rendered = () => namesAt(remote, 'main', 'consul').map((file) => path.basename(file, '.yaml'));
  return { remote, args, rendered };
}

it('without --adopt-consul-k8s every consul-k8s Service is skipped as a conflict', async () => {
  const { args, rendered } = setup('without');
  const run = await generate(args());
  expect(run.code).toBe(0);
  expect(rendered()).toEqual(['.consul-k8s-gitops-owner', 'inventory.configmap', 'kustomization', 'orders']);
});

it('with it, consul-k8s Services are rendered (to replace them); other Services stay conflicts', async () => {
  const { remote, args, rendered } = setup('with');
  const run = await generate(args('--adopt-consul-k8s'));
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(rendered()).toEqual([
    '.consul-k8s-gitops-owner',
    'api',
    'inventory.configmap',
    'kustomization',
    'orders',
    'web',
  ]);
  expect(run.logs).toMatch(/"services":\["api","web"\].*adopting Services written by consul-k8s/);
  const inventory = git(remote, 'show', 'main:consul/inventory.configmap.yaml');
  expect(inventory).toContain('"db": conflict: Service "db" already defined in the cluster');
  expect(inventory).toMatch(/"db": .*labelled consul=true but not adopted/);
  expect(inventory).toMatch(
    /"cache": conflict: .*without label app.kubernetes.io\/managed-by=consul-k8s-gitops\n/,
  );
  expect(git(remote, 'show', 'main:consul/web.yaml')).toContain('externalName: web.service.consul');
});

it('--adopt-consul-k8s without --check-cluster is refused naming the flag', async () => {
  const { args } = setup('refused');
  const run = await generate(args('--adopt-consul-k8s').filter((arg) => arg !== '--check-cluster'));
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/--adopt-consul-k8s: needs --check-cluster/);
});

it('is in the help', () => {
  expect(createGenerateCommand().helpInformation()).toContain('--adopt-consul-k8s');
});
