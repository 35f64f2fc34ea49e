import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createGenerateCommand } from './command';
import { parseGenerateConfig, type GenerateFlags } from './config';
import { projectFromUrl } from './config-pull-request';
import { normaliseManagedPath } from './managed-dir';
import { displayUrl } from './git/credentials';
import { locateRepository } from './git/location';
import { gitEnvironment } from './git/process';
import { git, tempDir } from '../test/support/generator/git-fixture';

async function flags(args: string[]): Promise<GenerateFlags> {
  let captured: GenerateFlags | undefined;
  await createGenerateCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .action((parsed: GenerateFlags) => {
      captured = parsed;
    })
    .parseAsync(args, { from: 'user' });
  return captured!;
}

const base = ['--once', '--repo', 'out/repo', '--path', 'services'];

describe('generate flags', () => {
  it('documents every flag of the issue in --help', () => {
    const help = createGenerateCommand().helpInformation();
    for (const flag of [
      '--once',
      '--watch',
      '--dry-run',
      '--catalog-file',
      '--consul-k8s-tag',
      '--include',
      '--exclude',
      '--consul-domain',
      '--consul-datacenter-dns',
      '--k8s-write-namespace',
      '--k8s-service-prefix',
      '--check-cluster',
      '--repo',
      '--branch',
      '--path',
      '--author-name',
      '--author-email',
      '--pull-request',
      '--forge-api-url',
      '--pull-request-label',
      '--max-delete-percent',
      '--allow-mass-delete',
      '--buffer-min',
      '--buffer-max',
      '--leader-elect',
      '--http-port',
    ]) {
      expect(help).toContain(flag);
    }
  });

  it('has the documented defaults', async () => {
    const config = parseGenerateConfig(await flags(base), {});
    expect(config).toMatchObject({
      mode: 'once',
      branch: 'main',
      managedPath: 'services',
      select: { syncTag: 'k8s', include: [], exclude: [], prefix: '' },
      render: { namespace: 'default', domain: 'consul', annotateTags: false },
      guard: { maxDeletePercent: 50, allowMassDelete: false },
      maxPushAttempts: 6,
      watch: { bufferMinMs: 5000, bufferMaxMs: 20_000, leaderElect: false, httpPort: 8080 },
    });
    expect(config.source).toEqual({ kind: 'consul' });
  });

  it('keeps globs with commas whole and reads --consul-datacenter-dns with or without a value', async () => {
    const config = parseGenerateConfig(
      await flags([...base, '--include', 'web-{a,b}', '--consul-datacenter-dns', 'dc2']),
      {},
    );
    expect(config.select.include).toEqual(['web-{a,b}']);
    const listed = parseGenerateConfig(
      await flags([...base, '--exclude', 'legacy-*, test-{a,b}', '--exclude', 'tmp']),
      {},
    );
    expect(listed.select.exclude).toEqual(['legacy-*', 'test-{a,b}', 'tmp']);
    expect(config.render.datacenter).toBe('dc2');
    const fromDatacenter = parseGenerateConfig(
      await flags([...base, '--datacenter', 'dc3', '--consul-datacenter-dns']),
      {},
    );
    expect(fromDatacenter.render.datacenter).toBe('dc3');
    const fromConsul = parseGenerateConfig(await flags([...base, '--consul-datacenter-dns']), {});
    expect(fromConsul.render).toMatchObject({ datacenterFromCatalog: true });
    expect(fromConsul.render.datacenter).toBeUndefined();
  });

  it.each([
    [['--once', '--watch', '--repo', 'r', '--path', 'p'], /--once and --watch: choose one/],
    [['--repo', 'r', '--path', 'p'], /choose a mode/],
    [['--once', '--path', 'p'], /--repo: required/],
    [['--once', '--repo', 'r'], /--path: must not be empty/],
    [[...base, '--k8s-write-namespace', 'Bad_NS'], /--k8s-write-namespace: "Bad_NS"/],
    [[...base, '--k8s-service-prefix', 'UP-'], /--k8s-service-prefix: "UP-"/],
    [
      [...base, '--catalog-file', 'c.json', '--consul-datacenter-dns'],
      /--consul-datacenter-dns: give the datacenter .*a catalog file does not say/,
    ],
    [[...base, '--buffer-min', '30s'], /--buffer-min: must not be longer than --buffer-max/],
    [
      [...base, '--git-token-file', '/nonexistent/token'],
      /--git-token-file: cannot read "\/nonexistent\/token" \(ENOENT\)/,
    ],
    [
      [...base, '--pull-request', 'gitlab', '--forge-project', 'g/p'],
      /needs a token \(GITLAB_TOKEN or --forge-token-file\)/,
    ],
    [[...base, '--cluster-id', 'East 1'], /--cluster-id: "East 1"/],
  ])('%j is refused naming the flag', async (args, message) => {
    expect(() => parseGenerateConfig(flagsSync(args), {})).toThrow(message);
  });

  let parsed: Map<string, GenerateFlags>;
  function flagsSync(args: string[]): GenerateFlags {
    return parsed.get(JSON.stringify(args))!;
  }
  beforeAll(async () => {
    parsed = new Map();
    const cases: string[][] = [
      ['--once', '--watch', '--repo', 'r', '--path', 'p'],
      ['--repo', 'r', '--path', 'p'],
      ['--once', '--path', 'p'],
      ['--once', '--repo', 'r'],
      [...base, '--k8s-write-namespace', 'Bad_NS'],
      [...base, '--k8s-service-prefix', 'UP-'],
      [...base, '--catalog-file', 'c.json', '--consul-datacenter-dns'],
      [...base, '--buffer-min', '30s'],
      [...base, '--git-token-file', '/nonexistent/token'],
      [...base, '--pull-request', 'gitlab', '--forge-project', 'g/p'],
      [...base, '--cluster-id', 'East 1'],
    ];
    for (const args of cases) parsed.set(JSON.stringify(args), await flags(args));
  });

  it('rejects bad values at parse time', async () => {
    await expect(flags([...base, '--max-delete-percent', '150'])).rejects.toThrow(
      /expected a number from 0 to 100/,
    );
    await expect(flags([...base, '--pull-request', 'bitbucket'])).rejects.toThrow(
      /Allowed choices are github, gitlab/,
    );
    await expect(flags([...base, '--buffer-min', 'soon'])).rejects.toThrow(/invalid duration/);
  });

  it('refuses a lease shorter than 2s in watch mode, naming the flag', async () => {
    const watch = [
      '--watch',
      '--repo',
      'out/repo',
      '--path',
      'x',
      '--leader-elect',
      '--leader-elect-lease-duration',
      '120ms',
    ];
    const parsed = await flags(watch);
    expect(() => parseGenerateConfig(parsed, {})).toThrow('--leader-elect-lease-duration: at least 2s');
  });

  it('reads --leader-elect as a Go bool and the lease flags through the shared definition', async () => {
    const watch = ['--watch', '--repo', 'out/repo', '--path', 'x'];
    const on = parseGenerateConfig(
      await flags([...watch, '--leader-elect', '--leader-elect-lease-duration', '1m']),
      {
        POD_NAMESPACE: 'ops',
      },
    );
    expect(on.watch).toMatchObject({ leaderElect: true, leaseDurationMs: 60_000, leaseNamespace: 'ops' });
    // POD_NAMESPACE is checked as the namespace the Lease will be in.
    const elected = await flags([...watch, '--leader-elect']);
    expect(() => parseGenerateConfig(elected, { POD_NAMESPACE: 'Not_A_Namespace' })).toThrow(
      '--leader-elect-lease-namespace: "Not_A_Namespace" is not a namespace name',
    );
    const offFlags = await flags([...watch, '--leader-elect=F', '--k8s-write-namespace', 'svc']);
    expect(parseGenerateConfig(offFlags, {}).watch).toMatchObject({
      leaderElect: false,
      leaseDurationMs: 15_000,
      leaseNamespace: 'svc',
    });
    expect(() => parseGenerateConfig({ ...offFlags, leaderElect: 'maybe' }, {})).toThrow(
      new Error('--leader-elect: "maybe" is not a boolean (use true or false)'),
    );
    // Without --watch no Lease is taken, so a short one is not refused.
    expect(
      parseGenerateConfig(await flags([...base, '--leader-elect-lease-duration', '1s']), {}).watch
        .leaseDurationMs,
    ).toBe(1000);
  });

  it('names the flag of a bad datacenter given to --consul-datacenter-dns', async () => {
    const parsed = await flags([...base, '--consul-datacenter-dns', 'dc_1']);
    expect(() => parseGenerateConfig(parsed, {})).toThrow(
      new Error('--consul-datacenter-dns: "dc_1" is not a datacenter name (letters, digits, "-")'),
    );
  });

  it('reports a bad flag, a rule between flags and an unreadable file together', async () => {
    const parsed = await flags([
      '--watch',
      '--repo',
      'out/repo',
      '--path',
      'x',
      '--branch',
      'a..b',
      '--leader-elect-lease-duration',
      '1s',
      '--git-token-file',
      '/nonexistent/token',
    ]);
    expect(() => parseGenerateConfig(parsed, {})).toThrow(
      '--branch: "a..b" is not a valid branch name; --leader-elect-lease-duration: at least 2s; ' +
        '--git-token-file: cannot read "/nonexistent/token" (ENOENT)',
    );
  });

  it('refuses a password written into --repo, without showing it', async () => {
    const withPassword = [
      '--once',
      '--repo',
      'https://bot:s3cret@git.example.com/org/repo.git',
      '--path',
      'x',
    ];
    let message = '';
    try {
      parseGenerateConfig(await flags(withPassword), {});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('--repo: the URL contains a password');
    expect(message).not.toContain('s3cret');
    const userOnly = ['--once', '--repo', 'https://bot@git.example.com/org/repo.git', '--path', 'x'];
    expect(parseGenerateConfig(await flags(userOnly), {}).repo).toBe(
      'https://bot@git.example.com/org/repo.git',
    );
  });
});

describe('helpers', () => {
  it.each([
    ['clusters/prod/consul', 'clusters/prod/consul'],
    ['./a//b/', 'a/b'],
  ])('normalises --path %j', (raw, expected) => {
    expect(normaliseManagedPath(raw)).toBe(expected);
  });

  it.each(['../x', '..', '/etc', '.', 'a/../../b', '.git', 'a/.GIT/x', 'a b', 'x\ny'])(
    'refuses --path %j',
    (raw) => {
      expect(() => normaliseManagedPath(raw)).toThrow(/--path/);
    },
  );

  it('reads the forge project from remote URLs', () => {
    expect(projectFromUrl('https://github.com/acme/config.git')).toBe('acme/config');
    expect(projectFromUrl('git@gitlab.example.com:group/sub/project.git')).toBe('group/sub/project');
    expect(projectFromUrl('/srv/git/repo.git')).toBeUndefined();
  });

  it('passes credentials to git through its environment only, and never shows them', () => {
    const env = gitEnvironment(
      { PATH: '/bin', EDITOR: 'vim', GIT_ASKPASS: 'x' },
      { token: 's3cret', sshKeyFile: "/keys/it's" },
    );
    expect(env.GIT_CONFIG_KEY_0).toBe('http.extraHeader');
    expect(env.GIT_CONFIG_VALUE_0).toBe(
      `Authorization: Basic ${Buffer.from('x-access-token:s3cret').toString('base64')}`,
    );
    expect(env.GIT_CONFIG_COUNT).toBe('1');
    expect(env.GIT_SSH_COMMAND).toBe("ssh -i '/keys/it'\\''s' -o IdentitiesOnly=yes -o BatchMode=yes");
    expect(env.GIT_TERMINAL_PROMPT).toBe('0');
    expect(env.EDITOR).toBeUndefined();
    expect(env.GIT_ASKPASS).toBeUndefined();
    expect(displayUrl('https://user:s3cret@git.example.com/r.git')).not.toContain('s3cret');
  });

  it('tells remotes from local work trees', async () => {
    const root = tempDir();
    try {
      expect((await locateRepository('https://git.example.com/r.git', '/w')).kind).toBe('remote');
      expect((await locateRepository('git@github.com:acme/r.git')).kind).toBe('remote');
      const bare = path.join(root.dir, 'bare.git');
      git(root.dir, 'init', '-q', '--bare', bare);
      expect(await locateRepository(bare, '/w')).toEqual({ kind: 'remote', url: bare, workdir: '/w' });
      const tree = path.join(root.dir, 'tree');
      git(root.dir, 'init', '-q', tree);
      expect(await locateRepository(tree)).toEqual({ kind: 'local', dir: tree, exists: true });
      expect(await locateRepository(path.join(root.dir, 'new'))).toMatchObject({
        kind: 'local',
        exists: false,
      });
      mkdirSync(path.join(root.dir, 'plain'));
      await expect(locateRepository(path.join(root.dir, 'plain'))).rejects.toThrow(/not a git repository/);
    } finally {
      root.cleanup();
    }
  });
});

describe('--include, --exclude and --consul-domain (finding 9)', () => {
  const parse = async (args: string[]) => parseGenerateConfig(await flags([...base, ...args]), {});

  it.each([
    ['--include', '[', /--include "\[": unclosed "\[" \(a character class needs its closing "\]"\)/],
    ['--include', 'web-[ab', /--include "web-\[ab": unclosed "\["/],
    ['--exclude', 'web-]', /--exclude "web-\]": unmatched "\]"/],
    ['--exclude', 'web-{a,b', /--exclude "web-\{a,b": unclosed "\{"/],
    ['--include', 'web-a}', /--include "web-a\}": unmatched "\}"/],
    ['--include', '@(a|b', /--include "@\(a\|b": unclosed "\("/],
    ['--include', 'web\\', /--include "web.*": ends with a lone "\\"/],
    ['--include', ' ', /--include "": empty pattern/],
  ])('%s %j is refused at startup, naming the flag and the glob', async (flag, glob, message) => {
    await expect(parse([flag, glob])).rejects.toThrow(message);
  });

  it.each([['web-[ab]'], ['[!x]*'], ['[]a]*'], ['[[:alpha:]]*'], ['web-{a,b}'], ['@(a|b)-*'], ['web-\\[']])(
    'accepts the well-formed glob %j',
    async (glob) => {
      expect((await parse(['--include', glob])).select.include).toEqual([glob]);
    },
  );

  it('accepts a trailing dot in --consul-domain (Consul does) and renders externalName without it', async () => {
    expect((await parse(['--consul-domain', 'consul.'])).render.domain).toBe('consul');
    expect((await parse(['--consul-domain', 'dc.example.'])).render.domain).toBe('dc.example');
    await expect(parse(['--consul-domain', 'consul..'])).rejects.toThrow(/--consul-domain: "consul\.\."/);
    await expect(parse(['--consul-domain', '.'])).rejects.toThrow(/--consul-domain: "\."/);
  });

  it('names the inventory ConfigMap after --owner-id, else --cluster-id, else the path', async () => {
    expect((await parse(['--owner-id', 'east'])).render.inventoryName).toBe(
      'consul-k8s-gitops-inventory-east',
    );
    expect((await parse(['--cluster-id', 'west'])).render.inventoryName).toBe(
      'consul-k8s-gitops-inventory-west',
    );
    const byPath = (await parse([])).render.inventoryName;
    const otherPath = parseGenerateConfig(await flags(['--once', '--repo', 'r', '--path', 'other']), {});
    expect(byPath).toMatch(/^consul-k8s-gitops-inventory-[0-9a-f]{8}$/);
    expect(otherPath.render.inventoryName).not.toBe(byPath);
  });
});

describe('--shard-size', () => {
  it('defaults to 500 Services per shard; 0 keeps one directory', async () => {
    expect(parseGenerateConfig(await flags(base), {}).render.shardSize).toBe(500);
    expect(parseGenerateConfig(await flags([...base, '--shard-size', '0']), {}).render.shardSize).toBe(0);
    expect(createGenerateCommand().helpInformation()).toContain('--shard-size');
  });

  it.each(['-1', '2.5', 'many'])('refuses %j naming the flag', async (value) => {
    await expect(flags([...base, '--shard-size', value])).rejects.toThrow(/--shard-size/);
  });
});
