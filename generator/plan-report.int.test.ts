/** `--dry-run --output json` against real git (bare remotes) and the Consul double. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startConsulDouble, type ConsulDouble } from '../test/support/consul';
import { PLAN_REPORT_API_VERSION, PlanReportSchema, type PlanReport } from './plan-report';
import { bareRemote, commitCount, generate, git, tempDir } from '../test/support/generator/git-fixture';
import { targetArgs } from '../test/support/generator/cli';

let root: { dir: string; cleanup(): void };
let consul: ConsulDouble;
beforeAll(async () => {
  root = tempDir();
  consul = await startConsulDouble({ blockingJitter: false });
});
afterAll(async () => {
  await consul.stop();
  root.cleanup();
});

let caseNumber = 0;
function setup() {
  const dir = path.join(root.dir, `case-${++caseNumber}`);
  mkdirSync(dir);
  const remote = bareRemote(dir);
  const catalogFile = path.join(dir, 'catalog.json');
  const args = (...extra: string[]) => [
    ...targetArgs({ repo: remote, workdir: path.join(dir, 'work'), dir: 'consul' }),
    ...extra,
  ];
  return { dir, remote, catalogFile, args };
}

/** Parses stdout with the exported schema (strict: an unknown or missing field fails). */
const parsed = (stdout: string): PlanReport => PlanReportSchema.parse(JSON.parse(stdout));

describe('--dry-run --output json', () => {
  it('prints the plan in the documented shape; exit codes stay 2, 0 and 1', async () => {
    const { dir, remote, catalogFile, args } = setup();
    const fromFile = (...extra: string[]) => args('--catalog-file', catalogFile, ...extra);
    writeFileSync(catalogFile, JSON.stringify({ web: [], db: [], api: [] }));
    expect((await generate(['--once', ...fromFile()])).code).toBe(0);
    const clone = path.join(dir, 'clone');
    git(dir, 'clone', '-q', remote, clone);
    writeFileSync(path.join(clone, 'consul', 'README.md'), 'hand-written\n');
    git(clone, 'add', '.');
    git(clone, 'commit', '-q', '-m', 'readme');
    git(clone, 'push', '-q', 'origin', 'HEAD:main');
    const head = git(remote, 'rev-parse', 'main');

    writeFileSync(
      catalogFile,
      JSON.stringify({ web: ['v2'], api: [], queue: [], orders: { Tags: ['k8s'] }, 'bad_name!': [] }),
    );
    const planned = await generate(['--dry-run', ...fromFile('--annotate-consul-tags', '--output', 'json')]);
    expect(planned.stderr).toBe('');
    expect(planned.code).toBe(2);
    const report = parsed(planned.stdout);
    expect(report).toMatchObject({
      apiVersion: PLAN_REPORT_API_VERSION,
      repo: remote,
      branch: 'main',
      path: 'consul',
      changes: true,
      summary: { added: 1, changed: 1, removed: 1, rendered: 3, skipped: 2, keptNotOurs: 1 },
      guard: { allowed: true, reason: null },
      incomplete: null,
    });
    expect(report.services).toContainEqual({
      name: 'db',
      consulName: 'db',
      change: 'removed',
      file: 'consul/db.yaml',
      externalNameBefore: 'db.service.consul',
      externalNameAfter: null,
    });
    expect(report.services.find((service) => service.name === 'queue')).toMatchObject({
      change: 'added',
      externalNameBefore: null,
      externalNameAfter: 'queue.service.consul',
    });
    expect(report.files).toContainEqual({
      path: 'consul/README.md',
      change: 'kept-not-ours',
      replacesFileNotOurs: false,
      service: null,
      consulName: null,
    });
    expect(report.files.find((file) => file.path === 'consul/web.yaml')).toMatchObject({
      change: 'changed',
      service: 'web',
    });
    expect(report.files.map((file) => file.path)).toContain('consul/inventory.configmap.yaml');
    expect(report.skipped.map((entry) => entry.consulName).sort()).toEqual(['bad_name!', 'orders']);
    expect(report.skipped.every((entry) => entry.reason !== '')).toBe(true);
    // A dry run writes nothing.
    expect(git(remote, 'rev-parse', 'main')).toBe(head);

    // Nothing to change: exit 0, the same shape.
    expect((await generate(['--once', ...fromFile('--annotate-consul-tags')])).code).toBe(0);
    const none = await generate(['--dry-run', ...fromFile('--annotate-consul-tags', '--output', 'json')]);
    expect(none.code).toBe(0);
    expect(parsed(none.stdout)).toMatchObject({
      changes: false,
      services: [],
      files: [expect.objectContaining({ path: 'consul/README.md', change: 'kept-not-ours' })],
    });

    // The guard would refuse: exit 1, the verdict in the report.
    writeFileSync(catalogFile, JSON.stringify({}));
    const refused = await generate(['--dry-run', ...fromFile('--output', 'json')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the mass-deletion guard would refuse this run');
    expect(parsed(refused.stdout).guard).toEqual({
      allowed: false,
      reason: expect.stringMatching(/^refusing to remove all 3 managed Services/),
    });
    expect(commitCount(remote)).toBe(4);
  });

  it('reports a partial read: the gaps and the Services kept (exit 4)', async () => {
    const { remote, args } = setup();
    const register = (name: string) =>
      consul.seed.register({
        Node: 'vm-1',
        Address: '10.0.0.1',
        Service: { ID: name, Service: name, Tags: [], Meta: {}, Port: 80 },
      });
    for (const name of ['web', 'billing']) register(name);
    expect((await generate(['--once', ...args()], { ...process.env, ...consul.env() })).code).toBe(0);
    register('orders');
    consul.acl.enabled = true;
    consul.acl.defaultPolicy = 'deny';
    consul.acl.setToken({
      secretId: 'partial',
      rules: { servicePrefix: { '': 'read', billing: 'deny' }, nodePrefix: { '': 'read' } },
    });
    try {
      const partial = await generate(['--dry-run', ...args('--output', 'json')], {
        ...process.env,
        ...consul.env('partial'),
      });
      expect(partial.code).toBe(4);
      const report = parsed(partial.stdout);
      expect(report.summary).toMatchObject({ added: 1, removed: 0 });
      expect(report.incomplete).toEqual({
        gaps: [
          expect.objectContaining({ reason: expect.stringContaining('X-Consul-Results-Filtered-By-ACLs') }),
        ],
        kept: ['consul/billing.yaml'],
      });
      expect(commitCount(remote)).toBe(2);
    } finally {
      consul.acl.enabled = false;
    }
  });
});
