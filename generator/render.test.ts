/**
 * Golden files: generator/testdata/<case>/input/{catalog.json,options.json} rendered must equal
 * generator/testdata/<case>/expected/ byte for byte. `UPDATE_GOLDEN=1 npx jest generator/render`
 * rewrites the expected files (review the diff before committing).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { Service } from 'kubernetes-models/v1';
import { analyzeService } from '../core/annotations';
import { lintServices } from '../lint/lint';
import { findServices } from '../lint/manifests';
import { isDns1035Label, isDnsSubdomain } from '../core/names/dns';
import { desiredState } from './desired';
import { INVENTORY_FILE, KUSTOMIZATION_FILE, serviceManifest } from './render';
import type { SelectOptions } from './select';
import { parseCatalogFile } from './source/catalog-file';
import type { RenderOptions } from './types';

const testdata = path.join(__dirname, 'testdata');
const cases = readdirSync(testdata).filter((name) =>
  existsSync(path.join(testdata, name, 'input', 'catalog.json')),
);

interface CaseOptions extends Partial<SelectOptions>, Partial<RenderOptions> {}

function renderCase(name: string, shuffle = false) {
  const input = path.join(testdata, name, 'input');
  const options = JSON.parse(readFileSync(path.join(input, 'options.json'), 'utf8')) as CaseOptions;
  const snapshot = parseCatalogFile(readFileSync(path.join(input, 'catalog.json'), 'utf8'));
  if (shuffle) snapshot.services.reverse();
  const select: SelectOptions = {
    syncTag: options.syncTag ?? 'k8s',
    include: options.include ?? [],
    exclude: options.exclude ?? [],
    prefix: options.prefix ?? '',
  };
  const render: RenderOptions = {
    namespace: options.namespace ?? 'default',
    domain: options.domain ?? 'consul',
    annotateTags: options.annotateTags ?? false,
    ...(options.datacenter ? { datacenter: options.datacenter } : {}),
  };
  return { state: desiredState(snapshot, select, render), render };
}

describe.each(cases)('golden case %s', (name) => {
  const expectedDir = path.join(testdata, name, 'expected');
  const { state, render } = renderCase(name);

  if (process.env.UPDATE_GOLDEN === '1') {
    rmSync(expectedDir, { recursive: true, force: true });
    mkdirSync(expectedDir, { recursive: true });
    for (const [file, content] of state.files) writeFileSync(path.join(expectedDir, file), content);
  }

  it('renders exactly the expected files, byte for byte', () => {
    const expected = new Map(
      readdirSync(expectedDir).map((file) => [file, readFileSync(path.join(expectedDir, file), 'utf8')]),
    );
    expect([...state.files.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [file, content] of state.files) expect(content).toBe(expected.get(file));
  });

  it('is byte-identical whatever the catalog order', () => {
    expect(renderCase(name, true).state.files).toEqual(state.files);
  });

  it('lists exactly the files present in kustomization.yaml', () => {
    const kustomization = yaml.load(state.files.get(KUSTOMIZATION_FILE)!) as { resources: string[] };
    expect(kustomization.resources).toEqual(
      [...state.files.keys()].filter((file) => file !== KUSTOMIZATION_FILE).sort(),
    );
    expect(state.files.has(INVENTORY_FILE)).toBe(true);
  });

  it('passes our own lint (the rendered files, as text) with no finding', () => {
    for (const [file, content] of state.files) {
      expect(lintServices(file, findServices(content), {})).toEqual([]);
    }
    const services = [...state.files.values()].flatMap((content) => findServices(content));
    expect(services).toHaveLength(state.selected.length);
  });

  it('renders Services that pass the annotation rules and the Kubernetes schema', () => {
    for (const service of state.selected) {
      const manifest = serviceManifest(service, render);
      const parsed = yaml.load(state.files.get(`${service.k8sName}.yaml`)!);
      expect(parsed).toEqual(manifest);
      expect(analyzeService(manifest as never).findings).toEqual([]);
      expect(() => new Service(manifest as never).validate()).not.toThrow();
      expect(isDns1035Label(service.k8sName)).toBe(true);
      const externalName = (manifest.spec as { externalName: string }).externalName;
      expect(isDnsSubdomain(externalName)).toBe(true);
    }
  });
});
