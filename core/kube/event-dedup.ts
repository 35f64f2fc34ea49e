/**
 * Event aggregation memory (pure): which event was recorded when, and as which Event object, so
 * a repeat within the window is suppressed and a repeat after it patches the Event already
 * written (`count` + 1) instead of adding another, as client-go's recorder aggregates.
 */

/** Keys each of the recorder's memories keeps at most (de-duplication entries, spam buckets). */
export const MAX_REMEMBERED = 10_000;

/** An Event this recorder wrote, to aggregate repeats into. */
export interface WrittenEvent {
  name: string;
  namespace: string;
  count: number;
}

/** What to do with an event: write it anew, patch the one already written, or nothing. */
export type EventClaim =
  { action: 'create' } | { action: 'patch'; written: WrittenEvent } | { action: 'suppress' };

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
