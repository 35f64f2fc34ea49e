import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { KubeDouble } from '../../test/support/kube';
import { LeaderElector } from './leader';

let double: KubeDouble;
let coordination: CoordinationV1Api;

beforeAll(async () => {
  double = await KubeDouble.start();
  coordination = double.kubeConfig().makeApiClient(CoordinationV1Api);
});
afterAll(() => double.close());

let leaseCounter = 0;
function pair(clock: { now: number }) {
  const name = `lease-${++leaseCounter}`;
  const log: string[] = [];
  const make = (identity: string) =>
    new LeaderElector({
      coordination,
      namespace: 'default',
      name,
      identity,
      leaseDurationSeconds: 15,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      now: () => clock.now,
      onStartedLeading: () => log.push(`${identity} started`),
      onStoppedLeading: () => log.push(`${identity} stopped`),
      onError: (_e, description) => log.push(`${identity} error: ${description}`),
    });
  return { name, log, a: make('a'), b: make('b') };
}

const lease = (name: string): V1Lease | undefined => double.get<V1Lease>('leases', 'default', name);

test('the first replica creates the Lease and leads; the other waits', async () => {
  const clock = { now: Date.parse('2026-05-01T00:00:00Z') };
  const { name, log, a, b } = pair(clock);
  expect(await a.tryAcquireOrRenew()).toBe(true);
  expect(await b.tryAcquireOrRenew()).toBe(false);
  expect(a.isLeader()).toBe(true);
  expect(b.isLeader()).toBe(false);
  expect(b.holder()).toBe('a');
  expect(lease(name)?.spec).toMatchObject({
    holderIdentity: 'a',
    leaseDurationSeconds: 15,
    leaseTransitions: 0,
    renewTime: '2026-05-01T00:00:00.000000Z',
    acquireTime: '2026-05-01T00:00:00.000000Z',
  });
  clock.now += 2_000;
  expect(await a.tryAcquireOrRenew()).toBe(true);
  expect(lease(name)?.spec?.renewTime).toBe('2026-05-01T00:00:02.000000Z');
  expect(log).toEqual(['a started']);
});

test('release on stop: holder cleared, the standby takes over at once', async () => {
  const clock = { now: Date.parse('2026-05-01T00:00:00Z') };
  const { name, log, a, b } = pair(clock);
  await a.tryAcquireOrRenew();
  await b.tryAcquireOrRenew();
  await a.stop();
  expect(lease(name)?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  expect(await b.tryAcquireOrRenew()).toBe(true);
  expect(lease(name)?.spec).toMatchObject({
    holderIdentity: 'b',
    leaseTransitions: 1,
    leaseDurationSeconds: 15,
  });
  expect(log).toEqual(['a started', 'a stopped', 'b started']);
});

test('a leader that stops renewing loses the Lease after the lease duration, and notices', async () => {
  const clock = { now: Date.parse('2026-05-01T00:00:00Z') };
  const { name, log, a, b } = pair(clock);
  await a.tryAcquireOrRenew();
  expect(await b.tryAcquireOrRenew()).toBe(false);
  clock.now += 14_000;
  expect(await b.tryAcquireOrRenew()).toBe(false); // not yet expired
  clock.now += 2_000;
  expect(await b.tryAcquireOrRenew()).toBe(true);
  expect(a.isLeader()).toBe(false); // past its renew deadline even before its next round
  expect(await a.tryAcquireOrRenew()).toBe(false);
  expect(lease(name)?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  expect(log).toEqual(['a started', 'b started', 'a stopped']);
});

test('concurrent contenders: exactly one wins the create, and exactly one the takeover (409s)', async () => {
  const clock = { now: Date.parse('2026-05-01T00:00:00Z') };
  const { a, b, log } = pair(clock);
  const first = await Promise.all([a.tryAcquireOrRenew(), b.tryAcquireOrRenew()]);
  expect(first.filter(Boolean)).toHaveLength(1);
  expect(log.filter((l) => l.includes('error'))).toEqual([]);
  const leader = first[0] ? a : b;
  await leader.stop();
  const second = await Promise.all([a.tryAcquireOrRenew(), b.tryAcquireOrRenew()]);
  expect(second.filter(Boolean)).toHaveLength(1);
});

test('API failures: reported; the leader steps down once past the renew deadline', async () => {
  const clock = { now: Date.parse('2026-05-01T00:00:00Z') };
  const { a, log } = pair(clock);
  await a.tryAcquireOrRenew();
  double.failNext(2, { status: 500, match: (r) => r.resource === 'leases' });
  clock.now += 2_000;
  expect(await a.tryAcquireOrRenew()).toBe(true); // failed, but within the deadline
  clock.now += 9_000;
  expect(await a.tryAcquireOrRenew()).toBe(false);
  expect(log).toEqual([
    'a started',
    expect.stringMatching(/^a error: lease default\/lease-\d+: HTTP 500 InternalError/),
    expect.stringMatching(/^a error: lease default\/lease-\d+: HTTP 500 InternalError/),
    'a stopped',
  ]);
});

test('start() runs the loop until stop(), which releases the Lease', async () => {
  let elected: () => void = () => undefined;
  const leading = new Promise<void>((resolve) => (elected = resolve));
  const elector = new LeaderElector({
    coordination,
    namespace: 'default',
    name: 'looping',
    identity: 'solo',
    leaseDurationSeconds: 1,
    renewDeadlineMs: 500,
    retryPeriodMs: 50,
    onStartedLeading: () => elected(),
  });
  elector.start();
  await leading;
  expect(elector.isLeader()).toBe(true);
  await elector.stop();
  expect(elector.isLeader()).toBe(false);
  expect(lease('looping')?.spec?.holderIdentity).toBe('');
});

test('settings are checked', () => {
  const base = { coordination, namespace: 'default', name: 'x', identity: 'i' };
  expect(() => new LeaderElector({ ...base, leaseDurationSeconds: 0 })).toThrow('leaseDurationSeconds');
  expect(() => new LeaderElector({ ...base, leaseDurationSeconds: 5, renewDeadlineMs: 5_000 })).toThrow(
    'renewDeadlineMs',
  );
  expect(() => new LeaderElector({ ...base, retryPeriodMs: 20_000 })).toThrow('retryPeriodMs');
});

test('finding 7: a wall-clock jump neither lets a standby steal a live Lease nor extends the leader', async () => {
  // client-go judges expiry by when it observed the record change, on a monotonic clock.
  let wall = Date.parse('2026-05-01T00:00:00Z');
  const spy = jest.spyOn(Date, 'now').mockImplementation(() => wall);
  try {
    const name = `lease-${++leaseCounter}`;
    const make = (identity: string) =>
      new LeaderElector({
        coordination,
        namespace: 'default',
        name,
        identity,
        leaseDurationSeconds: 15,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
      });
    const a = make('a');
    const b = make('b');
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    wall += 3_600_000; // NTP step / VM resume: one hour on the wall clock, milliseconds really
    expect(await b.tryAcquireOrRenew()).toBe(false);
    expect(b.isLeader()).toBe(false);
    expect(a.isLeader()).toBe(true);
    // What is left of our lease counts from before the last renewal, on the monotonic clock.
    const left = a.leaseRemainingMs();
    expect(left).toBeGreaterThan(13_000);
    expect(left).toBeLessThanOrEqual(15_000);
    expect(b.leaseRemainingMs()).toBe(0);
  } finally {
    spy.mockRestore();
  }
});
