import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import type { CoreV1Api, CoreV1Event, V1ObjectReference } from '@kubernetes/client-node';
import { describeKubeError } from './errors';

/**
 * Records core/v1 Events about objects (what `kubectl describe` shows), at most once per
 * (object, type, reason, message) within a window, so a controller that re-reconciles the same
 * broken object every few seconds does not flood the namespace. Recording is best effort: a
 * failure is reported through `onError` and never thrown, and the same event is tried again on
 * the next call.
 */
export type EventType = 'Normal' | 'Warning';

export interface InvolvedObject {
  kind: string;
  apiVersion: string;
  name: string;
  /** Omit for cluster-scoped objects (the Event then goes to `default`). */
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface EventRecorderOptions {
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
}

/** Messages longer than this are cut: Events are for people, and etcd objects are not free. */
export const MAX_EVENT_MESSAGE = 1024;
const MAX_REMEMBERED = 10_000;

/** Pure de-duplication memory: which (key) was recorded when. */
export class EventDeduplicator {
  private readonly seen = new Map<string, number>();

  constructor(private readonly windowMs: number) {}

  /** True when `key` was not recorded within the window; remembers it as recorded at `now`. */
  claim(key: string, now: number): boolean {
    const last = this.seen.get(key);
    if (last !== undefined && now - last < this.windowMs) return false;
    this.seen.delete(key); // re-insert so the Map stays ordered by time
    this.seen.set(key, now);
    this.prune(now);
    return true;
  }

  /** Forgets a claim whose event could not be written, so the next attempt is not suppressed. */
  release(key: string): void {
    this.seen.delete(key);
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(now: number): void {
    for (const [key, at] of this.seen) {
      if (now - at < this.windowMs && this.seen.size <= MAX_REMEMBERED) break;
      this.seen.delete(key);
    }
  }
}

export function eventDedupKey(
  involved: InvolvedObject,
  type: EventType,
  reason: string,
  message: string,
): string {
  const { kind, namespace = '', name, uid = '' } = involved;
  return JSON.stringify([kind, namespace, name, uid, type, reason, message]);
}

/** The Event object to create (pure). */
export function buildEvent(
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

export class EventRecorder {
  private readonly dedup: EventDeduplicator;
  private readonly now: () => number;
  private readonly instance: string;

  constructor(private readonly options: EventRecorderOptions) {
    this.dedup = new EventDeduplicator(options.dedupWindowMs ?? 10 * 60_000);
    this.now = options.now ?? Date.now;
    this.instance = options.instance ?? os.hostname();
  }

  /** Resolves true when an Event was created, false when suppressed as a duplicate or on failure. */
  async record(involved: InvolvedObject, type: EventType, reason: string, message: string): Promise<boolean> {
    const key = eventDedupKey(involved, type, reason, message);
    const now = this.now();
    if (!this.dedup.claim(key, now)) return false;
    const event = buildEvent(
      involved,
      type,
      reason,
      message,
      { component: this.options.component, instance: this.instance },
      new Date(now),
    );
    try {
      await this.options.core.createNamespacedEvent({
        namespace: event.metadata.namespace ?? 'default',
        body: event,
      });
      return true;
    } catch (error) {
      this.dedup.release(key);
      this.options.onError?.(error, describeKubeError(error));
      return false;
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
