/**
 * Generator benchmark (`npm run bench -- generator`): 10,000 and 100,000 services from a catalog
 * file into a local Git repository, through the built CLI (one process per run, as in production):
 * cold render+commit, no-op run, one-service-change run, peak RSS of each run. Baseline in the same
 * run: plain `git init && git add -A && git commit` of the very same files, pre-written (the floor
 * Git itself sets for the cold run).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CLI = path.join(__dirname, '..', 'cli.js');
const SIZES = (process.env.BENCH_GENERATOR_SIZES ?? '10000,100000').split(',').map(Number);
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull };

interface Measured {
  ms: number;
  rssMb: number;
}

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
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args], {
      cwd: dir,
      env: GIT_ENV,
      stdio: 'ignore',
    });
  return timed(() => {
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'floor');
  });
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export async function benchGenerator(): Promise<void> {
  const rows: string[] = [];
  for (const size of SIZES) {
    const work = mkdtempSync(path.join(os.tmpdir(), 'bench-generator-'));
    try {
      const catalogFile = path.join(work, 'catalog.json');
      const repo = path.join(work, 'repo');
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
      writeFileSync(catalogFile, catalog(size));
      const cold = runCli(work, args);
      // Baseline input: exactly the files the cold run produced, pre-written.
      const files = path.join(work, 'files');
      mkdirSync(files);
      cpSync(path.join(repo, 'services'), files, { recursive: true });
      const noop = runCli(work, args);
      writeFileSync(catalogFile, catalog(size, 1));
      const oneChange = runCli(work, args);
      const floor = gitFloor(work, files);
      const peak = Math.max(cold.rssMb, noop.rssMb, oneChange.rssMb);
      const line =
        `${size.toLocaleString('en-US')} services: cold ${seconds(cold.ms)} (git floor ${seconds(floor)}, ratio ${(cold.ms / floor).toFixed(2)}), ` +
        `no-op ${seconds(noop.ms)}, one change ${seconds(oneChange.ms)}, peak RSS ${peak.toFixed(0)} MB`;
      console.log(line);
      rows.push(
        `| ${size.toLocaleString('en-US')} | ${seconds(cold.ms)} | ${seconds(floor)} | ${(cold.ms / floor).toFixed(2)} | ${seconds(noop.ms)} | ${seconds(oneChange.ms)} | ${peak.toFixed(0)} MB |`,
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  console.log(
    '\n| services | cold render+commit | git add+commit floor | cold / floor | no-op run | one-change run | peak RSS |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
}
