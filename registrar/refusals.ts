/**
 * Services whose writes Consul refuses (a missing ACL permission, an invalid registration), each
 * on its own retry delay that grows from seconds to minutes, so a refused Service neither holds
 * back the others nor is retried in a tight loop. Pure: the clock is a parameter.
 */
import type { RefusalCause } from './apply';

export interface RefusalRetry {
  /** First retry delay (ms). Default 1 s. */
  initialMs?: number;
  /** Longest retry delay (ms). Default 5 minutes. */
  maxMs?: number;
  /** Source of randomness in [0, 1), for the jitter. */
  random?: () => number;
}

interface Refusal {
  cause: RefusalCause;
  reason: string;
  /** Consecutive refusals. */
  attempts: number;
  /** When the next retry may run (ms on the tracker's clock). */
  retryAt: number;
  /** False once the retry was handed out (the key is retried with the next pass). */
  scheduled: boolean;
}

const DEFAULT_REFUSAL_RETRY = { initialMs: 1000, maxMs: 5 * 60_000 } as const;

export class RefusalTracker {
  private readonly byKey = new Map<string, Refusal>();
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(
    options: RefusalRetry = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.initialMs = options.initialMs ?? DEFAULT_REFUSAL_RETRY.initialMs;
    this.maxMs = options.maxMs ?? DEFAULT_REFUSAL_RETRY.maxMs;
    this.random = options.random ?? Math.random;
  }

  /** Records a refusal of `key`; returns its retry delay (half fixed, half jitter, doubling). */
  refuse(key: string, cause: RefusalCause, reason: string): { delayMs: number; refusal: Refusal } {
    const previous = this.byKey.get(key);
    const attempts = (previous?.attempts ?? 0) + 1;
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** (attempts - 1));
    const delayMs = Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
    const refusal: Refusal = { cause, reason, attempts, retryAt: this.now() + delayMs, scheduled: true };
    this.byKey.set(key, refusal);
    return { delayMs, refusal };
  }

  /** True while `key` waits for its retry: its writes are left out of passes until then. */
  held(key: string): boolean {
    const refusal = this.byKey.get(key);
    return refusal !== undefined && refusal.scheduled && this.now() < refusal.retryAt;
  }

  get(key: string): Refusal | undefined {
    return this.byKey.get(key);
  }

  /** Forgets `key` (written successfully, changed by its owner, or gone). */
  clear(key: string): boolean {
    return this.byKey.delete(key);
  }

  /** Keys whose retry is due, handed out once each (the caller retries them). */
  takeDue(): string[] {
    const now = this.now();
    const due: string[] = [];
    for (const [key, refusal] of this.byKey) {
      if (refusal.scheduled && refusal.retryAt <= now) {
        refusal.scheduled = false;
        due.push(key);
      }
    }
    return due;
  }

  /** Milliseconds until the next scheduled retry, or undefined when none is scheduled. */
  nextRetryInMs(): number | undefined {
    let next: number | undefined;
    for (const refusal of this.byKey.values()) {
      if (refusal.scheduled && (next === undefined || refusal.retryAt < next)) next = refusal.retryAt;
    }
    return next === undefined ? undefined : Math.max(0, next - this.now());
  }

  count(cause: RefusalCause): number {
    let count = 0;
    for (const refusal of this.byKey.values()) if (refusal.cause === cause) count++;
    return count;
  }

  get size(): number {
    return this.byKey.size;
  }
}
