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
import * as os from 'node:os';
import { type CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describeKubeError, isNotFound } from './errors';
import { EventDeduplicator, type EventClaim, type WrittenEvent } from './event-dedup';
import { SpamFilter, TokenBucket } from './event-rate-limit';
import {
  buildEvent,
  eventDedupKey,
  involvedObjectKey,
  type EventType,
  type InvolvedObject,
} from './event-object';

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
    if (!this.spam.allow(involvedObjectKey(involved), now)) {
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
