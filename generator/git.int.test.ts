/**
 * The generator against real git: a bare remote on disk, the real `generate` flags, in-process.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { version } from '../package.json';
import { startConsulDouble } from '../test/support/consul';
import { createMetricsRegistry } from '../core/runtime';
import { createLogger } from '../core/runtime/logger';
import { parseGenerateConfig } from './config';
import { buildRun } from './wiring';
import { GeneratorMetrics } from './metrics';
import { PushRejectedError } from './git/push-retry';
import { runOnce } from './run';
import {
  bareRemote,
  commitCount,
  filesAt,
  generate,
  git,
  namesAt,
  tempDir,
  ISOLATED_GIT_ENV,
} from '../test/support/generator/git-fixture';
import { parseGenerateFlags, targetArgs } from '../test/support/generator/cli';
import { startGitHttpServer, type GitHttpServer } from '../test/support/generator/git-http-server';

const silent = createLogger({ level: 'silent' });
let root: { dir: string; cleanup(): void };
beforeAll(() => {
  root = tempDir();
});
afterAll(() => root.cleanup());

let caseNumber = 0;
/** A fresh remote, work directory and catalog file for one test. */
function setup(catalog: Record<string, unknown> = { web: [], api: ['v1'], db: [] }) {
  const dir = path.join(root.dir, `case-${++caseNumber}`);
  mkdirSync(dir);
  const remote = bareRemote(dir);
  const catalogFile = path.join(dir, 'catalog.json');
  const writeCatalog = (value: Record<string, unknown>) => writeFileSync(catalogFile, JSON.stringify(value));
  writeCatalog(catalog);
  const workdir = path.join(dir, 'work');
  const args = (...extra: string[]) => [
    '--once',
    ...targetArgs({ catalog: catalogFile, repo: remote, workdir, dir: 'clusters/prod/consul' }),
    ...extra,
  ];
  return { dir, remote, workdir, catalogFile, writeCatalog, args };
}

describe('generate --once against a bare remote', () => {
  it('commits and pushes on the first run; the second run is up to date and makes no commit', async () => {
    const { remote, args } = setup();
    const first = await generate(args());
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^committed [0-9a-f]{12} to .* and pushed: 3 added, 0 changed, 0 removed/);
    expect(commitCount(remote)).toBe(2);
    const files = filesAt(remote, 'main', 'clusters/prod/consul');
    expect([...files.keys()].sort()).toEqual([
      'clusters/prod/consul/.consul-k8s-gitops-owner',
      ...['api', 'db', 'inventory.configmap', 'kustomization', 'web'].map(
        (name) => `clusters/prod/consul/${name}.yaml`,
      ),
    ]);
    expect(git(remote, 'show', 'main:README.md')).toBe('# cluster config');
    const message = git(remote, 'log', '-1', '--format=%B', 'main');
    expect(message).toContain('(3 added, 0 changed, 0 removed)');
    expect(message).toMatch(/Added \(3\):\n {2}api\n {2}db\n {2}web/);
    expect(git(remote, 'log', '-1', '--format=%an <%ae>', 'main')).toBe(
      'consul-k8s-gitops <consul-k8s-gitops@users.noreply.localhost>',
    );

    const second = await generate(args());
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^up to date: /);
    expect(commitCount(remote)).toBe(2);
  });

  it('a commit message longer than one argument may be (6,000 Services listed) is committed whole', async () => {
    const { remote, args, writeCatalog } = setup();
    // Linux caps one argument at 128 KiB (MAX_ARG_STRLEN): `commit-tree -m` failed with E2BIG here.
    const names = Array.from({ length: 6000 }, (_, i) => `service-with-a-long-name-${i}`);
    writeCatalog(Object.fromEntries(names.map((name) => [name, []])));
    const run = await generate(args());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const message = git(remote, 'log', '-1', '--format=%B', 'main');
    expect(message.length).toBeGreaterThan(128 * 1024);
    expect(message).toContain('Added (6000):');
    expect(message).toContain('service-with-a-long-name-5999');
  }, 60_000);

  it('is deterministic: independent work directories produce the same tree', async () => {
    const a = setup();
    const b = setup();
    await generate(a.args());
    await generate(b.args('--workdir', path.join(b.dir, 'other-work')));
    expect(git(a.remote, 'rev-parse', 'main:clusters')).toBe(git(b.remote, 'rev-parse', 'main:clusters'));
  });

  it('adds, changes and removes services, with counts and names in the commit message', async () => {
    const { remote, args, writeCatalog } = setup({ web: [], api: [], db: [], cache: [] });
    await generate(args());
    writeCatalog({ web: [], api: [], db: [], queue: [], cache: [] });
    await generate(args());
    writeCatalog({ web: [], api: [], queue: [], cache: [] });
    const removed = await generate(args('--annotate-consul-tags'));
    expect(removed.code).toBe(0);
    writeCatalog({ web: ['v2'], api: [], queue: [], cache: [] });
    const changed = await generate(args('--annotate-consul-tags'));
    expect(changed.stdout).toContain('0 added, 1 changed, 0 removed');
    expect(changed.stdout).toMatch(/web\s+changed\s+web\.service\.consul/);
    const log = git(remote, 'log', '--format=%s', 'main').split('\n');
    expect(log.slice(0, 4)).toEqual([
      'consul-k8s-gitops: sync clusters/prod/consul from Consul (0 added, 1 changed, 0 removed)',
      'consul-k8s-gitops: sync clusters/prod/consul from Consul (0 added, 0 changed, 1 removed)',
      'consul-k8s-gitops: sync clusters/prod/consul from Consul (1 added, 0 changed, 0 removed)',
      'consul-k8s-gitops: sync clusters/prod/consul from Consul (4 added, 0 changed, 0 removed)',
    ]);
    expect(git(remote, 'log', '-1', '--skip=1', '--format=%b', 'main')).toContain('Removed (1):\n  db');
    const files = filesAt(remote, 'main', 'clusters/prod/consul');
    expect(files.has('clusters/prod/consul/db.yaml')).toBe(false);
    expect(files.get('clusters/prod/consul/web.yaml')).toContain(
      'consul.hashicorp.com/consul-service-tags: v2',
    );
  });

  it('keeps both commits when another commit lands between fetch and push', async () => {
    const { dir, remote, args } = setup();
    const other = path.join(dir, 'other-clone');
    git(dir, 'clone', '-q', remote, other);
    const argv = args();
    const flags = await parseGenerateFlags(argv);
    const { deps, settings } = await buildRun(parseGenerateConfig(flags, process.env), silent, {
      env: { ...process.env, ...ISOLATED_GIT_ENV },
    });
    let raced = 0;
    deps.beforePush = async (attempt) => {
      if (attempt > 1) return;
      raced += 1;
      writeFileSync(path.join(other, 'app.yaml'), 'kind: ConfigMap\n');
      git(other, 'add', 'app.yaml');
      git(other, 'commit', '-q', '-m', 'someone else');
      git(other, 'push', '-q', 'origin', 'HEAD:main');
    };
    const outcome = await runOnce(deps, { ...settings, pushBackoff: { initialMs: 1, maxMs: 5 } });
    expect(raced).toBe(1);
    expect(outcome.status).toBe('committed');
    if (outcome.status === 'committed') expect(outcome.pushAttempts).toBe(2);
    const subjects = git(remote, 'log', '--format=%s', 'main').split('\n');
    expect(subjects).toEqual([
      'consul-k8s-gitops: sync clusters/prod/consul from Consul (3 added, 0 changed, 0 removed)',
      'someone else',
      'initial',
    ]);
    expect(git(remote, 'show', 'main:app.yaml')).toBe('kind: ConfigMap');
  });

  it('gives up after --push-retries rejected pushes, without forcing: the other commits stay', async () => {
    const { dir, remote, args } = setup();
    const other = path.join(dir, 'other-clone');
    git(dir, 'clone', '-q', remote, other);
    const flags = await parseGenerateFlags(args('--push-retries', '1'));
    const config = parseGenerateConfig(flags, process.env);
    expect(config.maxPushAttempts).toBe(2);
    const { deps, settings } = await buildRun(config, silent, {
      env: { ...process.env, ...ISOLATED_GIT_ENV },
    });
    let raced = 0;
    deps.beforePush = async () => {
      raced += 1;
      writeFileSync(path.join(other, `app-${raced}.yaml`), 'kind: ConfigMap\n');
      git(other, 'add', '.');
      git(other, 'commit', '-q', '-m', `someone else ${raced}`);
      git(other, 'push', '-q', 'origin', 'HEAD:main');
    };
    await expect(runOnce(deps, { ...settings, pushBackoff: { initialMs: 1, maxMs: 5 } })).rejects.toThrow(
      PushRejectedError,
    );
    expect(raced).toBe(2);
    expect(git(remote, 'log', '--format=%s', 'main').split('\n')).toEqual([
      'someone else 2',
      'someone else 1',
      'initial',
    ]);
  });

  it('a run killed at any moment never leaves a partial commit; the next run converges', async () => {
    const { remote, args, writeCatalog } = setup();
    const services = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`svc-${i}`, []]));
    writeCatalog(services);
    const cli = path.join(__dirname, '..', 'dist', 'cli.js');
    // 3,000 Services are 8 shards (--shard-size 500): each its kustomization.yaml and inventory,
    // plus the ownership marker and the top kustomization.yaml.
    const complete = 3000 + 8 * 2 + 2;
    for (const killAfterMs of [150, 400, 800, 1500]) {
      const child = spawn(process.execPath, [cli, 'generate', ...args()], {
        env: { ...process.env, ...ISOLATED_GIT_ENV },
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      // Either nothing was pushed yet, or the complete state was.
      expect([0, complete]).toContain(namesAt(remote, 'main', 'clusters/prod/consul').length);
    }
    const next = await generate(args());
    expect(next.code).toBe(0);
    expect(namesAt(remote, 'main', 'clusters/prod/consul')).toHaveLength(complete);
  });

  it('refuses mass deletion (exit 3, remote untouched) unless --allow-mass-delete', async () => {
    const { remote, args, writeCatalog } = setup({ a: [], b: [], c: [], d: [] });
    await generate(args());
    const head = git(remote, 'rev-parse', 'main');
    writeCatalog({ a: [] });
    const refused = await generate(args());
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(
      'refusing to remove 3 of 4 managed Services (75.0% > --max-delete-percent 50',
    );
    expect(git(remote, 'rev-parse', 'main')).toBe(head);
    writeCatalog({});
    const all = await generate(args('--max-delete-percent', '100'));
    expect(all.code).toBe(3);
    expect(all.stderr).toContain('refusing to remove all 4 managed Services');
    expect(git(remote, 'rev-parse', 'main')).toBe(head);
    const allowed = await generate(args('--allow-mass-delete'));
    expect(allowed.code).toBe(0);
    const files = [...filesAt(remote, 'main', 'clusters/prod/consul').keys()];
    // The directory never becomes empty: kustomization and inventory stay.
    expect(files).toEqual([
      'clusters/prod/consul/.consul-k8s-gitops-owner',
      'clusters/prod/consul/inventory.configmap.yaml',
      'clusters/prod/consul/kustomization.yaml',
    ]);
  });

  it('renders an empty catalog as a directory that is still not empty', async () => {
    const { remote, args } = setup({});
    const result = await generate(args());
    expect(result.code).toBe(0);
    expect([...filesAt(remote, 'main', 'clusters/prod/consul').keys()]).toHaveLength(3);
  });

  it('works with an empty remote (no branch yet)', async () => {
    const { dir, catalogFile } = setup();
    const empty = bareRemote(dir, 'empty.git', false);
    const result = await generate([
      '--once',
      ...targetArgs({ catalog: catalogFile, repo: empty, workdir: path.join(dir, 'w2'), dir: 'svc' }),
    ]);
    expect(result.code).toBe(0);
    expect(commitCount(empty)).toBe(1);
  });

  it('skips Services defined elsewhere in the repository and reports the conflict', async () => {
    const { dir, remote, args } = setup();
    const clone = path.join(dir, 'conflict-clone');
    git(dir, 'clone', '-q', remote, clone);
    mkdirSync(path.join(clone, 'apps'));
    writeFileSync(
      path.join(clone, 'apps', 'web.yaml'),
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: ClusterIP\n',
    );
    git(clone, 'add', '-A');
    git(clone, 'commit', '-q', '-m', 'hand-written web');
    git(clone, 'push', '-q', 'origin', 'HEAD:main');
    const result = await generate(args());
    expect(result.code).toBe(0);
    const files = filesAt(remote, 'main', 'clusters/prod/consul');
    expect(files.has('clusters/prod/consul/web.yaml')).toBe(false);
    expect(files.get('clusters/prod/consul/inventory.configmap.yaml')).toContain(
      '"web": conflict: Service "web" already defined in the repository at apps/web.yaml',
    );
  });

  it('never writes outside --path: traversal is refused, hostile names stay inside', async () => {
    const { dir, remote, args, writeCatalog, workdir } = setup();
    for (const bad of ['../x', '..', '/etc', '.', 'a/../../b', '.git/hooks']) {
      const result = await generate(args('--path', bad));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: .*--path/);
    }
    writeCatalog({
      '../../etc': [],
      'a/b': [],
      'UPPER_case.name': [],
      Web: [],
      web: [],
      ['x'.repeat(300)]: [],
      ünï: [],
    });
    const result = await generate(args());
    expect(result.code).toBe(0);
    const changed = git(remote, 'diff', '--name-only', 'main~1', 'main').split('\n');
    expect(changed.every((file) => file.startsWith('clusters/prod/consul/'))).toBe(true);
    expect(existsSync(path.join(dir, 'etc'))).toBe(false);
    // A managed path that escapes through a symlink is refused.
    const clone = path.join(dir, 'symlink-clone');
    git(dir, 'clone', '-q', remote, clone);
    symlinkSync('/tmp', path.join(clone, 'escape'));
    git(clone, 'add', 'escape');
    git(clone, 'commit', '-q', '-m', 'symlink');
    git(clone, 'push', '-q', 'origin', 'HEAD:main');
    const escaped = await generate(args('--path', 'escape/consul'));
    expect(escaped.code).toBe(1);
    expect(escaped.stderr).toContain('resolves outside the repository');
    expect(existsSync(path.join(workdir, 'escape', 'consul'))).toBe(false);
  });

  it('--dry-run prints a table and a diff, exits 2 on changes and 0 without, and never writes', async () => {
    const { remote, args, writeCatalog } = setup();
    const planned = await generate(args('--dry-run'));
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain('would change');
    expect(planned.stdout).toMatch(/SERVICE\s+CHANGE\s+EXTERNALNAME\napi\s+added\s+→ api\.service\.consul/);
    expect(planned.stdout).toContain('+++ b/clusters/prod/consul/web.yaml');
    expect(planned.stdout).toContain('+  externalName: web.service.consul');
    expect(commitCount(remote)).toBe(1);
    await generate(args());
    const none = await generate(args('--dry-run'));
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^no changes: /);
    writeCatalog({ web: [], api: ['v1'] });
    const removal = await generate(args('--dry-run'));
    expect(removal.code).toBe(2);
    expect(removal.stdout).toContain('--- a/clusters/prod/consul/db.yaml');
    expect(removal.stdout).toMatch(/db\s+removed\s+db\.service\.consul →/);
    writeFileSync(path.join(path.dirname(remote), 'catalog.json'), '{"web": "oops"}');
    const broken = await generate(args('--dry-run'));
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('web: expected an array of tags or an object');
  });
});

describe('commit identity and signing', () => {
  it("commits as --author-name/--author-email and signs with git's own configuration", async () => {
    const { dir, remote, args } = setup({ web: [] });
    const key = path.join(dir, 'signing-key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bot', '-f', key]);
    // Signing settings come from git's configuration (here: its environment form).
    const signingConfig = {
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'gpg.format',
      GIT_CONFIG_VALUE_0: 'ssh',
      GIT_CONFIG_KEY_1: 'user.signingkey',
      GIT_CONFIG_VALUE_1: key,
    };
    const result = await generate(
      args('--sign-commits', '--author-name', 'Sync Bot', '--author-email', 'sync-bot@example.test'),
      { ...process.env, ...signingConfig },
    );
    expect(result.code).toBe(0);
    expect(git(remote, 'log', '-1', '--format=%an <%ae>|%cn <%ce>', 'main')).toBe(
      'Sync Bot <sync-bot@example.test>|Sync Bot <sync-bot@example.test>',
    );
    const allowedSigners = path.join(dir, 'allowed_signers');
    writeFileSync(allowedSigners, `sync-bot@example.test ${readFileSync(`${key}.pub`, 'utf8')}`);
    const verified = execFileSync(
      'git',
      ['-c', `gpg.ssh.allowedSignersFile=${allowedSigners}`, 'verify-commit', 'main'],
      { cwd: remote, env: { ...process.env, ...ISOLATED_GIT_ENV }, encoding: 'utf8', stdio: 'pipe' },
    );
    expect(verified).toBe('');
    expect(git(remote, 'cat-file', 'commit', 'main')).toContain('-----BEGIN SSH SIGNATURE-----');
  });
});

describe('commit messages, sign-off, trailers and signing keys', () => {
  const lastMessage = (remote: string) => git(remote, 'log', '-1', '--format=%B', 'main') + '\n';
  const trailersOf = (message: string) =>
    execFileSync('git', ['interpret-trailers', '--parse'], { input: message, encoding: 'utf8' });

  it('renders --commit-message-template, signs off as git commit -s does, and adds the trailers', async () => {
    const { dir, remote, args, catalogFile } = setup({ web: [], api: [] });
    const identity = ['--author-name', 'Sync Bot', '--author-email', 'sync-bot@example.test'];
    const template = [
      '--commit-message-template',
      'chore(consul): {{ .Summary }} in {{ .Path }}\\n\\n{{ .Body }}',
    ];
    const first = await generate(args(...template, '--signoff', '--cluster-id', 'east', ...identity));
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const message = lastMessage(remote);
    expect(message).toMatch(
      /^chore\(consul\): 2 added, 0 changed, 0 removed in clusters\/prod\/consul\n\nAdded \(2\):\n {2}api\n {2}web\n\n/,
    );
    const digest = /Catalog-File-Digest: ([0-9a-f]{16})/.exec(message)?.[1];
    expect(trailersOf(message)).toBe(
      `Catalog-File-Digest: ${digest}\nGenerator-Version: ${version}\nCluster-Id: east\nSigned-off-by: Sync Bot <sync-bot@example.test>\n`,
    );
    // The same line `git commit -s` writes for that identity.
    const scratch = path.join(dir, 'scratch');
    git(dir, 'init', '-q', scratch);
    git(
      scratch,
      '-c',
      'user.name=Sync Bot',
      '-c',
      'user.email=sync-bot@example.test',
      'commit',
      '-q',
      '--allow-empty',
      '-s',
      '-m',
      'x',
    );
    expect(message).toContain(`\n${git(scratch, 'log', '-1', '--format=%(trailers:key=Signed-off-by)')}\n`);

    // The digest (the index) changes, what is rendered does not: no commit.
    writeFileSync(catalogFile, JSON.stringify({ api: [], web: [] }, null, 2));
    const second = await generate(args(...template, '--signoff', '--cluster-id', 'east', ...identity));
    expect(second.stdout).toMatch(/^up to date/);
    expect(commitCount(remote)).toBe(2);
  });

  it('puts the Consul index and datacenter in trailers; a Consul write that renders the same makes no commit', async () => {
    const consul = await startConsulDouble({ blockingJitter: false });
    try {
      const register = (node: string) =>
        consul.seed.register({
          Node: node,
          Address: '10.0.0.1',
          Service: { ID: 'web', Service: 'web', Tags: [], Meta: {}, Port: 80 },
        });
      register('vm-1');
      const { dir, remote, args } = setup();
      const consulArgs = args().filter(
        (_arg, i, all) => all[i] !== '--catalog-file' && all[i - 1] !== '--catalog-file',
      );
      const env = { ...process.env, ...consul.env() };
      const index = async () =>
        (await fetch(`${consul.url}/v1/catalog/services`)).headers.get('X-Consul-Index');
      const first = await generate([...consulArgs, '--datacenter', 'dc1'], env);
      expect(first.code).toBe(0);
      expect(trailersOf(lastMessage(remote))).toBe(
        `Consul-Index: ${await index()}\nConsul-Datacenter: dc1\nGenerator-Version: ${version}\n`,
      );
      const before = await index();
      register('vm-2');
      expect(await index()).not.toBe(before);
      const second = await generate([...consulArgs, '--datacenter', 'dc1'], env);
      expect(second.stdout).toMatch(/^up to date/);
      expect(commitCount(remote)).toBe(2);

      // Twin runs that read the catalog at different indexes build different commits for the same
      // change: the later push is rejected, its retry finds the branch up to date, one commit counts.
      consul.seed.register({
        Node: 'vm-1',
        Address: '10.0.0.1',
        Service: { ID: 'api', Service: 'api', Tags: [], Meta: {}, Port: 80 },
      });
      const metrics = new GeneratorMetrics(createMetricsRegistry({ defaultMetrics: false }));
      const build = async (workdir: string) => {
        const flags = await parseGenerateFlags([...consulArgs, '--workdir', path.join(dir, workdir)]);
        const { deps, settings } = await buildRun(
          parseGenerateConfig(flags, env),
          createLogger({ level: 'silent' }),
          { env: { ...env, ...ISOLATED_GIT_ENV } },
          metrics,
        );
        return { deps, settings: { ...settings, pushBackoff: { initialMs: 1, maxMs: 5 } } };
      };
      const early = await build('early');
      const twin = await build('twin');
      early.deps.beforePush = async (attempt) => {
        if (attempt !== 1) return;
        register('vm-3');
        expect((await runOnce(twin.deps, twin.settings)).status).toBe('committed');
      };
      expect((await runOnce(early.deps, early.settings)).status).toBe('up-to-date');
      expect(commitCount(remote)).toBe(3);
      expect(trailersOf(lastMessage(remote))).toContain(`Consul-Index: ${await index()}\n`);
      expect((await metrics.commits.get()).values[0]?.value).toBe(1);
      expect((await metrics.pushRetries.get()).values[0]?.value).toBe(1);
    } finally {
      await consul.stop();
    }
  });

  it("--signing-key signs with an SSH key file passed in git's environment only", async () => {
    const { dir, remote, workdir, args } = setup({ web: [] });
    const key = path.join(dir, 'signing-key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bot', '-f', key]);
    const result = await generate(args('--signing-key', key, '--author-email', 'sync-bot@example.test'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const allowedSigners = path.join(dir, 'allowed_signers');
    writeFileSync(allowedSigners, `sync-bot@example.test ${readFileSync(`${key}.pub`, 'utf8')}`);
    const verified = spawnSync(
      'git',
      ['-c', `gpg.ssh.allowedSignersFile=${allowedSigners}`, 'verify-commit', 'main'],
      { cwd: remote, env: { ...process.env, ...ISOLATED_GIT_ENV }, encoding: 'utf8' },
    );
    expect(verified.status).toBe(0);
    expect(verified.stderr).toContain('Good "git" signature for sync-bot@example.test with ED25519 key');
    // Never written to a git configuration.
    expect(readFileSync(path.join(workdir, 'config'), 'utf8')).not.toMatch(/signingkey|gpg/i);
  });

  it('--signing-key signs with an OpenPGP key id from GNUPGHOME', async () => {
    const { dir, remote, args } = setup({ web: [] });
    const gnupgHome = path.join(dir, 'gnupg');
    mkdirSync(gnupgHome, { mode: 0o700 });
    const gpg = (...gpgArgs: string[]) =>
      execFileSync('gpg', ['--batch', '--homedir', gnupgHome, ...gpgArgs], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    try {
      gpg(
        '--passphrase',
        '',
        '--quick-gen-key',
        'Sync Bot <sync-bot@example.test>',
        'ed25519',
        'sign',
        'never',
      );
      const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg('--with-colons', '--list-secret-keys'))![1]!;
      const env = { ...process.env, GNUPGHOME: gnupgHome };
      const result = await generate(args('--signing-key', fingerprint), env);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const verified = spawnSync('git', ['verify-commit', 'main'], {
        cwd: remote,
        env: { ...process.env, ...ISOLATED_GIT_ENV, GNUPGHOME: gnupgHome },
        encoding: 'utf8',
      });
      expect(verified.status).toBe(0);
      expect(verified.stderr).toContain('Good signature from "Sync Bot <sync-bot@example.test>"');
      expect(git(remote, 'cat-file', 'commit', 'main')).toContain('-----BEGIN PGP SIGNATURE-----');
    } finally {
      spawnSync('gpgconf', ['--homedir', gnupgHome, '--kill', 'all']);
    }
  });
});

describe('generate --once into a local work tree', () => {
  it('creates the repository when missing, commits, then is up to date', async () => {
    const dir = path.join(root.dir, 'local-new');
    mkdirSync(dir);
    const catalog = path.join(dir, 'catalog.json');
    writeFileSync(catalog, JSON.stringify({ web: [], api: [] }));
    const repo = path.join(dir, 'out', 'repo');
    const argv = ['--once', ...targetArgs({ catalog, repo, dir: 'services' })];
    const dry = await generate(['--dry-run', ...argv.slice(1)]);
    expect(dry.code).toBe(2);
    expect(existsSync(repo)).toBe(false);
    const first = await generate(argv);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^committed [0-9a-f]{12} to .*: 2 added/);
    expect(readFileSync(path.join(repo, 'services', 'web.yaml'), 'utf8')).toContain(
      'externalName: web.service.consul',
    );
    const second = await generate(argv);
    expect(second.stdout).toMatch(/^up to date/);
    expect(commitCount(repo)).toBe(1);
    // A run killed after writing: files on disk but uncommitted; the next run still commits them.
    writeFileSync(catalog, JSON.stringify({ web: [], api: [], db: [] }));
    writeFileSync(path.join(repo, 'services', 'db.yaml'), 'half');
    writeFileSync(path.join(repo, 'notes.txt'), 'user file outside the path');
    const third = await generate(argv);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('1 added');
    expect(readFileSync(path.join(repo, 'notes.txt'), 'utf8')).toBe('user file outside the path');
    expect(git(repo, 'status', '--porcelain')).toBe('?? notes.txt');
  });
});

describe('credentials', () => {
  it('never shows a token from the URL or the environment', async () => {
    const { dir, catalogFile } = setup();
    const run = (repo: string) =>
      generate(
        ['--once', ...targetArgs({ catalog: catalogFile, repo, workdir: path.join(dir, 'cw'), dir: 'x' })],
        { ...process.env, GIT_TOKEN: 'tok-3nv-secret' },
      );
    const inUrl = await run('http://user:s3cr3t-url@127.0.0.1:9/repo.git');
    const fromEnv = await run('http://user@127.0.0.1:9/repo.git');
    for (const result of [inUrl, fromEnv]) {
      expect(result.code).toBe(1);
      for (const text of [result.stdout, result.stderr, result.logs]) {
        expect(text).not.toContain('s3cr3t-url');
        expect(text).not.toContain('tok-3nv-secret');
        expect(text).not.toContain(Buffer.from('x-access-token:tok-3nv-secret').toString('base64'));
      }
    }
    expect(inUrl.stderr).toMatch(/^error: --repo: the URL contains a password/);
    expect(fromEnv.stderr).toMatch(/^error: git fetch failed/);
  });
});

describe('HTTPS token against a real smart-HTTP server', () => {
  const TOKEN = 'ghp-http-t0ken-secret';
  let server: GitHttpServer;
  let serverRoot: string;
  beforeAll(async () => {
    serverRoot = path.join(root.dir, 'http-root');
    mkdirSync(serverRoot);
    bareRemote(serverRoot, 'config.git');
    server = await startGitHttpServer({ root: serverRoot, username: 'x-access-token', token: TOKEN });
  });
  afterAll(() => server.close());

  it('authenticates with the token from a file or GIT_TOKEN and never shows or stores it', async () => {
    const { dir, catalogFile } = setup({ web: [] });
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const workdir = path.join(dir, 'https-work');
    const argv = (...extra: string[]) => [
      '--once',
      ...targetArgs({ catalog: catalogFile, repo: server.url('config.git'), workdir, dir: 'consul' }),
      ...extra,
    ];
    const { GIT_TOKEN: _unset, ...env } = process.env;
    const denied = await generate(argv(), env);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^error: git fetch failed/);

    const first = await generate(argv('--git-token-file', tokenFile), env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /^committed [0-9a-f]{12} to http:\/\/127\.0\.0\.1:\d+\/config\.git .* and pushed/,
    );
    const remote = path.join(serverRoot, 'config.git');
    expect(namesAt(remote, 'main', 'consul')).toContain('consul/web.yaml');
    const second = await generate(argv(), { ...env, GIT_TOKEN: TOKEN });
    expect(second.stdout).toMatch(/^up to date/);
    expect(server.authorizations).toContain(
      `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`,
    );

    const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    const shown = [denied, first, second].map((run) => run.stdout + run.stderr + run.logs).join('\n');
    const stored = readFileSync(path.join(workdir, 'config'), 'utf8');
    const message = git(remote, 'log', '-1', '--format=%B', 'main');
    for (const text of [shown, stored, message]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(basic);
    }
  });
});
