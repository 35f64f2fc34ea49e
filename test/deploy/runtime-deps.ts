/**
 * The packages the shipped program loads at run time: follows the import graph from cli.ts
 * through relative imports (type-only imports vanish at compile time and are skipped) and
 * collects the bare package names and the local files reached. The runtime image installs
 * `dependencies` only and ships no test code.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** import/export ... from '...', side-effect imports, require('...') and import('...'). */
const STATIC = /(?:^|[\n;])\s*(?:import|export)\s+(type\s+)?(?:[^;'"]*?\s+from\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC = /\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g;

function resolveLocal(fromFile: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.json`, path.join(base, 'index.ts')])
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  return undefined;
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
const packageName = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

export function runtimePackages(entry: string): {
  packages: Set<string>;
  unresolved: string[];
  /** Every local source file the program loads (absolute paths). */
  files: Set<string>;
} {
  const packages = new Set<string>();
  const unresolved: string[] = [];
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith('.ts')) continue;
    const source = readFileSync(file, 'utf8');
    const specs = [
      ...[...source.matchAll(STATIC)].filter((m) => !m[1]).map((m) => m[2] as string),
      ...[...source.matchAll(DYNAMIC)].map((m) => m[1] as string),
    ];
    for (const spec of specs) {
      if (spec.startsWith('.')) {
        const target = resolveLocal(file, spec);
        if (target) queue.push(target);
        else unresolved.push(`${path.basename(file)}: ${spec}`);
      } else if (!spec.startsWith('node:')) packages.add(packageName(spec));
    }
  }
  return { packages, unresolved, files: seen };
}
