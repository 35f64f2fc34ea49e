/**
 * The recorder's write limits on an injected clock (pure), as client-go's: a token bucket, and
 * the spam filter that gives each involved object its own bucket with bounded memory.
 */
import { MAX_REMEMBERED } from './event-dedup';

/** A token bucket on an injected clock (pure). */
export class TokenBucket {
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
export class SpamFilter {
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
