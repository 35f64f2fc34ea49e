/**
 * The sharded layout as Argo CD and Flux see it: the built CLI renders 3,000 services (default
 * --shard-size 500, so 8 shards), the real kustomize builds every shard directory on its own (one
 * Application / Kustomization each), every Service comes out exactly once, each unit stays bounded
 * and every object far below the 256 KiB a client-side apply's annotation allows; one shard is
 * applied server-side (Argo CD ServerSideApply=true, Flux) to a real kube-apiserver. A small
 * sharded tree's top kustomization.yaml still builds the whole catalog, and the sharded Argo CD
 * and Flux examples are accepted by the real API server with the real CRDs and match its shards.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../deploy/render';
import { eventually } from '../support/wait';
import { buildUnit, generatedUnits, type UnitBuild } from '../support/kustomize-units';
import { REAL_CRDS, realBinary, removeDir, tempDir } from './servers/process';
import { startRealKube, type RealKube } from './servers/kube';

const NAMESPACE = 'consul-services';
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull };

let dir: string;
let kube: RealKube;
beforeAll(async () => {
  dir = tempDir('sharded');
  kube = await startRealKube();
}, 120_000);
afterAll(async () => {
  await kube?.stop();
  removeDir(dir);
});

/** Renders `count` services with the built CLI into a local repository; returns the managed directory. */
function render(name: string, count: number): string {
  const catalog: Record<string, string[]> = {};
  for (let i = 0; i < count; i += 1)
    catalog[`payments-ledger-reconciliation-${String(i).padStart(5, '0')}`] = i % 7 === 0 ? ['v1'] : [];
  const catalogFile = join(dir, `${name}.json`);
  writeFileSync(catalogFile, JSON.stringify(catalog));
  const repo = join(dir, name);
  execFileSync(
    process.execPath,
    [
      join(REPO_ROOT, 'dist/cli.js'),
      'generate',
      '--once',
      `--catalog-file=${catalogFile}`,
      `--repo=${repo}`,
      '--path=services',
      `--k8s-write-namespace=${NAMESPACE}`,
      '--log-level=warn',
    ],
    { env: GIT_ENV, stdio: 'ignore' },
  );
  return join(repo, 'services');
}

describe('3,000 services in shards', () => {
  let managed: string;
  let builds: UnitBuild[];
  beforeAll(() => {
    managed = render('large', 3000);
    builds = generatedUnits(managed).map((unit) => buildUnit(realBinary('kustomize'), managed, unit));
  }, 300_000);

  it('builds every shard with real kustomize, each Service exactly once', () => {
    expect(builds.map((build) => build.unit)).toEqual(Array.from({ length: 8 }, (_, i) => `shard-0${i}`));
    const services = builds.flatMap((build) => build.services);
    expect(services).toHaveLength(3000);
    expect(new Set(services).size).toBe(3000);
    // Each unit: its Services and its own inventory ConfigMap.
    for (const build of builds) expect(build.objects).toBe(build.services.length + 1);
  });

  it('keeps every unit bounded and every object far below 256 KiB', () => {
    for (const build of builds) {
      expect(build.services.length).toBeLessThanOrEqual(500);
      expect(build.largestObjectBytes).toBeLessThan(100 * 1024);
      // Generous under a loaded machine; BENCHMARKS.md has the measured figure.
      expect(build.ms).toBeLessThan(10_000);
    }
  });

  it('applies a shard server-side to a real kube-apiserver', () => {
    const create = kube.kubectl(['create', 'namespace', NAMESPACE]);
    expect(create.stderr).toBe('');
    const built = execFileSync(realBinary('kustomize'), ['build', join(managed, 'shard-03')], {
      encoding: 'utf8',
    });
    const applied = kube.kubectl(['apply', '--server-side', '--field-manager=argocd-controller', '-f', '-'], {
      input: built,
    });
    expect(applied.stderr).toBe('');
    expect(applied.status).toBe(0);
    const shard = builds.find((build) => build.unit === 'shard-03')!;
    const listed = kube.kubectl(['get', 'services', '-n', NAMESPACE, '-o', 'name']);
    expect(listed.stdout.trim().split('\n')).toHaveLength(shard.services.length);
    const inventory = kube.kubectl(['get', 'configmaps', '-n', NAMESPACE, '-o', 'json']);
    const items = (JSON.parse(inventory.stdout) as { items: { metadata: { name: string } }[] }).items;
    const stored = items.find((item) => item.metadata.name.endsWith('-shard-03'))!;
    expect(Buffer.byteLength(JSON.stringify(stored))).toBeLessThan(100 * 1024);
  });
});

describe('1,500 services: 4 shards', () => {
  let managed: string;
  beforeAll(() => {
    managed = render('small', 1500);
  }, 120_000);

  it('builds whole from the top kustomization.yaml', () => {
    const whole = buildUnit(realBinary('kustomize'), managed, '.');
    expect(whole.services).toHaveLength(1500);
    expect(whole.objects).toBe(1504);
  });

  it('is what the sharded Argo CD and Flux examples point at, and the real API server accepts them', async () => {
    const units = generatedUnits(managed);
    expect(units).toEqual(['shard-00', 'shard-01', 'shard-02', 'shard-03']);
    const examples = ['argocd-sharded', 'flux-sharded'].map((name) =>
      join(REPO_ROOT, 'examples', 'gitops', name, 'consul-services.yaml'),
    );
    type Example = { kind: string; metadata: { name: string }; spec?: Record<string, unknown> };
    const [argo, flux] = examples.map((file) => yaml.loadAll(readFileSync(file, 'utf8')) as Example[]);
    const appSet = argo!.find((object) => object.kind === 'ApplicationSet')!;
    const { generators, template } = appSet.spec as {
      generators: { git: { directories: { path: string }[] } }[];
      template: { spec: { syncPolicy: { syncOptions: string[] } } };
    };
    const glob = generators[0]!.git.directories[0]!.path;
    expect(glob).toBe('clusters/cluster-1/consul-services/shard-*');
    expect(units.every((unit) => unit.startsWith('shard-'))).toBe(true);
    expect(template.spec.syncPolicy.syncOptions).toEqual(
      expect.arrayContaining(['CreateNamespace=true', 'ServerSideApply=true']),
    );
    const paths = flux!
      .filter((object) => object.kind === 'Kustomization')
      .map((object) => object.spec!.path);
    expect(paths).toEqual(units.map((unit) => `./clusters/cluster-1/consul-services/${unit}`));
    expect(flux!.find((object) => object.kind === 'Namespace')?.metadata.name).toBe(NAMESPACE);

    for (const crd of [
      'applicationset-crd.yaml',
      'kustomize.toolkit.fluxcd.io_kustomizations.yaml',
      'source.toolkit.fluxcd.io_gitrepositories.yaml',
    ]) {
      const res = kube.kubectl(['apply', '--server-side', '-f', join(REAL_CRDS, crd)]);
      if (res.status !== 0) throw new Error(`installing ${crd}: ${res.stderr}`);
    }
    await eventually(
      () =>
        kube.kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd', '--all']).status === 0,
      { timeoutMs: 60_000, intervalMs: 1000, what: 'the CRDs to be established' },
    );
    for (const namespace of ['argocd', 'flux-system']) kube.kubectl(['create', 'namespace', namespace]);
    for (const file of examples) {
      const res = kube.kubectl([
        'apply',
        '--dry-run=server',
        '--server-side',
        '--field-manager=dry-run',
        '-f',
        file,
      ]);
      expect(res.stderr).toBe('');
      expect(res.status).toBe(0);
    }
  }, 120_000);
});
