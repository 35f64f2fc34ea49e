/**
 * Two clusters sharing one Consul, each with the real registrar and the generator:
 * what cluster A registers appears as ExternalName in B's repository (and vice versa), and
 * nothing that came from a cluster's own Kubernetes loops back, even after B applies its
 * generated Services.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import yaml from 'js-yaml';
import { consulConfigFromEnv, createConsulClient } from '../core/consul';
import { createLogger } from '../core/runtime/logger';
import { KubeDouble, type KubeObject } from '../test/support/kube';
import { parseRegistrarConfig } from '../registrar/config';
import { startRegistrar, type RunningRegistrar } from '../registrar/main';
import { endpointSlice, Harness, service } from '../test/support/registrar/harness';
import { eventually } from '../test/support/wait';
import { bareRemote, filesAt, generate, namesAt, tempDir } from '../test/support/generator/git-fixture';
import { targetArgs } from '../test/support/generator/cli';

jest.setTimeout(30_000);

let h: Harness;
let kubeB: KubeDouble;
let registrarB: RunningRegistrar;
let root: { dir: string; cleanup(): void };
const silent = createLogger({
  level: 'silent',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

beforeAll(async () => {
  root = tempDir();
  h = await Harness.start({ blockingJitter: false });
  kubeB = await KubeDouble.start();
});
afterAll(async () => {
  await registrarB?.stop();
  await h.close();
  await kubeB.close();
  root.cleanup();
});

async function settled(registrar: RunningRegistrar): Promise<void> {
  await eventually(() => registrar.controller.isReady());
  await registrar.controller.whenIdle();
}

it('cluster A services appear as ExternalName in B; nothing loops back', async () => {
  // Cluster A ("east"): checkout. Cluster B ("west"): billing. A VM service registered directly.
  h.kube.create(service('checkout', { type: 'ClusterIP' }));
  h.kube.create(endpointSlice('checkout', [{ ip: '10.1.0.1' }]));
  kubeB.create(service('billing', { type: 'ClusterIP' }));
  kubeB.create(endpointSlice('billing', [{ ip: '10.2.0.1' }]));
  h.consul.seed.register({
    Node: 'vm-1',
    Address: '10.9.0.1',
    Service: { ID: 'legacy-db', Service: 'legacy-db', Port: 5432 },
  });

  const registrarA = await h.registrar({ clusterId: 'east' });
  const consul = createConsulClient(consulConfigFromEnv(h.consul.env(), {}, () => ''));
  registrarB = await startRegistrar(parseRegistrarConfig({ clusterId: 'west', httpPort: 0 }, {}), {
    logger: silent,
    consul,
    kubeConfig: kubeB.kubeConfig({ skipTLSVerify: true }),
    serveHttp: false,
    controller: { debounceMs: 10, retry: { initialMs: 20, maxMs: 200 } },
  });
  await settled(registrarA);
  await settled(registrarB);

  const dir = path.join(root.dir, 'two-clusters');
  mkdirSync(dir);
  const env = { ...process.env, ...h.consul.env() };
  const run = (cluster: string, remote: string) =>
    generate(
      [
        '--once',
        '--cluster-id',
        cluster,
        ...targetArgs({ repo: remote, workdir: path.join(dir, `work-${cluster}`), dir: 'consul' }),
      ],
      env,
    );
  const repoA = bareRemote(dir, 'a.git');
  const repoB = bareRemote(dir, 'b.git');

  expect((await run('west', repoB)).code).toBe(0);
  expect((await run('east', repoA)).code).toBe(0);
  const names = (remote: string) =>
    namesAt(remote, 'main', 'consul')
      .map((file) => path.basename(file, '.yaml'))
      .sort();
  expect(names(repoB)).toEqual([
    '.consul-k8s-gitops-owner',
    'checkout',
    'inventory.configmap',
    'kustomization',
    'legacy-db',
  ]);
  expect(names(repoA)).toEqual([
    '.consul-k8s-gitops-owner',
    'billing',
    'inventory.configmap',
    'kustomization',
    'legacy-db',
  ]);
  const inventoryB = filesAt(repoB, 'main', 'consul').get('consul/inventory.configmap.yaml')!;
  expect(inventoryB).toContain('"billing": came from this cluster\'s Kubernetes (--cluster-id west)');

  // B applies what its generator wrote (as Argo CD / Flux would); the registrar must ignore it.
  for (const [, text] of filesAt(repoB, 'main', 'consul')) {
    const object = yaml.load(text) as KubeObject;
    if (object.kind === 'Service') kubeB.apply(object);
  }
  await eventually(() => kubeB.get('services', 'default', 'checkout') !== undefined);
  await settled(registrarB);
  const westInstances = h
    .instances('k8s-sync-west')
    .map((instance) => instance.Service)
    .sort();
  expect(westInstances).toEqual(['billing']);

  // And the next generator runs change nothing: no loop, no churn.
  expect((await run('west', repoB)).stdout).toMatch(/^up to date/);
  expect((await run('east', repoA)).stdout).toMatch(/^up to date/);
});
