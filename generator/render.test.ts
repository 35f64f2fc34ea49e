/**
 * Golden files: generator/testdata/<case>/input/{catalog.json,options.json} rendered must equal
 * generator/testdata/<case>/expected/ byte for byte. `UPDATE_GOLDEN=1 npx jest generator/render`
 * rewrites the expected files (review the diff before committing).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { Service } from 'kubernetes-models/v1';
import { analyzeService } from '../core/annotations';
import { lintServices } from '../lint/lint';
import { findServices } from '../lint/manifests';
import { isDns1035Label, isDnsSubdomain } from '../core/names/dns';
import { desiredState } from './desired';
import { baseName, directoryOf } from './git/objects';
import { INVENTORY_FILE, KUSTOMIZATION_FILE, OWNER_FILE, serviceManifest, servicePath } from './render';
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
    ...(options.shardSize ? { shardSize: options.shardSize } : {}),
    ...(options.inventoryName ? { inventoryName: options.inventoryName } : {}),
    ...(options.owner ? { owner: options.owner } : {}),
  };
  return { state: desiredState(snapshot, select, render), render };
}

describe.each(cases)('golden case %s', (name) => {
  const expectedDir = path.join(testdata, name, 'expected');
  const { state, render } = renderCase(name);

  if (process.env.UPDATE_GOLDEN === '1') {
    rmSync(expectedDir, { recursive: true, force: true });
    mkdirSync(expectedDir, { recursive: true });
    for (const [file, content] of state.files) {
      mkdirSync(path.dirname(path.join(expectedDir, file)), { recursive: true });
      writeFileSync(path.join(expectedDir, file), content);
    }
  }

  it('renders exactly the expected files, byte for byte', () => {
    const files = readdirSync(expectedDir, { recursive: true, encoding: 'utf8' })
      .map((file) => file.split(path.sep).join('/'))
      .filter((file) => statSync(path.join(expectedDir, file)).isFile());
    const expected = new Map(files.map((file) => [file, readFileSync(path.join(expectedDir, file), 'utf8')]));
    expect([...state.files.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [file, content] of state.files) expect(content).toBe(expected.get(file));
  });

  it('is byte-identical whatever the catalog order', () => {
    expect(renderCase(name, true).state.files).toEqual(state.files);
  });

  it('lists in each kustomization.yaml exactly the resources of its directory, and has an inventory in each', () => {
    const directories = new Set(['', ...[...state.files.keys()].map(directoryOf)]);
    for (const directory of directories) {
      const prefix = directory === '' ? '' : `${directory}/`;
      const kustomization = yaml.load(state.files.get(`${prefix}${KUSTOMIZATION_FILE}`)!) as {
        resources: string[];
      };
      const entries = new Set<string>();
      for (const file of state.files.keys()) {
        if (directoryOf(file) === directory) entries.add(baseName(file));
        else if (directory === '') entries.add(file.split('/')[0]!);
      }
      entries.delete(KUSTOMIZATION_FILE);
      entries.delete(OWNER_FILE);
      expect(kustomization.resources).toEqual([...entries].sort());
      if (directory !== '' || state.shards === 1) expect(entries.has(INVENTORY_FILE)).toBe(true);
    }
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
      const parsed = yaml.load(state.files.get(servicePath(service.k8sName, state.shards))!);
      expect(parsed).toEqual(manifest);
      expect(analyzeService(manifest as never).findings).toEqual([]);
      expect(() => new Service(manifest as never).validate()).not.toThrow();
      expect(isDns1035Label(service.k8sName)).toBe(true);
      const externalName = (manifest.spec as { externalName: string }).externalName;
      expect(isDnsSubdomain(externalName)).toBe(true);
    }
  });
});
