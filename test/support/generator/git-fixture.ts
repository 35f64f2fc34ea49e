/**
 * Test helpers: temporary directories, a bare remote on disk, git commands run the way a
 * clean CI machine would (no system/global config, explicit identity), and an in-process
 * `generate` that parses real CLI arguments and captures stdout/stderr/logs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../../core/runtime/logger';
import { createGenerateCommand } from '../../../generator/command';
import type { GenerateFlags } from '../../../generator/config';
import { runGenerate } from '../../../generator/main';

/** Isolates every git process (ours and the product's) from the machine's git configuration. */
export const ISOLATED_GIT_ENV: Record<string, string> = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: os.devNull,
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
};

export function tempDir(prefix = 'generator-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs git as "another actor" (explicit identity); returns trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    [
      '-c',
      'user.name=Someone Else',
      '-c',
      'user.email=someone@example.test',
      '-c',
      'init.defaultBranch=main',
      ...args,
    ],
    {
      cwd,
      env: { ...process.env, ...ISOLATED_GIT_ENV },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  ).trim();
}

/** A bare repository with one initial commit on main holding a README (as a real remote would). */
export function bareRemote(root: string, name = 'remote.git', seed = true): string {
  const remote = path.join(root, name);
  git(root, 'init', '-q', '--bare', '-b', 'main', remote);
  if (seed) {
    const seedDir = path.join(root, `${name}-seed`);
    git(root, 'clone', '-q', remote, seedDir);
    writeFileSync(path.join(seedDir, 'README.md'), '# cluster config\n');
    git(seedDir, 'add', 'README.md');
    git(seedDir, 'commit', '-q', '-m', 'initial');
    git(seedDir, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
    rmSync(seedDir, { recursive: true, force: true });
  }
  return remote;
}

/** Paths of the files under `dir` at `ref`. */
export function namesAt(repo: string, ref: string, dir: string): string[] {
  return git(repo, 'ls-tree', '-r', '--name-only', ref, '--', dir).split('\n').filter(Boolean);
}

/** Files of `dir` at `ref` in a repository (bare or not): path -> content. */
export function filesAt(repo: string, ref: string, dir: string): Map<string, string> {
  const names = git(repo, 'ls-tree', '-r', '--name-only', ref, '--', dir).split('\n').filter(Boolean);
  return new Map(names.map((name) => [name, git(repo, 'show', `${ref}:${name}`) + '\n']));
}

export function commitCount(repo: string, ref = 'main'): number {
  return Number(git(repo, 'rev-list', '--count', ref));
}

export interface GenerateResult {
  code: number;
  stdout: string;
  stderr: string;
  logs: string;
}

/** Parses `args` with the real `generate` command definition, then runs it in-process. */
export async function generate(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<GenerateResult> {
  let flags: GenerateFlags | undefined;
  const command = createGenerateCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    .action((parsed: GenerateFlags) => {
      flags = parsed;
    });
  await command.parseAsync(args, { from: 'user' });
  let stdout = '';
  let stderr = '';
  let logs = '';
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      logs += String(chunk);
      callback();
    },
  });
  const code = await runGenerate(flags!, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: { ...env, ...ISOLATED_GIT_ENV },
    logger: createLogger({ level: 'debug', destination }),
  });
  return { code, stdout, stderr, logs };
}
