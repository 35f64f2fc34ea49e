/**
 * The mass-deletion guard across runs (finding 9): runs that each stay under
 * --max-delete-percent cannot erode the path 10 -> 5 -> 3 -> 2 -> 1; the ownership marker
 * keeps the high-water mark; --allow-mass-delete accepts the smaller state and resets it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bareRemote, generate, git, namesAt, tempDir } from '../test/support/generator/git-fixture';
import { targetArgs } from '../test/support/generator/cli';

let root: { dir: string; cleanup(): void };
beforeAll(() => {
  root = tempDir();
});
afterAll(() => root.cleanup());

const services = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`svc-${String(i).padStart(2, '0')}`, []]));

it('compares each run with the high-water mark, not only with the previous run', async () => {
  const dir = path.join(root.dir, 'erosion');
  mkdirSync(dir);
  const remote = bareRemote(dir);
  const catalog = path.join(dir, 'catalog.json');
  const run = async (count: number, ...extra: string[]) => {
    writeFileSync(catalog, JSON.stringify(services(count)));
    const args = ['--once', ...targetArgs({ catalog, repo: remote, workdir: path.join(dir, 'work') })];
    return generate([...args, '--path', 'consul', ...extra]);
  };
  const serviceCount = () => namesAt(remote, 'main', 'consul').filter((file) => /svc-/.test(file)).length;
  const marker = () => git(remote, 'show', 'main:consul/.consul-k8s-gitops-owner');

  expect((await run(10)).code).toBe(0);
  expect(marker()).toContain('guard-high-water-mark: 10');
  expect((await run(5)).code).toBe(0);
  expect(serviceCount()).toBe(5);
  expect(marker()).toContain('guard-high-water-mark: 10');

  const head = git(remote, 'rev-parse', 'main');
  const eroded = await run(3);
  expect(eroded.code).toBe(3);
  expect(eroded.stderr).toContain(
    'refusing to remove 2 of 5 managed Services: 3 would be left of the 10 this path held',
  );
  expect(git(remote, 'rev-parse', 'main')).toBe(head);

  // Growing back within the mark is fine; growing past it raises the mark.
  expect((await run(8)).code).toBe(0);
  expect(marker()).toContain('guard-high-water-mark: 10');
  expect((await run(12)).code).toBe(0);
  expect(marker()).toContain('guard-high-water-mark: 12');

  // An intended shrink: one --allow-mass-delete run, and the smaller state is the new mark.
  expect((await run(6)).code).toBe(0);
  expect((await run(3)).code).toBe(3);
  expect((await run(3, '--allow-mass-delete')).code).toBe(0);
  expect(marker()).toContain('guard-high-water-mark: 3');
  expect((await run(2)).code).toBe(0);
  expect(serviceCount()).toBe(2);
});
