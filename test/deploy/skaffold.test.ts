/**
 * skaffold.yaml validates against skaffold's schema (stored subset of v4beta14), every path it
 * names exists, each profile deploys one part, and every port-forward target is rendered by
 * the kustomization it deploys.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { field, find } from './inspect';
import { kustomize, REPO_ROOT, type K8sObject } from './render';
import { schemaErrors, storedSchema } from './validate';

interface PortForward {
  resourceType: string;
  resourceName: string;
  namespace?: string;
  port: number | string;
  localPort?: number;
}
interface Deployable {
  manifests?: { kustomize?: { paths?: string[] } };
  portForward?: PortForward[];
}
interface SkaffoldConfig extends Deployable {
  apiVersion: string;
  build: { artifacts: { image: string; context?: string; docker?: { dockerfile?: string } }[] };
  profiles?: (Deployable & { name: string })[];
}

const config = yaml.load(readFileSync(path.join(REPO_ROOT, 'skaffold.yaml'), 'utf8')) as SkaffoldConfig;
const profiles = config.profiles ?? [];
const rendered = new Map<string, K8sObject[]>();

beforeAll(async () => {
  const paths = new Set([config, ...profiles].flatMap((d) => d.manifests?.kustomize?.paths ?? []));
  for (const p of paths) rendered.set(p, await kustomize(path.join(REPO_ROOT, p)));
}, 60_000);

test('validates against the skaffold v4beta14 schema (the current one)', () => {
  expect(config.apiVersion).toBe('skaffold/v4beta14');
  expect(schemaErrors(storedSchema('skaffold_v4beta14'), config, 'skaffold.yaml')).toEqual([]);
});

test('the schema check rejects unknown fields (the check itself works)', () => {
  const broken = { ...config, deploy: { kubectl: {}, kustomize: { paths: ['x'] } } };
  expect(schemaErrors(storedSchema('skaffold_v4beta14'), broken, 'broken')).not.toEqual([]);
});

test('builds the one image from the Dockerfile that the manifests use', () => {
  expect(config.build.artifacts).toHaveLength(1);
  const [artifact] = config.build.artifacts;
  const context = path.join(REPO_ROOT, artifact?.context ?? '.');
  expect(existsSync(path.join(context, artifact?.docker?.dockerfile ?? 'Dockerfile'))).toBe(true);
  for (const objects of rendered.values()) {
    const images = JSON.stringify(objects).match(/"image":"[^"]+"/g) ?? [];
    expect(new Set(images)).toEqual(new Set([`"image":"${artifact?.image}"`]));
  }
});

test('deploys the dev overlay, and one part per profile', () => {
  expect(config.manifests?.kustomize?.paths).toEqual(['deploy/overlays/dev']);
  expect(profiles.map((p) => p.name).sort()).toEqual(['generator', 'registrar', 'webhook']);
  for (const profile of profiles) {
    const [only] = profile.manifests?.kustomize?.paths ?? [];
    expect(existsSync(path.join(REPO_ROOT, only ?? '', 'kustomization.yaml'))).toBe(true);
    const components = new Set(
      (rendered.get(only ?? '') ?? [])
        .map((o) => o.metadata.labels?.['app.kubernetes.io/component'])
        .filter(Boolean),
    );
    expect([...components]).toEqual([profile.name]);
  }
});

test('forwards ports of Services that the deployed kustomization renders', () => {
  for (const deployable of [config, ...profiles]) {
    const [kustomizePath] =
      deployable.manifests?.kustomize?.paths ?? config.manifests?.kustomize?.paths ?? [];
    const objects = rendered.get(kustomizePath ?? '') ?? [];
    for (const pf of deployable.portForward ?? []) {
      expect(pf.resourceType.toLowerCase()).toBe('service');
      const service = find(objects, 'Service', pf.resourceName);
      expect(service?.metadata.namespace).toBe(pf.namespace);
      const ports = field<{ port: number }[]>(service, 'spec', 'ports') ?? [];
      expect(ports.map((p) => p.port)).toContain(pf.port);
    }
  }
});
