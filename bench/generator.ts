/**
 * Generator benchmark (`npm run bench -- generator`): 10,000 and 100,000 services from a catalog
 * file into a local Git repository, through the built CLI (one process per run, as in production):
 * cold render+commit, no-op run, one-service-change run, peak RSS of each run. Baseline in the same
 * run: plain `git init && git add -A && git commit` of the very same files, pre-written (the floor
 * Git itself sets for the cold run). The consumers' side is `npm run bench -- generator-kustomize`
 * (benchGeneratorKustomize): real `kustomize build` of every unit Argo CD or Flux renders.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildUnit, generatedUnits, type UnitBuild } from '../test/support/kustomize-units';
import { realBinary } from '../test/real/servers/process';

const CLI = path.join(__dirname, '..', 'cli.js');
const SIZES = (process.env.BENCH_GENERATOR_SIZES ?? '10000,100000').split(',').map(Number);
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull };

interface Measured {
  ms: number;
  rssMb: number;
}

const KUSTOMIZE_SIZE = Number(process.env.BENCH_KUSTOMIZE_SERVICES ?? '20000');

function catalog(size: number, extra = 0): string {
  const services: Record<string, string[]> = {};
  for (let i = 0; i < size + extra; i += 1)
    services[`svc-${String(i).padStart(6, '0')}`] = i % 10 === 0 ? ['v1', 'primary'] : [];
  return JSON.stringify(services);
}

/** One CLI run in its own process; peak RSS read by a preloaded exit hook. */
function runCli(work: string, args: string[]): Measured {
  const rssFile = path.join(work, 'rss.txt');
  const hook = path.join(work, 'rss-hook.js');
  writeFileSync(
    hook,
    `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--require', hook, CLI, 'generate', ...args], {
    env: GIT_ENV,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0)
    throw new Error(`generate failed (${result.status}): ${result.stderr.slice(0, 2000)}`);
  return { ms, rssMb: Number(readFileSync(rssFile, 'utf8')) / 1024 };
}

function timed(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function gitFloor(work: string, files: string): number {
  const dir = path.join(work, 'floor');
  cpSync(files, path.join(dir, 'services'), { recursive: true });
  const git = (...args: string[]) =>
    // No automatic gc: it would run detached after the commit, in the timing of what follows and in
    // the way of removing the directory.
    execFileSync(
      'git',
      ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', '-c', 'gc.auto=0', ...args],
      {
        cwd: dir,
        env: GIT_ENV,
        stdio: 'ignore',
      },
    );
  return timed(() => {
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'floor');
  });
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

interface ModeResult {
  cold: Measured;
  noop: Measured;
  oneChange: Measured;
}

/** Cold, no-op and one-change runs against one repository (`--repo` as given). */
function runModes(work: string, size: number, repoArgs: string[]): ModeResult {
  const catalogFile = path.join(work, 'catalog.json');
  const args = [
    '--once',
    '--catalog-file',
    catalogFile,
    ...repoArgs,
    '--path',
    'services',
    '--log-level',
    'warn',
  ];
  writeFileSync(catalogFile, catalog(size));
  const cold = runCli(work, args);
  const noop = runCli(work, args);
  writeFileSync(catalogFile, catalog(size, 1));
  const oneChange = runCli(work, args);
  return { cold, noop, oneChange };
}

/** Wall time of `node dist/cli.js --version`: the part of every run that is process start-up. */
function cliStartupMs(): number {
  const samples = [0, 1, 2].map(() =>
    timed(() => execFileSync(process.execPath, [CLI, '--version'], { stdio: 'ignore' })),
  );
  return samples.sort((a, b) => a - b)[1]!;
}

export async function benchGenerator(): Promise<void> {
  const rows: string[] = [];
  const startup = cliStartupMs();
  console.log(`CLI start-up (node dist/cli.js --version, median of 3): ${seconds(startup)}`);
  for (const size of SIZES) {
    const work = mkdtempSync(path.join(os.tmpdir(), 'bench-generator-'));
    try {
      // Production shape: a remote (bare repository on disk), commit + push.
      const remote = path.join(work, 'remote.git');
      execFileSync('git', ['init', '-q', '--bare', '-b', 'main', remote], { env: GIT_ENV });
      const remoteRun = runModes(work, size, ['--repo', remote, '--workdir', path.join(work, 'mirror')]);
      // npm start shape: a local work tree, files written and committed in place.
      const local = path.join(work, 'local');
      const localRun = runModes(work, size, ['--repo', local]);
      // Baseline: the same files, pre-written, committed by plain git.
      const files = path.join(work, 'files');
      mkdirSync(files);
      execFileSync('git', ['--work-tree', files, 'checkout', 'HEAD~1', '--', 'services'], {
        cwd: local,
        env: GIT_ENV,
      });
      const floor = gitFloor(work, path.join(files, 'services'));
      for (const [mode, result] of [
        ['remote (commit + push)', remoteRun],
        ['local work tree', localRun],
      ] as const) {
        const peak = Math.max(result.cold.rssMb, result.noop.rssMb, result.oneChange.rssMb);
        const cells = [
          size.toLocaleString('en-US'),
          mode,
          seconds(result.cold.ms),
          seconds(floor),
          (result.cold.ms / floor).toFixed(2),
          seconds(result.noop.ms),
          seconds(result.oneChange.ms),
          `${peak.toFixed(0)} MB`,
        ];
        console.log(cells.join(' | '));
        rows.push(`| ${cells.join(' | ')} |`);
      }
    } finally {
      rmSync(work, { recursive: true, force: true, maxRetries: 5 });
    }
  }
  console.log(`\nEvery run below includes the CLI start-up of ${seconds(startup)}.`);
  console.log(
    '\n| services | repository | cold render+commit | git add+commit floor | cold / floor | no-op run | one-change run | peak RSS |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
}

/** Renders `size` services with the built CLI into a fresh local repository; the managed directory. */
function renderTree(
  work: string,
  name: string,
  size: number,
  extra: string[] = [],
): { dir: string; ms: number } {
  const catalogFile = path.join(work, `${name}.json`);
  writeFileSync(catalogFile, catalog(size));
  const repo = path.join(work, name);
  const args = [
    '--once',
    '--catalog-file',
    catalogFile,
    '--repo',
    repo,
    '--path',
    'services',
    '--log-level',
    'warn',
  ];
  const { ms } = runCli(work, [...args, ...extra]);
  return { dir: path.join(repo, 'services'), ms };
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

function unitRow(label: string, builds: UnitBuild[]): string {
  const slowest = builds.reduce((a, b) => (b.ms > a.ms ? b : a));
  const largest = builds.reduce((a, b) => (b.largestObjectBytes > a.largestObjectBytes ? b : a));
  const services = builds.map((build) => build.services.length);
  const cells = [
    label,
    String(builds.length),
    `${Math.min(...services)}–${Math.max(...services)}`,
    seconds(slowest.ms),
    seconds(builds.reduce((sum, build) => sum + build.ms, 0)),
    `${kib(largest.largestObjectBytes)} (${largest.largestObject.split('/')[0]})`,
  ];
  return `| ${cells.join(' | ')} |`;
}

/**
 * `kustomize build` of every unit of a sharded tree at BENCH_KUSTOMIZE_SERVICES (default 20,000)
 * services: the slowest unit (what one Argo CD Application / Flux Kustomization waits for) and the
 * largest object. Baselines in the same run: a 500-service single directory (the largest catalog
 * that keeps one directory by default), and 2,000 services in one directory (--shard-size 0, the
 * layout every catalog had before sharding).
 */
export async function benchGeneratorKustomize(): Promise<void> {
  const kustomize = realBinary('kustomize');
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-kustomize-'));
  try {
    const rows: string[] = [];
    const measure = (label: string, name: string, size: number, extra: string[] = []): void => {
      const tree = renderTree(work, name, size, extra);
      const builds = generatedUnits(tree.dir).map((unit) => buildUnit(kustomize, tree.dir, unit));
      const total = builds.reduce((sum, build) => sum + build.services.length, 0);
      if (total !== size) throw new Error(`${label}: kustomize rendered ${total} Services, expected ${size}`);
      rows.push(unitRow(label, builds));
      console.log(`${label}: generate ${seconds(tree.ms)}; ${rows[rows.length - 1]}`);
    };
    measure('baseline: 500 services, one directory', 'single-500', 500);
    measure('2,000 services, one directory (--shard-size 0)', 'single-2000', 2000, ['--shard-size', '0']);
    measure(
      `${KUSTOMIZE_SIZE.toLocaleString('en-US')} services, sharded (--shard-size 500)`,
      'sharded',
      KUSTOMIZE_SIZE,
    );
    console.log(
      '\n| tree | units | Services per unit | slowest unit (kustomize build) | all units, one after another | largest object (JSON) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
