/**
 * Exponential backoff with full jitter (the AWS "full jitter" scheme): the n-th delay is a random
 * value in [0, min(maxMs, initialMs * factor^n)]. Jitter keeps many replicas that failed together
 * from retrying together. Event-driven callers (an informer's `error` event) call `next()` for the
 * delay and `reset()` after a success; promise-shaped retries can use `retryWithBackoff`.
 */
export interface BackoffOptions {
  /** Upper bound of the first delay (ms). Default 200. */
  initialMs?: number;
  /** Cap of any delay (ms). Default 30 000. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Source of randomness in [0, 1); injectable for deterministic tests. */
  random?: () => number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = positive(options.initialMs ?? 200, 'initialMs');
    this.maxMs = positive(options.maxMs ?? 30_000, 'maxMs');
    this.factor = options.factor ?? 2;
    if (!(this.factor >= 1)) throw new RangeError(`backoff factor must be >= 1, got ${this.factor}`);
    this.random = options.random ?? Math.random;
  }

  /** Number of delays handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The ceiling the next delay is drawn below (exposed for logs and tests). */
  ceilingMs(): number {
    return Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
  }

  /** The delay before the next retry; each call grows the ceiling until maxMs. */
  next(): number {
    const ceiling = this.ceilingMs();
    this.attempt += 1;
    return Math.floor(this.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }
}

export interface RetryOptions extends BackoffOptions {
  /** Give up after this many failed attempts (the last error is rethrown). Default: unbounded. */
  maxAttempts?: number;
  /** Return false to stop retrying (e.g. a 4xx that will not heal). Default: always retry. */
  retryable?: (error: unknown) => boolean;
  /** Called before each wait, for logs and metrics. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Aborting stops the loop: the pending wait ends and the last error is rethrown. */
  signal?: AbortSignal;
}

/** Runs `fn` until it resolves, waiting a jittered, growing delay between failures. */
export async function retryWithBackoff<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const backoff = new Backoff(options);
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      const attempt = backoff.attempts + 1;
      const exhausted = options.maxAttempts !== undefined && attempt >= options.maxAttempts;
      if (exhausted || options.signal?.aborted || (options.retryable && !options.retryable(error)))
        throw error;
      const delayMs = backoff.next();
      options.onRetry?.(error, attempt, delayMs);
      if (!(await sleep(delayMs, options.signal))) throw error;
    }
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function positive(value: number, field: string): number {
  if (!(value > 0) || !Number.isFinite(value))
    throw new RangeError(`backoff ${field} must be a positive number, got ${value}`);
  return value;
}
