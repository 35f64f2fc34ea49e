import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import {
  type CoreV1Api,
  type CoreV1Event,
  PatchStrategy,
  setHeaderOptions,
  type V1ObjectReference,
} from '@kubernetes/client-node';
import { describeKubeError, isNotFound } from './errors';

/**
 * Records core/v1 Events about objects (what `kubectl describe` shows), at most once per
 * (object, type, reason, message) within a window, so a controller that re-reconciles the same
 * broken object every few seconds does not flood the namespace. When the same event recurs after
 * the window, the Event already written is patched (`count` + 1, `lastTimestamp`), as client-go's
 * recorder aggregates, instead of adding another object. Recording is best effort: a failure is
 * reported through `onError` and never thrown, and the same event is tried again on the next call.
 * Like client-go's recorder, writes are rate limited: a spam filter per object (burst 25, then one
 * per 5 minutes), a rate over all objects (5 per second, burst 10), at most 2 requests in flight,
 * and a bounded queue (1000) beyond which events are dropped.
 */
type EventType = 'Normal' | 'Warning';

export interface InvolvedObject {
  kind: string;
  apiVersion: string;
  name: string;
  /** Omit for cluster-scoped objects (the Event then goes to `default`). */
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

interface EventRecorderOptions {
  core: CoreV1Api;
  /** Reporting component, e.g. `consul-k8s-gitops-registrar`. */
  component: string;
  /** Reporting instance; defaults to the host name (the Pod name in a cluster). */
  instance?: string;
  /** Identical events within this window are not recorded again. Default 10 minutes. */
  dedupWindowMs?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
  onError?: (error: unknown, description: string) => void;
  /** Event writes in flight at once (default 2; client-go's broadcaster writes one at a time). */
  maxInFlight?: number;
  /** Event writes per second over all objects, and the burst (default 5 and 10: client-go's client QPS). */
  qps?: number;
  burst?: number;
  /** Events per object before its spam filter holds them back (default 25), and its refill (1 per 5 min). */
  perObjectBurst?: number;
  perObjectRefillMs?: number;
  /** Writes waiting at most (default 1000, as client-go's queue); beyond, events are dropped. */
  maxQueued?: number;
}

/** Messages longer than this are cut: Events are for people, and etcd objects are not free. */
export const MAX_EVENT_MESSAGE = 1024;
const MAX_REMEMBERED = 10_000;

/** An Event this recorder wrote, to aggregate repeats into. */
interface WrittenEvent {
  name: string;
  namespace: string;
  count: number;
}

/** What to do with an event: write it anew, patch the one already written, or nothing. */
type EventClaim = { action: 'create' } | { action: 'patch'; written: WrittenEvent } | { action: 'suppress' };

/** Pure de-duplication memory: which key was recorded when, and as which Event. */
export class EventDeduplicator {
  private readonly seen = new Map<string, { at: number; written?: WrittenEvent }>();

  constructor(private readonly windowMs: number) {}

  /** Claims `key` at `now`: suppressed within the window, else patch what was written, else create. */
  claim(key: string, now: number): EventClaim {
    const last = this.seen.get(key);
    if (last !== undefined && now - last.at < this.windowMs) return { action: 'suppress' };
    this.seen.delete(key); // re-insert so the Map stays ordered by time
    this.seen.set(key, { at: now, ...(last?.written ? { written: last.written } : {}) });
    this.prune(now);
    return last?.written ? { action: 'patch', written: last.written } : { action: 'create' };
  }

  /** Remembers the Event written for a claim, so a later repeat patches it. */
  wrote(key: string, written: WrittenEvent): void {
    const entry = this.seen.get(key);
    if (entry) entry.written = written;
  }

  /** Forgets a claim whose event could not be written, so the next attempt is not suppressed. */
  release(key: string): void {
    this.seen.delete(key);
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(now: number): void {
    for (const [key, entry] of this.seen) {
      if (now - entry.at < this.windowMs && this.seen.size <= MAX_REMEMBERED) break;
      this.seen.delete(key);
    }
  }
}

function eventDedupKey(involved: InvolvedObject, type: EventType, reason: string, message: string): string {
  const { kind, namespace = '', name, uid = '' } = involved;
  return JSON.stringify([kind, namespace, name, uid, type, reason, message]);
}

/** The Event object to create (pure). */
function buildEvent(
  involved: InvolvedObject,
  type: EventType,
  reason: string,
  message: string,
  source: { component: string; instance: string },
  now: Date,
): CoreV1Event {
  const namespace = involved.namespace || 'default';
  const involvedObject: V1ObjectReference = {
    kind: involved.kind,
    apiVersion: involved.apiVersion,
    name: involved.name,
  };
  if (involved.namespace) involvedObject.namespace = involved.namespace;
  if (involved.uid) involvedObject.uid = involved.uid;
  if (involved.resourceVersion) involvedObject.resourceVersion = involved.resourceVersion;
  const text = message.length > MAX_EVENT_MESSAGE ? `${message.slice(0, MAX_EVENT_MESSAGE - 3)}...` : message;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    // Same naming as client-go's recorder: object name + a unique hex suffix.
    metadata: { name: `${involved.name}.${uniqueSuffix(now)}`, namespace },
    involvedObject,
    type,
    reason,
    message: text,
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component: source.component, host: source.instance },
    reportingComponent: source.component,
    reportingInstance: source.instance,
  };
}

/** A token bucket on an injected clock (pure). */
class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly burst: number,
    private readonly refillMs: number,
    now: number,
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.updatedAt) / this.refillMs);
    this.updatedAt = now;
  }

  /** Takes a token when one is there. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there (0: now). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) * this.refillMs);
  }

  /** Full again (nothing taken for a whole burst's refill): safe to forget. */
  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }
}

/**
 * client-go's spam filter: a bucket per involved object, so one object that keeps failing cannot
 * fill the namespace with Events; buckets refilled to full are forgotten (memory stays bounded).
 */
class SpamFilter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly burst: number,
    private readonly refillMs: number,
  ) {}

  allow(objectKey: string, now: number): boolean {
    let bucket = this.buckets.get(objectKey);
    if (!bucket) {
      if (this.buckets.size >= MAX_REMEMBERED) {
        for (const [key, old] of this.buckets) if (old.full(now)) this.buckets.delete(key);
      }
      bucket = new TokenBucket(this.burst, this.refillMs, now);
      this.buckets.set(objectKey, bucket);
    }
    return bucket.take(now);
  }
}

export class EventRecorder {
  private readonly dedup: EventDeduplicator;
  private readonly spam: SpamFilter;
  private readonly rate: TokenBucket;
  private readonly queue: Array<() => Promise<void>> = [];
  private inFlight = 0;
  private pumpTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly instance: string;

  constructor(private readonly options: EventRecorderOptions) {
    this.dedup = new EventDeduplicator(options.dedupWindowMs ?? 10 * 60_000);
    this.now = options.now ?? Date.now;
    this.instance = options.instance ?? os.hostname();
    this.spam = new SpamFilter(options.perObjectBurst ?? 25, options.perObjectRefillMs ?? 300_000);
    this.rate = new TokenBucket(options.burst ?? 10, 1000 / (options.qps ?? 5), this.now());
  }

  /** Writes waiting for their turn (for tests and metrics). */
  get pending(): number {
    return this.queue.length;
  }

  /** Runs queued writes while the in-flight limit and the rate allow. */
  private pump(): void {
    const maxInFlight = this.options.maxInFlight ?? 2;
    while (this.queue.length > 0 && this.inFlight < maxInFlight) {
      const waitMs = this.rate.waitMs(this.now());
      if (waitMs > 0) {
        if (!this.pumpTimer) {
          this.pumpTimer = setTimeout(() => {
            this.pumpTimer = undefined;
            this.pump();
          }, waitMs);
          this.pumpTimer.unref();
        }
        return;
      }
      this.rate.take(this.now());
      const task = this.queue.shift()!;
      this.inFlight++;
      void task().finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** Queues a write; resolves with its result. */
  private enqueue(write: () => Promise<boolean>): Promise<boolean> {
    return new Promise((resolve) => {
      this.queue.push(() => write().then(resolve));
      this.pump();
    });
  }

  /** Resolves true when an Event was created or patched, false when suppressed or on failure. */
  async record(involved: InvolvedObject, type: EventType, reason: string, message: string): Promise<boolean> {
    const key = eventDedupKey(involved, type, reason, message);
    const now = this.now();
    const claim = this.dedup.claim(key, now);
    if (claim.action === 'suppress') return false;
    const objectKey = JSON.stringify([
      involved.kind,
      involved.namespace ?? '',
      involved.name,
      involved.uid ?? '',
    ]);
    if (!this.spam.allow(objectKey, now)) {
      this.dedup.release(key);
      return false;
    }
    if (this.queue.length >= (this.options.maxQueued ?? 1000)) {
      this.dedup.release(key);
      this.options.onError?.(undefined, 'too many events queued; this one is dropped');
      return false;
    }
    return this.enqueue(() => this.write(key, claim, involved, type, reason, message));
  }

  private async write(
    key: string,
    claim: EventClaim,
    involved: InvolvedObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<boolean> {
    const now = this.now();
    try {
      if (claim.action === 'patch' && (await this.patchRepeat(claim.written, new Date(now)))) {
        this.dedup.wrote(key, { ...claim.written, count: claim.written.count + 1 });
        return true;
      }
      const event = buildEvent(
        involved,
        type,
        reason,
        message,
        { component: this.options.component, instance: this.instance },
        new Date(now),
      );
      const namespace = event.metadata.namespace ?? 'default';
      await this.options.core.createNamespacedEvent({ namespace, body: event });
      this.dedup.wrote(key, { name: event.metadata.name!, namespace, count: 1 });
      return true;
    } catch (error) {
      this.dedup.release(key);
      this.options.onError?.(error, describeKubeError(error));
      return false;
    }
  }

  /** Bumps the count of an Event written earlier; false when it is gone (expired), to create anew. */
  private async patchRepeat(written: WrittenEvent, now: Date): Promise<boolean> {
    try {
      await this.options.core.patchNamespacedEvent(
        {
          name: written.name,
          namespace: written.namespace,
          body: { count: written.count + 1, lastTimestamp: now },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  warning(involved: InvolvedObject, reason: string, message: string): Promise<boolean> {
    return this.record(involved, 'Warning', reason, message);
  }

  normal(involved: InvolvedObject, reason: string, message: string): Promise<boolean> {
    return this.record(involved, 'Normal', reason, message);
  }
}

function uniqueSuffix(now: Date): string {
  return now.getTime().toString(16) + randomBytes(3).toString('hex');
}
