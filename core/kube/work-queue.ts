/**
 * A work queue in controller-runtime's shape, batched: events only add keys ("look again"); one
 * worker pass at a time takes every dirty key, plus a request for a full pass (reconcile
 * everything), after a quiet time that merges a burst into one pass. A pass that fails is retried
 * with exponential backoff, its keys put back and (when it asks) as a full pass. The worker
 * decides what to do with a batch; timing, batching and retries live here.
 */
import { Backoff, type BackoffOptions } from './backoff';

/** What one pass works on. */
export interface Batch<K> {
  keys: readonly K[];
  /** Reconcile everything, not only `keys`. */
  full: boolean;
}

/** A pass either finished (nothing to retry) or failed and wants to run again after a backoff. */
export type PassResult = { done: true } | { done: false; error: unknown; retryFull: boolean };

interface WorkQueueOptions<K> {
  /** Quiet time after an added key before the pass starts (ms). */
  debounceMs: number;
  /** Delays between failed passes. */
  backoff?: BackoffOptions;
  /** Told about every failed pass and the delay before its retry (for the log). */
  onRetry?: (error: unknown, delayMs: number, batch: Batch<K>) => void;
}

export class BatchWorkQueue<K> {
  private readonly dirty = new Set<K>();
  private readonly backoff: Backoff;
  private readonly idleWaiters: Array<() => void> = [];
  private full = false;
  private started = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly worker: (batch: Batch<K>) => Promise<PassResult>,
    private readonly options: WorkQueueOptions<K>,
  ) {
    this.backoff = new Backoff(options.backoff);
  }

  /** Passes run only after start (the caches behind the worker are synced then). */
  start(): void {
    if (this.stopped) return;
    this.started = true;
    this.schedule(0);
  }

  /** No new pass starts; resolves once the pass in flight is over. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** The key needs a look, after the quiet time. */
  add(key: K): void {
    this.dirty.add(key);
    this.schedule(this.options.debounceMs);
  }

  /** Everything needs a look, at once. */
  addFull(): void {
    this.full = true;
    this.schedule(0);
  }

  /** Resolves when nothing is pending, scheduled or running. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.started && !this.running && this.dirty.size === 0 && !this.full && this.timer === undefined;
  }

  private schedule(delayMs: number): void {
    if (this.stopped || !this.started || this.running || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Assigned before the worker runs: an add from inside the worker must not start a second pass.
      let settle!: () => void;
      this.running = new Promise<void>((resolve) => (settle = resolve));
      void this.pass().finally(() => {
        settle();
        this.running = undefined;
        if (this.dirty.size > 0 || this.full) this.schedule(this.options.debounceMs);
        else this.notifyIdle();
      });
    }, delayMs);
  }

  private async pass(): Promise<void> {
    const batch: Batch<K> = { keys: [...this.dirty], full: this.full };
    this.dirty.clear();
    this.full = false;
    let result: PassResult;
    try {
      result = await this.worker(batch);
    } catch (error) {
      result = { done: false, error, retryFull: batch.full };
    }
    if (result.done) {
      this.backoff.reset();
      return;
    }
    for (const key of batch.keys) this.dirty.add(key);
    this.full ||= result.retryFull;
    const delayMs = this.backoff.next();
    this.options.onRetry?.(result.error, delayMs, batch);
    if (this.stopped) return;
    // The retry waits for the backoff; adds in the meantime do not cut it short.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule(0);
    }, delayMs);
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
