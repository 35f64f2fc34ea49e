/**
 * docs/architecture.md names the files one Service and one Consul service pass through: every
 * file it names must exist, so the page cannot drift from the tree when code moves.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const SKIP = new Set(['node_modules', 'dist', 'out', '.git', 'coverage']);

function files(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return SKIP.has(entry.name) ? [] : files(path.join(dir, entry.name));
    return [path.relative(ROOT, path.join(dir, entry.name))];
  });
}

/**
 * `dir/file.ts`, `file.ts` (a name in the folder the text is about) and `forge/forge.ts` (a path
 * inside it). A bare name only has to exist somewhere: the check catches a removed or renamed
 * file, not a bare name that another folder also has.
 */
function namedFiles(markdown: string): string[] {
  return [
    ...new Set(
      [
        ...markdown.matchAll(/(?<![\w./*-])(?:[\w][\w.-]*\/)*[\w][\w.-]*\.(?:ts|js|json|yaml)(?![\w/-])/g),
      ].map((m) => m[0]),
    ),
  ];
}

test('every file docs/architecture.md names exists', () => {
  const tree = files();
  const basenames = new Set(tree.map((file) => path.basename(file)));
  const named = namedFiles(readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8'));
  expect(named.length).toBeGreaterThan(30);
  const missing = named.filter((name) =>
    name.includes('/')
      ? !tree.some((file) => file === name || file.endsWith(`/${name}`))
      : !basenames.has(name),
  );
  expect(missing).toEqual([]);
});
