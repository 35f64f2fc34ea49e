/** The Consul source and watch mode against the Consul double (real `consul` client, real git). */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startConsulDouble, type ConsulDouble } from '../test/support/consul';
import { consulConfigFromEnv } from '../core/consul';
import { createLogger } from '../core/runtime/logger';
import { parseGenerateConfig } from './config';
import { buildRun } from './wiring';
import { runOnce, type RunOutcome } from './run';
import { ConsulCatalogSource } from './source/consul';
import {
  bareRemote,
  commitCount,
  filesAt,
  generate,
  git,
  ISOLATED_GIT_ENV,
  namesAt,
  tempDir,
} from '../test/support/generator/git-fixture';
import { parseGenerateFlags, targetArgs } from '../test/support/generator/cli';
import { eventually } from '../test/support/wait';
import { CatalogWatcher, type WatchOptions } from './watch';

/** The generator end to end takes seconds: its waits poll for up to 15 s. */
const SLOW = { timeoutMs: 15_000, intervalMs: 50 };

let consul: ConsulDouble;
let root: { dir: string; cleanup(): void };
beforeAll(async () => {
  consul = await startConsulDouble({ blockingJitter: false });
  root = tempDir();
});
afterAll(async () => {
  await consul.stop();
  root.cleanup();
});
beforeEach(() => {
  consul.seed.clear();
  consul.faults.clear();
  consul.acl.enabled = false;
});

function register(
  name: string,
  options: { id?: string; node?: string; tags?: string[]; meta?: Record<string, string> } = {},
) {
  consul.seed.register({
    Node: options.node ?? 'vm-1',
    Address: '10.0.0.1',
    Service: {
      ID: options.id ?? name,
      Service: name,
      Tags: options.tags ?? [],
      Meta: options.meta ?? {},
      Port: 80,
    },
  });
}

let caseNumber = 0;
function setup() {
  const dir = path.join(root.dir, `consul-${++caseNumber}`);
  mkdirSync(dir);
  const remote = bareRemote(dir);
  const args = (...extra: string[]) => [
    '--once',
    ...targetArgs({ repo: remote, workdir: path.join(dir, 'work'), dir: 'consul' }),
    ...extra,
  ];
  return { dir, remote, args };
}

describe('ConsulCatalogSource', () => {
  it('reads names, tags and what the instances meta say (opt-out, loop guard, cluster)', async () => {
    register('web', { tags: ['v1'] });
    register('web', { id: 'web-2', node: 'vm-2', meta: { 'k8s-sync': 'f' } });
    register('from-k8s', { tags: ['k8s'], meta: { 'external-source': 'kubernetes' } });
    register('east', { meta: { 'external-source': 'kubernetes', 'external-k8s-cluster-id': 'east' } });
    register('west', { meta: { 'external-source': 'kubernetes', 'external-k8s-cluster-id': 'west' } });
    const source = new ConsulCatalogSource(consulConfigFromEnv(consul.env()), { clusterId: 'west' });
    const snapshot = await source.read();
    const facts = Object.fromEntries(
      snapshot.services.map((service) => [service.name, [service.optedOut, service.fromKubernetes]]),
    );
    expect(facts).toEqual({
      web: [true, 'none'],
      'from-k8s': [false, 'this-cluster'],
      east: [false, 'other-cluster'],
      west: [false, 'this-cluster'],
    });
    expect(snapshot.services.find((service) => service.name === 'web')!.tags).toEqual(['v1']);
    expect(snapshot.index).toMatch(/^\d+$/);
    expect(snapshot.gaps).toBeUndefined();
  });

  // Finding 3: consul-k8s's to-k8s reads /v1/catalog/services (stale); so does a run, a fixed
  // number of times whatever the catalog's size (it used to read /v1/health/service per service).
  it.each([10, 300])('reads %i services with a constant number of stale requests', async (count) => {
    for (let i = 0; i < count; i += 1)
      register(`svc-${i}`, { meta: i % 7 === 0 ? { 'k8s-sync': 'false' } : {} });
    const source = new ConsulCatalogSource(consulConfigFromEnv(consul.env()), { clusterId: 'west' });
    consul.requests.clear();
    const snapshot = await source.read();
    expect(snapshot.services).toHaveLength(count);
    expect(snapshot.services.filter((service) => service.optedOut)).toHaveLength(Math.ceil(count / 7));
    const entries = consul.requests.entries;
    expect(entries).toHaveLength(4);
    expect(entries.every((entry) => entry.path === '/v1/catalog/services' && 'stale' in entry.query)).toBe(
      true,
    );
    expect(entries.filter((entry) => entry.query.filter?.includes('ServiceMeta'))).toHaveLength(3);
  });

  it('reads one instance only when the datacenter goes into externalName', async () => {
    for (let i = 0; i < 20; i += 1) register(`svc-${i}`);
    const source = new ConsulCatalogSource(consulConfigFromEnv(consul.env()), { needsDatacenter: true });
    consul.requests.clear();
    expect((await source.read()).datacenter).toBe('dc1');
    expect(consul.requests.count((entry) => entry.path.startsWith('/v1/health/service/'))).toBe(1);
    expect(consul.requests.count()).toBe(4);
  });

  it('watch mode holds one blocking query on the stale listing', async () => {
    register('web');
    const source = new ConsulCatalogSource(consulConfigFromEnv(consul.env()), { waitMs: 10_000 });
    const { index } = await source.read();
    const controller = new AbortController();
    consul.requests.clear();
    const waiting = source.waitForChange(index, controller.signal);
    await eventually(() => consul.blockedQueries() === 1, SLOW);
    register('api');
    expect(await waiting).not.toBe(index);
    expect(
      consul.requests.entries.map((entry) => [entry.path, entry.blocking, 'stale' in entry.query]),
    ).toEqual([['/v1/catalog/services', true, true]]);
  });
});

describe('generate --once from Consul', () => {
  it('renders what Consul has, minus loop-guarded and opted-out services', async () => {
    const { remote, args } = setup();
    register('web');
    register('api', { meta: { team: 'x' } });
    register('from-k8s', { tags: ['k8s'] });
    register('orders', { meta: { 'external-source': 'kubernetes' } });
    register('batch', { meta: { 'k8s-sync': 'false' } });
    const result = await generate(args(), { ...process.env, ...consul.env() });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const files = [...filesAt(remote, 'main', 'consul').keys()].map((file) => path.basename(file)).sort();
    expect(files).toEqual([
      '.consul-k8s-gitops-owner',
      'api.yaml',
      'inventory.configmap.yaml',
      'kustomization.yaml',
      'web.yaml',
    ]);
  });

  it('--consul-datacenter-dns without a value puts the datacenter Consul answered from', async () => {
    const { remote, args } = setup();
    register('web');
    const result = await generate(args('--consul-datacenter-dns', '--consul-domain', 'example.internal'), {
      ...process.env,
      ...consul.env(),
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(git(remote, 'show', 'main:consul/web.yaml')).toContain(
      'externalName: web.service.dc1.example.internal',
    );
  });

  it('Consul 500 or 403 or an ACL-emptied answer never deletes anything (exit 4: catalog incomplete)', async () => {
    const { remote, args } = setup();
    register('web');
    register('api');
    expect((await generate(args(), { ...process.env, ...consul.env() })).code).toBe(0);
    const head = git(remote, 'rev-parse', 'main');

    consul.faults.failNext(1);
    const failed = await generate(args(), { ...process.env, ...consul.env() });
    expect(failed.code).toBe(4);
    expect(failed.stderr).toMatch(/HTTP 500.*nothing is changed/);

    consul.acl.enabled = true;
    consul.acl.defaultPolicy = 'deny';
    const unknownToken = await generate(args(), { ...process.env, ...consul.env('not-a-token') });
    expect(unknownToken.code).toBe(4);
    expect(unknownToken.stderr).toMatch(/HTTP 403/);
    expect(unknownToken.stderr).not.toContain('not-a-token');

    consul.acl.setToken({ secretId: 'no-rights', rules: {} });
    const noRights = await generate(args(), { ...process.env, ...consul.env('no-rights') });
    expect(noRights.code).toBe(4);
    expect(noRights.stderr).toContain('filtered by ACLs');
    expect(git(remote, 'rev-parse', 'main')).toBe(head);
  });

  // Finding 1: a token that lost read rights on some services made a run commit "N removed", exit 0.
  it('a read filtered by ACLs removes nothing, still adds what it sees, names what it kept, exits 4', async () => {
    const { remote, args } = setup();
    for (const name of ['web', 'api', 'billing-a', 'billing-b']) register(name);
    expect((await generate(args(), { ...process.env, ...consul.env() })).code).toBe(0);

    register('orders');
    consul.acl.enabled = true;
    consul.acl.defaultPolicy = 'deny';
    consul.acl.setToken({
      secretId: 'partial',
      rules: { servicePrefix: { '': 'read', billing: 'deny' }, nodePrefix: { '': 'read' } },
    });
    const partial = await generate(args(), { ...process.env, ...consul.env('partial') });
    expect(partial.code).toBe(4);
    expect(partial.stdout).toMatch(/1 added, 0 changed, 0 removed/);
    expect(partial.stderr).toMatch(/X-Consul-Results-Filtered-By-ACLs: true/);
    expect(partial.stderr).toMatch(/kept 2 Service\(s\) as committed: billing-a, billing-b/);
    const files = namesAt(remote, 'main', 'consul').map((file) => path.basename(file));
    expect(files).toEqual(
      expect.arrayContaining(['billing-a.yaml', 'billing-b.yaml', 'orders.yaml', 'web.yaml']),
    );
    expect(git(remote, 'show', 'main:consul/kustomization.yaml')).toContain('billing-a.yaml');
    // The inventory describes the whole catalog: a partial read leaves it as committed.
    expect(git(remote, 'show', 'main:consul/inventory.configmap.yaml')).toMatch(/synced: 4\n/);

    // Once the token can read everything again, a service really gone is removed as usual.
    consul.acl.enabled = false;
    consul.seed.deregister({ Node: 'vm-1', ServiceID: 'billing-b' });
    const full = await generate(args(), { ...process.env, ...consul.env() });
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(/0 added, 0 changed, 1 removed/);
  });

  it('a read without a token from a Consul whose default ACL policy is deny removes nothing, exits 4', async () => {
    // Consul never sets X-Consul-Results-Filtered-By-ACLs on a read without a token
    // (agent/consul/rpc.go, maskResultsFilteredByACLs): an empty answer may hide everything.
    const { remote, args } = setup();
    for (const name of ['web', 'api', 'billing']) register(name);
    expect((await generate(args(), { ...process.env, ...consul.env() })).code).toBe(0);
    const before = namesAt(remote, 'main', 'consul');

    consul.acl.enabled = true;
    consul.acl.defaultPolicy = 'deny';
    const anonymous = await generate(args(), { ...process.env, ...consul.env() });
    expect(anonymous.code).toBe(4);
    expect(anonymous.stderr).toMatch(/without a token .* default ACL policy is deny/);
    expect(namesAt(remote, 'main', 'consul')).toEqual(before);
  });
});

describe('watch mode', () => {
  /**
   * A CatalogWatcher over the Consul double, committing to a fresh bare remote. `nextRun()` resolves
   * after the next run (call it before what triggers the run); `finished` lists every outcome.
   */
  async function watcherOverConsul(options: WatchOptions) {
    const { remote, args } = setup();
    const captured = await parseGenerateFlags(args());
    const env = { ...process.env, ...ISOLATED_GIT_ENV, ...consul.env() };
    const logger = createLogger({ level: 'silent' });
    const { deps, settings } = await buildRun(parseGenerateConfig(captured, env), logger, { env });
    const finished: (RunOutcome | undefined)[] = [];
    let notify: (() => void) | undefined;
    const controller = new AbortController();
    const watcher = new CatalogWatcher(
      {
        source: deps.source,
        run: (signal) => runOnce({ ...deps, signal }, settings),
        logger,
        onRunFinished: (_ok, outcome) => {
          finished.push(outcome);
          notify?.();
        },
      },
      options,
    );
    let loop: Promise<void> | undefined;
    return {
      remote,
      finished,
      nextRun: () => new Promise<void>((resolve) => (notify = resolve)),
      start: () => {
        loop = watcher.run(controller.signal);
      },
      stop: async () => {
        controller.abort();
        await loop;
      },
    };
  }

  it('batches a burst of 20 changes into one commit', async () => {
    register('seed');
    const watch = await watcherOverConsul({ bufferMinMs: 600, bufferMaxMs: 5000 });
    let run = watch.nextRun();
    watch.start();
    await run;
    expect(watch.finished.map((outcome) => outcome?.status)).toEqual(['committed']);
    const commitsBefore = commitCount(watch.remote);

    run = watch.nextRun();
    for (let i = 0; i < 20; i += 1) {
      register(`burst-${String(i).padStart(2, '0')}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await run;
    await watch.stop();
    expect(watch.finished.map((outcome) => outcome?.status)).toEqual(['committed', 'committed']);
    expect(commitCount(watch.remote)).toBe(commitsBefore + 1);
    expect(git(watch.remote, 'log', '-1', '--format=%s', 'main')).toContain(
      '(20 added, 0 changed, 0 removed)',
    );
  });

  it('a replica that loses leadership while buffering a change does not write; it catches up when leading again', async () => {
    register('seed-leader');
    let leader = true;
    const watch = await watcherOverConsul({
      bufferMinMs: 300,
      bufferMaxMs: 2000,
      isLeader: () => leader,
      standbyPollMs: 50,
    });
    let run = watch.nextRun();
    watch.start();
    await run;
    const head = git(watch.remote, 'rev-parse', 'main');

    register('while-demoted');
    leader = false; // the Lease moves while this replica waits out the buffer
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(watch.finished).toHaveLength(1);
    expect(git(watch.remote, 'rev-parse', 'main')).toBe(head);

    run = watch.nextRun();
    leader = true;
    await run;
    await watch.stop();
    expect(git(watch.remote, 'log', '-1', '--format=%s', 'main')).toContain(
      '(1 added, 0 changed, 0 removed)',
    );
  });
});
