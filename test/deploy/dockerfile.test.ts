/**
 * Static checks of the Dockerfile and .dockerignore (no Docker engine here): multi-stage build
 * with `npm ci` + tsc, production dependencies only at runtime, git present, a numeric
 * non-root user matching the manifests, HOME on the writable /tmp volume, the CLI as entrypoint.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { workloads } from './inspect';
import { runtimePackages } from './runtime-deps';
import { renderOverlay, REPO_ROOT } from './render';

interface Stage {
  name: string;
  base: string;
  instructions: string[];
}

/** FROM-delimited stages with their instructions (continuations joined, comments dropped). */
function stages(dockerfile: string): Stage[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const result: Stage[] = [];
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) result.push({ base: from[1] ?? '', name: from[2] ?? '', instructions: [] });
    else result.at(-1)?.instructions.push(line);
  }
  return result;
}

const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
const all = stages(dockerfile);
const runtime = all.at(-1) as Stage;
const has = (stage: Stage, pattern: RegExp) => stage.instructions.some((i) => pattern.test(i));

test('builds with npm ci and the build script in a separate stage', () => {
  expect(all.length).toBeGreaterThanOrEqual(2);
  const build = all.find((s) => has(s, /npm run build/));
  expect(build).toBeDefined();
  expect(has(build as Stage, /npm ci\b/)).toBe(true);
  expect(build).not.toBe(runtime);
});

test('ships production dependencies only, with git, and no npm step at runtime', () => {
  const copiesModules = runtime.instructions.filter((i) => /^COPY\b.*node_modules/.test(i));
  expect(copiesModules).toHaveLength(1);
  const stageName = /--from=(\S+)/.exec(copiesModules[0] ?? '')?.[1];
  const deps = all.find((s) => s.name === stageName) as Stage;
  expect(has(deps, /npm ci\b.*--omit=dev/)).toBe(true);
  expect(has(runtime, /apt-get install.*\bgit\b/)).toBe(true);
  expect(has(runtime, /^RUN\b.*\bnpm\b/)).toBe(false);
});

test('runs as a numeric non-root user that matches the manifests, with HOME on /tmp', async () => {
  const user = runtime.instructions.filter((i) => /^USER\b/.test(i)).at(-1) ?? '';
  const match = /^USER\s+(\d+)(?::(\d+))?$/.exec(user);
  expect(match).not.toBeNull();
  const uid = Number(match?.[1]);
  expect(uid).toBeGreaterThan(0);
  expect(has(runtime, /^ENV\b.*\bHOME=\/tmp\b/)).toBe(true);
  for (const w of workloads(await renderOverlay('overlays/production')))
    expect(w.template.spec.securityContext?.runAsUser).toBe(uid);
});

test('starts the CLI, so container args begin with the subcommand', () => {
  const entrypoint = runtime.instructions.find((i) => /^ENTRYPOINT\b/.test(i)) ?? '';
  const argv = JSON.parse(entrypoint.replace(/^ENTRYPOINT\s+/, '')) as string[];
  expect(argv.slice(-2)).toEqual(['node', '/app/dist/cli.js']);
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };
  expect(Object.values(pkg.bin)).toEqual(['dist/cli.js']);
});

test('.dockerignore keeps the build inputs in the context', () => {
  const ignored = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const needed of [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'cli.ts',
    'core',
    'webhook',
    'registrar',
    'generator',
    'lint',
  ])
    expect(ignored).not.toContain(needed);
  for (const excluded of ['node_modules', '.git', 'dist']) expect(ignored).toContain(excluded);
});

test('everything the program loads at run time is a production dependency', () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const { packages, unresolved } = runtimePackages(path.join(REPO_ROOT, 'cli.ts'));
  expect(unresolved).toEqual([]);
  expect(packages.size).toBeGreaterThan(5);
  expect([...packages].filter((p) => !(p in pkg.dependencies))).toEqual([]);
});

test('the shipped program never loads test code (the doubles under test/ stay out of the image)', () => {
  const { files } = runtimePackages(path.join(REPO_ROOT, 'cli.ts'));
  const relative = [...files].map((f) => path.relative(REPO_ROOT, f));
  for (const command of ['registrar', 'generator', 'webhook'])
    expect(relative.some((f) => f.startsWith(`${command}${path.sep}`))).toBe(true); // lazy commands reached
  const testCode = relative.filter(
    (f) => f.startsWith(`test${path.sep}`) || f.startsWith(`bench${path.sep}`) || /\.test\.ts$/.test(f),
  );
  expect(testCode).toEqual([]);
  // dist/test holds the compiled doubles (tsconfig.build.json compiles them for bench/): the
  // build stage deletes them, so nothing under test/ reaches the runtime image.
  expect(dockerfile).toMatch(/rm -rf[^\n]*\bdist\/test\b/);
});

/** Majors an `engines` range of `^X.Y.Z` alternatives admits (the form package.json uses). */
function engineMajors(range: string): number[] {
  return range.split('||').map((alternative) => {
    const match = /^\^(\d+)\.\d+\.\d+$/.exec(alternative.trim());
    if (!match) throw new Error(`engines.node: "${alternative.trim()}" is not a ^X.Y.Z range`);
    return Number(match[1]);
  });
}

test('every stage runs Node.js 24 LTS (20 is end of life), a line that engines states', () => {
  const arg = /^ARG\s+NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? '';
  const bases = all.map((s) => s.base.replace('${NODE_IMAGE}', arg));
  for (const base of bases) expect(base).toMatch(/^node:24-[a-z]+-slim$/);
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    engines: { node: string };
  };
  const majors = engineMajors(pkg.engines.node);
  // Supported = tested: the image's line (CI runs the suite on it, scripts/node24.sh) and the
  // line of the machine running this test, nothing open-ended.
  expect(majors).toContain(24);
  expect(majors).toContain(Number(process.versions.node.split('.')[0]));
  expect(pkg.engines.node).not.toMatch(/>|\*|x/);
});

test('the engines check rejects open-ended ranges (the check itself works)', () => {
  expect(() => engineMajors('>=20')).toThrow(/not a \^X\.Y\.Z range/);
  expect(engineMajors('^20.19.0 || ^24.0.0')).toEqual([20, 24]);
});
