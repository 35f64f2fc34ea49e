/**
 * examples/gitops: the Argo CD and Flux objects validate against their stored schemas, apply
 * the generator's output with pruning, and the install kustomization only references paths
 * that exist in this repository's deploy/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { field, ofKind } from './inspect';
import { parseObjects, REPO_ROOT, type K8sObject } from './render';
import { validateObject } from './validate';

const EXAMPLES = path.join(REPO_ROOT, 'examples', 'gitops');
const load = (dir: string): K8sObject[] =>
  readdirSync(path.join(EXAMPLES, dir))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseObjects(readFileSync(path.join(EXAMPLES, dir, f), 'utf8')));

const argo = load('argocd');
const flux = load('flux');

/** A generator setting in the shipped base (ConfigMap consul-k8s-gitops-generator). */
function generatorSetting(key: string): string {
  const base = yaml.load(
    readFileSync(path.join(REPO_ROOT, 'deploy', 'base', 'kustomization.yaml'), 'utf8'),
  ) as {
    configMapGenerator: { name: string; literals: string[] }[];
  };
  const literals =
    base.configMapGenerator.find((g) => g.name === 'consul-k8s-gitops-generator')?.literals ?? [];
  return literals.find((l) => l.startsWith(`${key}=`))?.split('=')[1] ?? '';
}
const generatorPath = (): string => generatorSetting('GENERATOR_PATH');

test('every example object validates against its schema', () => {
  expect(argo.length).toBeGreaterThanOrEqual(2);
  expect(flux.length).toBeGreaterThanOrEqual(3);
  expect([...argo, ...flux].flatMap(validateObject)).toEqual([]);
});

test('the schema check rejects a misspelt field (the check itself works)', () => {
  const [app] = ofKind(argo, 'Application');
  const broken = {
    ...app,
    spec: { ...(app?.spec as object), syncPolicy: { automated: { purne: true } } },
  } as K8sObject;
  expect(validateObject(broken)).not.toEqual([]);
});

test("Argo CD and Flux apply the generator's output path with pruning", () => {
  const managed = generatorPath();
  const app = ofKind(argo, 'Application').find((a) => field(a, 'spec', 'source', 'path') === managed);
  expect(field(app, 'spec', 'syncPolicy', 'automated')).toMatchObject({ prune: true, allowEmpty: false });
  const ks = ofKind(flux, 'Kustomization').find((k) => field(k, 'spec', 'path') === `./${managed}`);
  expect(field(ks, 'spec', 'prune')).toBe(true);
  const source = field<{ kind: string; name: string }>(ks, 'spec', 'sourceRef');
  expect(flux.some((o) => o.kind === source?.kind && o.metadata.name === source.name)).toBe(true);
});

test("the generator's write namespace is created: by Argo CD, and declared for Flux (which never creates one)", () => {
  const namespace = generatorSetting('GENERATOR_WRITE_NAMESPACE');
  const managed = generatorPath();
  const app = ofKind(argo, 'Application').find((a) => field(a, 'spec', 'source', 'path') === managed);
  expect(field<string[]>(app, 'spec', 'syncPolicy', 'syncOptions')).toContain('CreateNamespace=true');
  expect(field(app, 'spec', 'destination', 'namespace')).toBe(namespace);
  expect(ofKind(flux, 'Namespace').map((n) => n.metadata.name)).toContain(namespace);
});

test('Argo CD and Flux install this project, ignoring the CA bundle cert-manager injects', () => {
  const install = ofKind(argo, 'Application').find((a) => a.metadata.name === 'consul-k8s-gitops');
  expect(field(install, 'spec', 'syncPolicy', 'automated', 'prune')).toBe(true);
  expect(field(install, 'spec', 'ignoreDifferences')).toEqual([
    expect.objectContaining({
      kind: 'ValidatingWebhookConfiguration',
      jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'],
    }),
  ]);
  expect(field<string[]>(install, 'spec', 'syncPolicy', 'syncOptions')).toContain(
    'RespectIgnoreDifferences=true',
  );
  const fluxInstall = ofKind(flux, 'Kustomization').find((k) => k.metadata.name === 'consul-k8s-gitops');
  expect(field(fluxInstall, 'spec', 'prune')).toBe(true);
  expect(field(fluxInstall, 'spec', 'dependsOn')).toEqual([{ name: 'cert-manager' }]);
});

test('the install kustomization references only paths that exist in deploy/, at one release', () => {
  const k = yaml.load(readFileSync(path.join(EXAMPLES, 'install', 'kustomization.yaml'), 'utf8')) as Record<
    string,
    string[]
  >;
  const remote = [...(k.resources ?? []), ...(k.components ?? []), ...(k.transformers ?? [])];
  expect(remote.length).toBeGreaterThanOrEqual(5);
  const refs = new Set<string>();
  for (const url of remote) {
    const match = /^https:\/\/github\.com\/[^/]+\/[^/]+\/\/(deploy\/[^?]+)\?ref=(.+)$/.exec(url);
    expect(match).not.toBeNull();
    expect(existsSync(path.join(REPO_ROOT, match?.[1] ?? '', 'kustomization.yaml'))).toBe(true);
    refs.add(match?.[2] ?? '');
  }
  expect(refs.size).toBe(1);
});
