/** Pull-request mode: open, update in place, close when no longer needed, on both forges. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startFakeForge, type FakeForge } from '../test/support/forge';
import { bareRemote, generate, git, tempDir } from './testing/git-fixture';

const TOKEN = 'forge-t0ken-secret';
let forge: FakeForge;
let root: { dir: string; cleanup(): void };
beforeAll(async () => {
  forge = await startFakeForge({ token: TOKEN });
  root = tempDir();
});
afterAll(async () => {
  await forge.stop();
  root.cleanup();
});

describe.each(['github', 'gitlab'] as const)('--pull-request %s', (kind) => {
  it('opens one pull request, updates it in place, and closes it when no longer needed', async () => {
    const dir = path.join(root.dir, kind);
    mkdirSync(dir);
    const remote = bareRemote(dir);
    const catalog = path.join(dir, 'catalog.json');
    writeFileSync(catalog, JSON.stringify({ web: [], api: [], bad_name: [] }));
    const env = { ...process.env, [kind === 'github' ? 'GITHUB_TOKEN' : 'GITLAB_TOKEN']: TOKEN };
    const args = [
      '--once',
      '--catalog-file',
      catalog,
      '--repo',
      remote,
      '--workdir',
      path.join(dir, 'work'),
      '--path',
      'consul',
      '--pull-request',
      kind,
      '--forge-api-url',
      kind === 'github' ? forge.githubApiUrl : forge.gitlabUrl,
      '--forge-project',
      'acme/config',
      '--pull-request-label',
      'consul',
      '--pull-request-label',
      'automated',
    ];
    const pulls = kind === 'github' ? forge.github : forge.gitlab;
    const prBranch = 'consul-k8s-gitops/main/consul';
    const mainHead = git(remote, 'rev-parse', 'main');

    const opened = await generate(args, env);
    expect(opened.stderr).toBe('');
    expect(opened.code).toBe(0);
    expect(opened.stdout).toMatch(/^pull request opened: http/);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({
      head: prBranch,
      base: 'main',
      state: 'open',
      labels: ['consul', 'automated'],
    });
    expect(pulls[0]!.title).toBe(
      'consul-k8s-gitops: sync consul from Consul (2 added, 0 changed, 0 removed)',
    );
    expect(pulls[0]!.body).toContain('| web | added | → web.service.consul |');
    expect(pulls[0]!.body).toContain('`bad_name`: not resolvable through Consul DNS');
    expect(git(remote, 'rev-parse', 'main')).toBe(mainHead);
    const firstBranchHead = git(remote, 'rev-parse', prBranch);

    const again = await generate(args, env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^pull request unchanged/);
    expect(git(remote, 'rev-parse', prBranch)).toBe(firstBranchHead);

    writeFileSync(catalog, JSON.stringify({ web: [], api: [], db: [] }));
    const updated = await generate(args, env);
    expect(updated.stdout).toMatch(/^pull request updated/);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]!.title).toContain('3 added');
    expect(pulls[0]!.body).toContain('| db | added | → db.service.consul |');
    expect(git(remote, 'rev-parse', prBranch)).not.toBe(firstBranchHead);

    // A reviewer merges the branch: main now matches the catalog, the pull request is obsolete.
    const clone = path.join(dir, 'reviewer');
    git(dir, 'clone', '-q', remote, clone);
    git(clone, 'merge', '-q', '--ff-only', `origin/${prBranch}`);
    git(clone, 'push', '-q', 'origin', 'HEAD:main');
    const closed = await generate(args, env);
    expect(closed.code).toBe(0);
    expect(closed.stdout).toMatch(/^up to date: .*closed pull request/);
    expect(pulls[0]!.state).toBe('closed');
    expect(pulls[0]!.comments).toHaveLength(1);
    expect(pulls[0]!.comments[0]).toContain('no longer needed');
    expect(git(remote, 'branch', '--list', prBranch)).toBe('');

    for (const output of [opened, again, updated, closed]) {
      expect(output.stdout + output.stderr + output.logs).not.toContain(TOKEN);
    }
  });
});

it('fails clearly without a forge token', async () => {
  const dir = path.join(root.dir, 'no-token');
  mkdirSync(dir);
  const { GITHUB_TOKEN: _ignored, ...env } = process.env;
  const result = await generate(
    [
      '--once',
      '--catalog-file',
      'x.json',
      '--repo',
      'https://github.com/acme/config.git',
      '--path',
      'consul',
      '--pull-request',
      'github',
    ],
    env,
  );
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(
    '--pull-request github: needs a token (GITHUB_TOKEN or --forge-token-file)',
  );
});

it.each(['github', 'gitlab'] as const)(
  '%s: a refused forge call fails the run naming the call and the HTTP status, never the token',
  async (kind) => {
    const dir = path.join(root.dir, `bad-token-${kind}`);
    mkdirSync(dir);
    const remote = bareRemote(dir);
    const catalog = path.join(dir, 'catalog.json');
    writeFileSync(catalog, JSON.stringify({ web: [] }));
    const wrong = 'wr0ng-forge-t0ken';
    const result = await generate(
      [
        '--once',
        '--catalog-file',
        catalog,
        '--repo',
        remote,
        '--workdir',
        path.join(dir, 'work'),
        '--path',
        'consul',
        '--pull-request',
        kind,
        '--forge-api-url',
        kind === 'github' ? forge.githubApiUrl : forge.gitlabUrl,
        '--forge-project',
        'acme/config',
      ],
      { ...process.env, [kind === 'github' ? 'GITHUB_TOKEN' : 'GITLAB_TOKEN']: wrong },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^error: ${kind === 'github' ? 'GitHub' : 'GitLab'} .+ failed \\(HTTP 401\\)`),
    );
    expect(result.stdout + result.stderr + result.logs).not.toContain(wrong);
  },
);
