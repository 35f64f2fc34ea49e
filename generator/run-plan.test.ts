/**
 * The pure planner without a repository: the starting tree is golden files of generator/testdata
 * (as committed: path -> blob id) and blob contents are a Map; each stage's `reads` are answered
 * from it and recorded, so the tests also say which committed files a run reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gitBlobId, type TreeEntry } from './git/objects';
import { OWNER_FILE, renderOwnerMarker } from './render';
import { compareRun, renderRun, settleRun, type PlanInput, type PlanSettings } from './run-plan';
import { parseCatalogFile } from './source/catalog-file';
import type { CatalogSnapshot } from './source/catalog';

const basic = path.join(__dirname, 'testdata', 'basic');
const catalog = (): CatalogSnapshot =>
  parseCatalogFile(readFileSync(path.join(basic, 'input', 'catalog.json'), 'utf8'));
/** The basic case's expected output, as a run would have committed it. */
const committed = (): Map<string, string> =>
  new Map(
    readdirSync(path.join(basic, 'expected')).map((file) => [
      file,
      readFileSync(path.join(basic, 'expected', file), 'utf8'),
    ]),
  );

const settings: PlanSettings = {
  select: { syncTag: 'k8s', include: [], exclude: [], prefix: '' },
  render: { namespace: 'default', domain: 'consul', annotateTags: false },
  managedPath: 'consul',
  guard: { maxDeletePercent: 50, allowMassDelete: false },
};

/** A tree and the blob store behind it, from file contents. */
function treeOf(files: ReadonlyMap<string, string>) {
  const tree = new Map<string, TreeEntry>();
  const blobs = new Map<string, string>();
  for (const [file, content] of files) {
    tree.set(file, { type: 'file', blob: gitBlobId(content) });
    blobs.set(gitBlobId(content), content);
  }
  return { tree, blobs };
}

const blobOf = (tree: ReadonlyMap<string, TreeEntry>, file: string): string | undefined => {
  const entry = tree.get(file);
  return entry?.type === 'file' ? entry.blob : undefined;
};

/** Runs the three stages, answering each stage's reads from `blobs`; returns what was read too. */
function plan(input: PlanInput, blobs: ReadonlyMap<string, string>) {
  const read: string[][] = [];
  const answer = (ids: string[]) => {
    read.push(ids);
    return new Map(ids.flatMap((id) => (blobs.has(id) ? [[id, blobs.get(id)!] as const] : [])));
  };
  const rendered = renderRun(input);
  const settled = settleRun(rendered, answer(rendered.reads));
  return { result: compareRun(settled, answer(settled.reads)), read };
}

const inputFor = (
  snapshot: CatalogSnapshot,
  tree: Map<string, TreeEntry>,
  over: Partial<PlanSettings> = {},
) => ({
  settings: { ...settings, ...over },
  snapshot,
  tree,
  repositoryConflicts: new Map<string, string>(),
  clusterConflicts: new Map<string, string>(),
});

describe('generator/run-plan.ts: planning from a tree and blob contents', () => {
  it('plans nothing and reads no blob when the tree holds what the catalog renders', () => {
    const { tree, blobs } = treeOf(committed());
    const { result, read } = plan(inputFor(catalog(), tree), blobs);
    expect(result.plan.writes).toEqual([]);
    expect(result.plan.deletes).toEqual([]);
    expect(result.guard.allowed).toBe(true);
    expect(read).toEqual([[], []]);
  });

  it('reads only the changed and removed files, and describes them from their content', () => {
    const files = committed();
    files.set('web.yaml', files.get('web.yaml')!.replace('web.service.consul', 'web.service.dc9.consul'));
    files.set('old.yaml', files.get('db.yaml')!.replaceAll('db', 'old'));
    const { tree, blobs } = treeOf(files);
    const { result, read } = plan(inputFor(catalog(), tree), blobs);
    expect(read[1]!.sort()).toEqual([blobOf(tree, 'old.yaml'), blobOf(tree, 'web.yaml')].sort());
    expect([...result.previous.keys()].sort()).toEqual(['old.yaml', 'web.yaml']);
    expect(result.plan.deletes).toEqual(['old.yaml']);
    expect(result.plan.changes).toEqual([
      {
        kind: 'removed',
        file: 'old.yaml',
        k8sName: 'old',
        consulName: 'old',
        externalNameBefore: 'old.service.consul',
      },
      {
        kind: 'changed',
        file: 'web.yaml',
        k8sName: 'web',
        consulName: 'web',
        externalNameBefore: 'web.service.dc9.consul',
        externalNameAfter: 'web.service.consul',
      },
    ]);
  });

  it('after a partial read keeps the committed Services it cannot confirm, from their blobs', () => {
    const { tree, blobs } = treeOf(committed());
    const snapshot = catalog();
    snapshot.services = snapshot.services.filter((service) => service.name !== 'db');
    snapshot.gaps = [{ what: '/v1/catalog/services', reason: 'filtered by ACLs' }];
    const { result, read } = plan(inputFor(snapshot, tree), blobs);
    expect(read[0]!.sort()).toEqual(
      [blobOf(tree, 'db.yaml'), blobOf(tree, 'inventory.configmap.yaml')].sort(),
    );
    expect(result.plan.deletes).toEqual([]);
    expect(result.desired.files.get('db.yaml')).toBe(committed().get('db.yaml'));
    expect(result.incomplete).toEqual({ gaps: snapshot.gaps, kept: ['db.yaml'] });
  });

  it("refuses a tree whose ownership marker names another generator, reading the marker's blob", () => {
    const files = committed();
    files.set(OWNER_FILE, renderOwnerMarker('east'));
    const { tree, blobs } = treeOf(files);
    const west = inputFor(catalog(), tree, { render: { ...settings.render, owner: 'west' } });
    const rendered = renderRun(west);
    expect(rendered.reads).toEqual([gitBlobId(renderOwnerMarker('east'))]);
    expect(() => settleRun(rendered, blobs)).toThrow(/--path: "consul" is owned by another generator/);
    const east = inputFor(catalog(), tree, { render: { ...settings.render, owner: 'east' } });
    expect(plan(east, blobs).result.desired.files.get(OWNER_FILE)).toBe(renderOwnerMarker('east', 3));
  });

  it('leaves the first stage as it was (the marker goes into a new map)', () => {
    const { tree, blobs } = treeOf(committed());
    const rendered = renderRun(inputFor(catalog(), tree, { render: { ...settings.render, owner: 'east' } }));
    const before = new Map(rendered.desired.files);
    const first = compareRun(settleRun(rendered, blobs), blobs);
    expect(rendered.desired.files).toEqual(before);
    expect(compareRun(settleRun(rendered, blobs), blobs)).toEqual(first);
  });
});
