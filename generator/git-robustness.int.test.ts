/**
 * Findings 5 and 6 of issue 12 against real git: push races worded as `cannot lock ref`, one
 * process per work directory, one generator per path, files that are not ours, twin runs.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLogger } from '../core/runtime/logger';
import { createMetricsRegistry } from '../core/runtime';
import { parseGenerateConfig } from './config';
import { buildRun } from './wiring';
import { GeneratorMetrics } from './metrics';
import { isMovedRefRejection } from './git/push-retry';
import { runOnce } from './run';
import {
  bareRemote,
  commitCount,
  generate,
  git,
  ISOLATED_GIT_ENV,
  namesAt,
  tempDir,
} from '../test/support/generator/git-fixture';
import { parseGenerateFlags, targetArgs } from '../test/support/generator/cli';
import { releaseAll } from './git/workdir-lock';

const silent = createLogger({ level: 'silent' });
let root: { dir: string; cleanup(): void };
beforeAll(() => {
  root = tempDir();
});
afterAll(() => root.cleanup());
afterEach(() => releaseAll());

let caseNumber = 0;
function setup(catalog: Record<string, unknown> = { web: [], api: [] }) {
  const dir = path.join(root.dir, `case-${++caseNumber}`);
  mkdirSync(dir);
  const remote = bareRemote(dir);
  const catalogFile = path.join(dir, 'catalog.json');
  writeFileSync(catalogFile, JSON.stringify(catalog));
  const args = (workdir: string, ...extra: string[]) => [
    '--once',
    ...targetArgs({ catalog: catalogFile, repo: remote, workdir: path.join(dir, workdir), dir: 'consul' }),
    ...extra,
  ];
  return { dir, remote, catalogFile, args };
}

describe('push races', () => {
  // receive-pack reports a ref that moved after it advertised it as "cannot lock ref ... is at X
  // but expected Y" on its own line (refs/files-backend.c), beside "[remote rejected] (failed to update ref)".
  it.each([
    " ! [remote rejected] main -> main (failed to update ref)\nerror: failed to push some refs to '/tmp/r.git'",
    "remote: error: cannot lock ref 'refs/heads/main': is at 4b825dc642cb6eb9a060e54bf8d69288fbee4904 but expected 5b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "error: cannot lock ref 'refs/heads/main': is at 4b825dc6 but expected 5b825dc6",
    '!\trefs/heads/main:refs/heads/main\t[remote rejected] (incorrect old value provided)',
  ])('classifies %j as a moved ref (retried)', (output) => {
    expect(isMovedRefRejection(output)).toBe(true);
  });

  it.each([
    'remote: error: hook declined\n ! [remote rejected] main -> main (pre-receive hook declined)',
    'fatal: Authentication failed',
  ])('does not retry %j', (output) => {
    expect(isMovedRefRejection(output)).toBe(false);
  });

  it('retries when the remote ref moves between advertisement and update (cannot lock ref)', async () => {
    const { dir, remote, args } = setup();
    // The hook moves main once, after receive-pack has read it: the update then fails to lock the ref.
    const hook = path.join(remote, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      [
        '#!/bin/sh',
        `[ -f "${path.join(dir, 'raced')}" ] && exit 0`,
        `touch "${path.join(dir, 'raced')}"`,
        'unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES',
        'export GIT_AUTHOR_NAME=other GIT_AUTHOR_EMAIL=other@example.test GIT_COMMITTER_NAME=other GIT_COMMITTER_EMAIL=other@example.test',
        'c=$(git commit-tree "$(git rev-parse refs/heads/main^{tree})" -p refs/heads/main -m "moved by someone else")',
        'git update-ref refs/heads/main "$c"',
        '',
      ].join('\n'),
    );
    chmodSync(hook, 0o755);
    const result = await generate(args('work', '--push-retries', '2'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(git(remote, 'log', '--format=%s', 'main').split('\n').slice(1)).toEqual([
      'moved by someone else',
      'initial',
    ]);
  });
});

describe('one process per work directory', () => {
  it('refuses a work directory held by another live process, naming it; takes over a dead one', async () => {
    const { dir, args } = setup();
    const workdir = path.join(dir, 'work');
    expect((await generate(args('work'))).code).toBe(0);
    releaseAll();
    const lockModule = path.join(__dirname, '..', 'dist', 'generator', 'git', 'workdir-lock.js');
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(lockModule)}).lockWorkdir(${JSON.stringify(workdir)}, '--workdir'); console.log('locked'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    try {
      const refused = await generate(args('work'));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `--workdir ${workdir} is in use by another generator process (pid ${holder.pid}`,
      );
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    // The holder was killed: its lock is stale and taken over.
    const after = await generate(args('work'));
    expect(after.code).toBe(0);
    expect(after.stderr).toBe('');
  });

  it('two runs in two processes sharing a work directory never both run (no "remote origin already exists")', async () => {
    const { args, dir } = setup();
    const cli = path.join(__dirname, '..', 'dist', 'cli.js');
    const run = () =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cli, 'generate', ...args('shared')], {
          env: { ...process.env, ...ISOLATED_GIT_ENV },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
    const results = await Promise.all([run(), run(), run()]);
    for (const result of results) {
      expect(result.stderr).not.toContain('already exists');
      if (result.code !== 0) expect(result.stderr).toContain('is in use by another generator process');
    }
    expect(results.some((result) => result.code === 0)).toBe(true);
    expect(namesAt(path.join(dir, 'remote.git'), 'main', 'consul')).toContain('consul/web.yaml');
  });
});

describe('one generator per path', () => {
  it('writes an ownership marker and refuses a second generator on the same path', async () => {
    const { remote, args } = setup();
    expect((await generate(args('east', '--owner-id', 'east'))).code).toBe(0);
    expect(git(remote, 'show', 'main:consul/.consul-k8s-gitops-owner')).toContain('owner: east');
    const head = git(remote, 'rev-parse', 'main');
    const other = await generate(args('west', '--owner-id', 'west'));
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /--path: "consul" is owned by another generator \(--owner-id "east".*this one is "west"/,
    );
    expect(git(remote, 'rev-parse', 'main')).toBe(head);
    // The same generator (same owner) keeps working.
    expect((await generate(args('east-2', '--owner-id', 'east'))).code).toBe(0);
  });
});

describe('files that are not ours', () => {
  // Finding 6: they were deleted while the summary said "0 removed".
  it('keeps them, reports them in the summary and the table, and removes only our files', async () => {
    const { dir, remote, args, catalogFile } = setup();
    expect((await generate(args('work'))).code).toBe(0);
    const clone = path.join(dir, 'clone');
    git(dir, 'clone', '-q', remote, clone);
    writeFileSync(path.join(clone, 'consul', 'README.md'), 'Hands off: generated by the generator.\n');
    writeFileSync(
      path.join(clone, 'consul', 'extra.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
    );
    mkdirSync(path.join(clone, 'consul', 'notes'));
    writeFileSync(path.join(clone, 'consul', 'notes', 'a.txt'), 'a\n');
    git(clone, 'add', '.');
    git(clone, 'commit', '-q', '-m', 'human files');
    git(clone, 'push', '-q', 'origin', 'HEAD:main');

    writeFileSync(catalogFile, JSON.stringify({ web: [] }));
    const result = await generate(args('work'));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /0 added, 0 changed, 1 removed; kept 3 file\(s\) not written by consul-k8s-gitops: README\.md, extra\.yaml, notes/,
    );
    expect(result.stdout).toMatch(/FILE +CHANGE\n/);
    expect(result.stdout).toMatch(/api\.yaml +removed/);
    expect(result.stdout).toMatch(/README\.md +kept \(not ours\)/);
    expect(result.stdout).toMatch(/inventory\.configmap\.yaml +changed/);
    const files = namesAt(remote, 'main', 'consul');
    expect(files).toEqual(
      expect.arrayContaining(['consul/README.md', 'consul/extra.yaml', 'consul/notes/a.txt']),
    );
    expect(files).not.toContain('consul/api.yaml');
    expect(git(remote, 'show', 'main:consul/kustomization.yaml')).not.toContain('extra.yaml');
  });
});

describe('metrics', () => {
  it('twin runs that make the same change count one commit', async () => {
    const { args, remote } = setup();
    const registry = createMetricsRegistry();
    const metrics = new GeneratorMetrics(registry);
    const build = async (workdir: string) => {
      const { deps, settings } = await buildRun(
        parseGenerateConfig(await parseGenerateFlags(args(workdir)), process.env),
        silent,
        {
          env: { ...process.env, ...ISOLATED_GIT_ENV },
        },
        metrics,
      );
      return { deps, settings: { ...settings, pushBackoff: { initialMs: 1, maxMs: 5 } } };
    };
    const first = await build('a');
    const twin = await build('b');
    // The twin lands the same change between the first run's fetch and its push.
    first.deps.beforePush = async (attempt) => {
      if (attempt === 1) expect((await runOnce(twin.deps, twin.settings)).status).toBe('committed');
    };
    // Either the twin's commit is the same object (same second: the push finds it there) or the
    // first run's push is rejected and its retry finds the branch up to date.
    const outcome = await runOnce(first.deps, first.settings);
    expect(['up-to-date', 'committed']).toContain(outcome.status);
    expect(commitCount(remote)).toBe(2);
    expect(await registry.getSingleMetricAsString('consul_k8s_gitops_generator_commits_total')).toMatch(
      / 1$/m,
    );
  });
});
