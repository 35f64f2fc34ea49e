import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { KubeDouble } from '../../test/support/kube';
import { EventDeduplicator } from './event-dedup';
import { MAX_EVENT_MESSAGE, type InvolvedObject } from './event-object';
import { EventRecorder } from './event-recorder';

let double: KubeDouble;
let core: CoreV1Api;

beforeAll(async () => {
  double = await KubeDouble.start();
  core = double.kubeConfig().makeApiClient(CoreV1Api);
});
afterAll(() => double.close());

const web: InvolvedObject = { kind: 'Service', apiVersion: 'v1', namespace: 'shop', name: 'web', uid: 'u-1' };
const eventsAbout = (name: string): CoreV1Event[] =>
  double.list<CoreV1Event>('events').filter((e) => e.involvedObject.name === name);

function recorder(clock: { now: number }, errors: string[] = []): EventRecorder {
  return new EventRecorder({
    core,
    component: 'test-registrar',
    instance: 'pod-1',
    dedupWindowMs: 60_000,
    now: () => clock.now,
    onError: (_error, description) => errors.push(description),
  });
}

describe('EventRecorder', () => {
  beforeAll(() => {
    double.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  });

  test("creates a core/v1 Event in the object's namespace", async () => {
    const clock = { now: Date.parse('2026-03-01T10:00:00Z') };
    expect(await recorder(clock).warning(web, 'InvalidAnnotation', 'service-port: "x" names no port')).toBe(
      true,
    );
    const [event] = eventsAbout('web');
    expect(event).toMatchObject({
      metadata: { namespace: 'shop' },
      involvedObject: { kind: 'Service', apiVersion: 'v1', namespace: 'shop', name: 'web', uid: 'u-1' },
      type: 'Warning',
      reason: 'InvalidAnnotation',
      message: 'service-port: "x" names no port',
      count: 1,
      source: { component: 'test-registrar', host: 'pod-1' },
      reportingComponent: 'test-registrar',
      reportingInstance: 'pod-1',
    });
    expect(event?.metadata.name).toMatch(/^web\.[0-9a-f]+$/);
  });

  test('the same object, reason and message within the window: no new Event', async () => {
    const clock = { now: Date.parse('2026-03-01T10:00:00Z') };
    const events = recorder(clock);
    const api: InvolvedObject = { ...web, name: 'api', uid: 'u-2' };
    expect(await events.warning(api, 'InvalidAnnotation', 'bad')).toBe(true);
    clock.now += 59_000;
    expect(await events.warning(api, 'InvalidAnnotation', 'bad')).toBe(false);
    expect(await events.warning(api, 'InvalidAnnotation', 'worse')).toBe(true); // another message
    expect(await events.normal(api, 'InvalidAnnotation', 'bad')).toBe(true); // another type
    expect(eventsAbout('api')).toHaveLength(3);
  });

  test('a repeat after the window patches the Event it wrote (count, lastTimestamp)', async () => {
    const clock = { now: Date.parse('2026-03-01T10:00:00Z') };
    const events = recorder(clock);
    const cart: InvolvedObject = { ...web, name: 'cart', uid: 'u-4' };
    expect(await events.warning(cart, 'InvalidAnnotation', 'bad')).toBe(true);
    clock.now += 61_000;
    expect(await events.warning(cart, 'InvalidAnnotation', 'bad')).toBe(true);
    clock.now += 61_000;
    expect(await events.warning(cart, 'InvalidAnnotation', 'bad')).toBe(true);
    const [event, ...others] = eventsAbout('cart');
    expect(others).toEqual([]);
    expect(event?.count).toBe(3);
    expect(new Date(event!.lastTimestamp!).toISOString()).toBe('2026-03-01T10:02:02.000Z');
    expect(new Date(event!.firstTimestamp!).toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(double.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/events/'))).toHaveLength(
      2,
    );
  });

  test('a repeat whose Event expired meanwhile creates a new one', async () => {
    const clock = { now: Date.parse('2026-03-01T10:00:00Z') };
    const events = recorder(clock);
    const pay: InvolvedObject = { ...web, name: 'pay', uid: 'u-5' };
    expect(await events.warning(pay, 'InvalidAnnotation', 'bad')).toBe(true);
    const [first] = eventsAbout('pay');
    double.delete('events', 'shop', first!.metadata.name!);
    clock.now += 61_000;
    expect(await events.warning(pay, 'InvalidAnnotation', 'bad')).toBe(true);
    const [second, ...others] = eventsAbout('pay');
    expect(others).toEqual([]);
    expect(second?.metadata.name).not.toBe(first!.metadata.name);
    expect(second?.count).toBe(1);
  });

  test('cluster-scoped objects get their Events in default; long messages are cut', async () => {
    const clock = { now: Date.parse('2026-03-01T10:00:00Z') };
    await recorder(clock).warning(
      { kind: 'Node', apiVersion: 'v1', name: 'node-1' },
      'Odd',
      'x'.repeat(5000),
    );
    const [event] = eventsAbout('node-1');
    expect(event?.metadata.namespace).toBe('default');
    expect(event?.message).toHaveLength(MAX_EVENT_MESSAGE);
  });

  test('a failed write is reported, not thrown, and not remembered as recorded', async () => {
    const clock = { now: Date.parse('2026-03-01T10:00:00Z') };
    const errors: string[] = [];
    const events = recorder(clock, errors);
    const db: InvolvedObject = { ...web, name: 'db', uid: 'u-3' };
    double.failNext(1, { status: 500 });
    expect(await events.warning(db, 'InvalidAnnotation', 'bad')).toBe(false);
    expect(errors).toEqual([
      'HTTP 500 InternalError: Internal error occurred: injected failure (kube double)',
    ]);
    expect(await events.warning(db, 'InvalidAnnotation', 'bad')).toBe(true);
    expect(eventsAbout('db')).toHaveLength(1);
  });
});

describe('EventDeduplicator', () => {
  test('suppresses within the window, then patches what was written', () => {
    const dedup = new EventDeduplicator(1000);
    expect(dedup.claim('k', 0)).toEqual({ action: 'create' });
    dedup.wrote('k', { name: 'web.1', namespace: 'shop', count: 1 });
    expect(dedup.claim('k', 999)).toEqual({ action: 'suppress' });
    expect(dedup.claim('k', 1000)).toEqual({
      action: 'patch',
      written: { name: 'web.1', namespace: 'shop', count: 1 },
    });
  });

  test('forgets entries older than the window', () => {
    const dedup = new EventDeduplicator(1000);
    for (let i = 0; i < 100; i++) dedup.claim(`k${i}`, 0);
    dedup.claim('fresh', 5000);
    expect(dedup.size).toBe(1);
    expect(dedup.claim('k1', 5000)).toEqual({ action: 'create' });
  });
});

describe('finding 6: rate-limited like client-go (per-object spam filter, overall rate, few in flight)', () => {
  test('400 objects at once: a burst then 5 per second, never more than 2 requests in flight', async () => {
    double.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'burst' } });
    const counting = double.kubeConfig().makeApiClient(CoreV1Api);
    let inFlight = 0;
    let maxInFlight = 0;
    let posts = 0;
    const create = counting.createNamespacedEvent.bind(counting);
    counting.createNamespacedEvent = async (...args: Parameters<typeof create>) => {
      inFlight++;
      posts++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await create(...args);
      } finally {
        inFlight--;
      }
    };
    const events = new EventRecorder({ core: counting, component: 'test-registrar', instance: 'pod-1' });
    for (let i = 0; i < 400; i++) {
      void events.warning(
        { kind: 'Service', apiVersion: 'v1', namespace: 'burst', name: `svc-${i}` },
        'Bad',
        'x',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // client-go: burst 10, then 5 per second; before: all 400 within 1.1 s, ~70 in flight.
    expect(posts).toBeLessThanOrEqual(17);
    expect(posts).toBeGreaterThanOrEqual(10);
    expect(maxInFlight).toBeLessThanOrEqual(2);
    expect(events.pending).toBeGreaterThan(300);
  });

  test('one object: at most 25 events, then held back (spam filter)', async () => {
    const clock = { now: Date.parse('2026-03-01T10:00:00Z') };
    const events = new EventRecorder({
      core,
      component: 'test-registrar',
      now: () => clock.now,
      qps: 1000,
      burst: 1000,
    });
    const spammy: InvolvedObject = { kind: 'Service', apiVersion: 'v1', namespace: 'shop', name: 'spammy' };
    const results: boolean[] = [];
    for (let i = 0; i < 30; i++) results.push(await events.warning(spammy, 'Bad', `message ${i}`));
    expect(results.filter(Boolean)).toHaveLength(25);
    expect(eventsAbout('spammy')).toHaveLength(25);
    clock.now += 300_000; // one token back after 5 minutes
    expect(await events.warning(spammy, 'Bad', 'later')).toBe(true);
  });
});
