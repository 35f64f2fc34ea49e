/**
 * Pull-request mode against real bare remotes and the forge double, on both forges: open,
 * update in place, close when no longer needed; bodies within the forge's limit; a branch with
 * someone else's commits left alone; a closed pull request respected; our labels removed;
 * guard refusals noted; reviewers, assignees, draft, auto-merge.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startFakeForge, type FakeForge, type FakePullRequest } from '../test/support/forge';
import { bodyMarker, readBodyMarker } from './forge/marker';
import { planChanges } from './plan';
import { pullRequestBody } from './report';
import { eventually } from '../test/support/wait';
import { bareRemote, generate, git, tempDir } from '../test/support/generator/git-fixture';
import { parseGenerateFlags, targetArgs, watchArgs } from '../test/support/generator/cli';
import { startWatch } from '../test/support/generator/watch';

/** The generator end to end takes seconds: its waits poll for up to 15 s. */
const SLOW = { timeoutMs: 15_000, intervalMs: 50 };

const TOKEN = 'forge-t0ken-secret';

type Kind = 'github' | 'gitlab';
/** `--pull-request <kind>` against the forge double's API, on one project. */
const forgeArgs = (kind: Kind, project: string): string[] => [
  '--pull-request',
  kind,
  '--forge-api-url',
  kind === 'github' ? forge.githubApiUrl : forge.gitlabUrl,
  '--forge-project',
  project,
];
/** The environment with the forge's token variable set. */
const tokenEnv = (kind: Kind, token: string): NodeJS.ProcessEnv => ({
  ...process.env,
  [kind === 'github' ? 'GITHUB_TOKEN' : 'GITLAB_TOKEN']: token,
});
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
    const env = tokenEnv(kind, TOKEN);
    const args = [
      '--once',
      ...targetArgs({ catalog, repo: remote, workdir: path.join(dir, 'work'), dir: 'consul' }),
      ...forgeArgs(kind, 'acme/config'),
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
      ...targetArgs({ catalog: 'x.json', repo: 'https://github.com/acme/config.git', dir: 'consul' }),
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
        ...targetArgs({ catalog, repo: remote, workdir: path.join(dir, 'work'), dir: 'consul' }),
        ...forgeArgs(kind, 'acme/config'),
      ],
      tokenEnv(kind, wrong),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^error: ${kind === 'github' ? 'GitHub' : 'GitLab'} .+ failed \\(HTTP 401\\)`),
    );
    expect(result.stdout + result.stderr + result.logs).not.toContain(wrong);
  },
);

const PR_BRANCH = 'consul-k8s-gitops/main/consul';

/** A bare remote, a catalog file and the arguments of a pull-request run against the double. */
function setup(kind: Kind, name: string) {
  const dir = path.join(root.dir, `${name}-${kind}`);
  mkdirSync(dir);
  const remote = bareRemote(dir);
  const catalog = path.join(dir, 'catalog.json');
  const env = tokenEnv(kind, TOKEN);
  const base = [
    ...targetArgs({ catalog, repo: remote, workdir: path.join(dir, 'work'), dir: 'consul' }),
    ...forgeArgs(kind, `acme/${name}`),
  ];
  const pulls = (): FakePullRequest[] =>
    (kind === 'github' ? forge.github : forge.gitlab).filter((pr) => pr.project === `acme/${name}`);
  return {
    dir,
    remote,
    base,
    pulls,
    catalog: (services: string[]) =>
      writeFileSync(catalog, JSON.stringify(Object.fromEntries(services.map((service) => [service, []])))),
    run: (...extra: string[]) => generate(['--once', ...base, ...extra], env),
    /** Someone else commits on the pull-request branch and pushes. */
    reviewerCommit: () => {
      const clone = path.join(dir, 'reviewer');
      git(dir, 'clone', '-q', '-b', PR_BRANCH, remote, clone);
      writeFileSync(path.join(clone, 'consul', 'NOTES.md'), 'reviewed\n');
      git(clone, 'add', '-A');
      git(clone, 'commit', '-q', '-m', 'review fix');
      git(clone, 'push', '-q', 'origin', `HEAD:${PR_BRANCH}`);
      return git(clone, 'rev-parse', 'HEAD');
    },
  };
}

const names = (count: number, width: number): string[] =>
  Array.from({ length: count }, (_, index) => `svc-${String(index).padStart(4, '0')}-`.padEnd(width, 'x'));

describe.each(['github', 'gitlab'] as const)('%s pull requests people trust', (kind) => {
  it('never rewrites a branch carrying commits not made by the generator: comments once and says so', async () => {
    const t = setup(kind, 'held');
    t.catalog(['web', 'api']);
    expect((await t.run()).stdout).toMatch(/^pull request opened/);
    const theirs = t.reviewerCommit();

    t.catalog(['web', 'api', 'db']);
    const held = await t.run();
    expect(held.code).toBe(0);
    expect(held.stdout).toMatch(/^pull request held: /);
    expect(held.stderr).toContain(
      `warning: the pull-request branch ${PR_BRANCH} has 1 commit(s) not made by consul-k8s-gitops (${theirs.slice(0, 12)})`,
    );
    expect(held.logs).toContain('the pull-request branch carries commits not made by consul-k8s-gitops');
    expect(git(t.remote, 'rev-parse', PR_BRANCH)).toBe(theirs);
    expect(t.pulls()[0]!.title).toContain('2 added');
    expect(t.pulls()[0]!.comments).toHaveLength(1);
    expect(t.pulls()[0]!.comments[0]).toContain('stopped updating this pull request');

    // Next runs: still left alone, no second comment, not closed.
    expect((await t.run()).stdout).toMatch(/^pull request held: /);
    t.catalog([]);
    const upToDate = await t.run('--allow-mass-delete');
    expect(upToDate.stderr).toContain('not made by consul-k8s-gitops');
    expect(git(t.remote, 'rev-parse', PR_BRANCH)).toBe(theirs);
    expect(t.pulls()[0]!.state).toBe('open');
    expect(t.pulls()[0]!.comments).toHaveLength(1);
  });

  it('respects a pull request closed without merging until the desired state changes', async () => {
    const t = setup(kind, 'closed');
    t.catalog(['web', 'api']);
    expect((await t.run()).stdout).toMatch(/^pull request opened/);
    const branchHead = git(t.remote, 'rev-parse', PR_BRANCH);
    t.pulls()[0]!.state = 'closed'; // a reviewer closes it

    const again = await t.run();
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^pull request declined: .+ was closed without merging/);
    expect(t.pulls()).toHaveLength(1);
    expect(git(t.remote, 'rev-parse', PR_BRANCH)).toBe(branchHead);

    t.catalog(['web', 'api', 'db']);
    const changed = await t.run();
    expect(changed.stdout).toMatch(/^pull request opened/);
    expect(t.pulls()).toHaveLength(2);
    expect(t.pulls()[1]).toMatchObject({ state: 'open' });
    expect(t.pulls()[1]!.title).toContain('3 added');
  });

  it('removes labels it set and no longer has, never a label a person added', async () => {
    const t = setup(kind, 'labels');
    t.catalog(['web']);
    await t.run('--pull-request-label', 'consul', '--pull-request-label', 'automated');
    expect(t.pulls()[0]!.labels).toEqual(['consul', 'automated']);
    t.pulls()[0]!.labels.push('needs-review'); // a person's label

    const relabelled = await t.run('--pull-request-label', 'consul');
    expect(relabelled.stdout).toMatch(/^pull request updated/);
    expect(t.pulls()[0]!.labels).toEqual(['consul', 'needs-review']);
    expect(readBodyMarker(t.pulls()[0]!.body)?.labels).toEqual(['consul']);

    await t.run();
    expect(t.pulls()[0]!.labels).toEqual(['needs-review']);
  });

  it('comments on the open pull request when the mass-deletion guard refuses, once per refusal', async () => {
    const t = setup(kind, 'guard');
    t.catalog(['a', 'b', 'c', 'd']);
    expect((await t.run()).stdout).toMatch(/^pull request opened/);
    // The pull request is merged, then Consul loses most services.
    const clone = path.join(t.dir, 'merge');
    git(t.dir, 'clone', '-q', t.remote, clone);
    git(clone, 'merge', '-q', '--ff-only', `origin/${PR_BRANCH}`);
    git(clone, 'push', '-q', 'origin', 'HEAD:main');
    t.catalog(['a', 'b', 'c', 'd', 'e']);
    expect((await t.run()).stdout).toMatch(/^pull request updated/);
    const open = t.pulls().find((pr) => pr.state === 'open')!;
    expect(open.comments).toHaveLength(0);

    t.catalog(['a']);
    const refused = await t.run();
    expect(refused.code).toBe(3);
    expect(open.comments).toHaveLength(1);
    expect(open.comments[0]).toContain('the mass-deletion guard refused the run');
    expect((await t.run()).code).toBe(3);
    expect(open.comments).toHaveLength(1);

    t.catalog([]);
    expect((await t.run()).code).toBe(3);
    expect(open.comments).toHaveLength(2);
  });

  it('opens with reviewers, assignees, as a draft and with auto-merge when asked', async () => {
    const t = setup(kind, 'extras');
    t.catalog(['web']);
    const extras = [
      '--pull-request-reviewer',
      'alice',
      '--pull-request-assignee',
      'bob',
      '--pull-request-draft',
      '--pull-request-auto-merge',
    ];
    const opened = await t.run(...extras);
    expect(opened.stderr).toBe('');
    expect(t.pulls()[0]).toMatchObject({
      reviewers: ['alice'],
      assignees: ['bob'],
      draft: true,
      autoMerge: true,
    });

    t.catalog(['web', 'api']);
    expect((await t.run(...extras)).stdout).toMatch(/^pull request updated/);
    expect(t.pulls()[0]!.draft).toBe(true); // still a draft after an update
    expect(t.pulls()[0]!.title).toMatch(/2 added/);

    const other = setup(kind, 'extras-unknown');
    other.catalog(['web']);
    const unknown = await other.run('--pull-request-reviewer', 'mallory');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      kind === 'github'
        ? /request reviewers failed \(HTTP 422\)/
        : /--pull-request-reviewer: GitLab has no user "mallory"/,
    );
  });
});

// GitHub refuses bodies over 65,536 characters; 600 long-named services made a 130 KB body.
it("keeps a large pull-request body within GitHub's limit, cut at a row, with the full list in the commit", async () => {
  const t = setup('github', 'large');
  const services = names(600, 60);
  t.catalog(services);
  const opened = await t.run();
  expect(opened.stderr).toBe('');
  expect(opened.stdout).toMatch(/^pull request opened/);
  const body = t.pulls()[0]!.body;
  expect([...body].length).toBeLessThanOrEqual(65_536);
  expect(body).toMatch(/\*\*\d+ more changes: see the commit message of [0-9a-f]{12}\.\*\*/);
  const [, more, sha] = /\*\*(\d+) more changes: see the commit message of ([0-9a-f]{12})/.exec(body)!;
  expect(Number(more)).toBeGreaterThan(0);
  // Every row shown is whole; the hidden marker survived the cut.
  for (const line of body.split('\n').filter((l) => l.startsWith('| svc-'))) expect(line).toMatch(/ \|$/);
  expect(readBodyMarker(body)).toBeDefined();
  const message = git(t.remote, 'log', '-1', '--format=%B', PR_BRANCH);
  expect(git(t.remote, 'rev-parse', PR_BRANCH).startsWith(sha!)).toBe(true);
  expect(message).toContain(`Added (600):`);
  expect(message).toContain(services[599]);
});

it('cuts a body at a row boundary under any limit and says how many rows were left out', () => {
  const desired = new Map(names(50, 30).map((name) => [`${name}.yaml`, 'kind: Service\n']));
  const plan = planChanges(new Map(), desired, new Map(), new Map());
  const marker = bodyMarker({ tree: 'a'.repeat(40), labels: [] });
  const full = pullRequestBody(plan, [], { limit: 1_000_000, fullList: 'the commit message of abc', marker });
  expect(full).not.toContain('more changes');
  for (const limit of [0.2, 0.5, 0.9].map((share) => Math.floor(Buffer.byteLength(full) * share))) {
    const body = pullRequestBody(plan, [], { limit, fullList: 'the commit message of abc', marker });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(limit);
    expect(body.endsWith(`${marker}\n`)).toBe(true);
    const shown = body.split('\n').filter((line) => line.startsWith('| svc-')).length;
    const more = Number(/\*\*(\d+) more changes/.exec(body)![1]);
    expect(shown + more).toBe(plan.changes.length + plan.files.length);
  }
});

it('refuses labels the forge would refuse, naming the flag', async () => {
  const long = 'l'.repeat(51);
  const github = await generate(
    [
      '--once',
      ...targetArgs({ catalog: 'x.json', repo: 'https://github.com/acme/config.git', dir: 'consul' }),
      '--pull-request',
      'github',
      '--pull-request-label',
      long,
    ],
    { ...process.env, GITHUB_TOKEN: TOKEN },
  );
  expect(github.code).toBe(1);
  expect(github.stderr).toContain(
    '--pull-request-label: "' + long + '" is longer than 50 characters (the GitHub limit)',
  );
  const gitlab = await generate(
    [
      '--once',
      ...targetArgs({ catalog: 'x.json', repo: 'https://gitlab.com/acme/config.git', dir: 'consul' }),
      '--pull-request',
      'gitlab',
      '--pull-request-label',
      'g'.repeat(256),
    ],
    { ...process.env, GITLAB_TOKEN: TOKEN },
  );
  expect(gitlab.code).toBe(1);
  expect(gitlab.stderr).toContain('is longer than 255 characters (the GitLab limit)');
});

it('watch: /healthz fails on pull-request-branch while the branch carries commits not ours', async () => {
  const t = setup('github', 'watch-held');
  t.catalog(['web']);
  const flags = await parseGenerateFlags([...watchArgs(), ...t.base]);
  const { exited, signals, state, base } = startWatch(flags, { GITHUB_TOKEN: TOKEN });
  const healthz = async () => {
    const response = await fetch(`${base()}/healthz`);
    return { status: response.status, body: (await response.json()) as unknown };
  };
  try {
    await eventually(() => state.port > 0 && t.pulls().length === 1, SLOW);
    expect((await healthz()).status).toBe(200);
    t.reviewerCommit();
    t.catalog(['web', 'api']);
    await eventually(async () => (await healthz()).status === 503, SLOW);
    expect((await healthz()).body).toEqual({ status: 'unhealthy', failing: ['pull-request-branch'] });
  } finally {
    // Stopped even when an expectation fails, so no watch loop outlives the test.
    signals.emit('SIGTERM', 'SIGTERM');
  }
  expect(await exited).toBe(0);
});
