/**
 * A push that lost the race: the remote branch moved between our fetch and our push. Telling that
 * rejection from other push failures (in every way git and receive-pack word it), and running the
 * whole attempt (fetch, re-render, commit, push) again after a jittered backoff until it lands or
 * the attempts run out. Any other failure ends the run at once.
 */
import { retryWithBackoff } from '../../core/kube/backoff';
import { GitCommandError } from './process';

/** The remote refused a push because its branch moved (non-fast-forward). Retry from a fetch. */
export class PushRejectedError extends GitCommandError {
  constructor(branch: string) {
    super(`push to ${branch} rejected: the remote branch moved (non-fast-forward)`);
    this.name = 'PushRejectedError';
  }
}

/**
 * Whether git's push output says the remote ref moved under us, in any of the ways git and
 * receive-pack word it: a client-side non-fast-forward (`[rejected] ... (fetch first)`), a lease
 * that no longer holds (`stale info`), or a server-side lost race — `[remote rejected] ... (failed
 * to update ref)` / `(failed to lock)` — reported as `cannot lock ref '<ref>': is at X but
 * expected Y` or `incorrect old value provided` on a line of its own (refs/files-backend.c).
 */
export function isMovedRefRejection(output: string): boolean {
  return [
    /\[rejected\]/i,
    /non-fast-forward/i,
    /\(fetch first\)/i,
    /stale info/i,
    /\[remote rejected\][^\n]*\((failed to update ref|failed to lock|incorrect old value)/i,
    /cannot lock ref '[^'\n]*': is at [0-9a-f]+ but expected [0-9a-f]+/i,
    /cannot lock ref '[^'\n]*': reference already exists/i,
    /incorrect old value provided/i,
  ].some((pattern) => pattern.test(output));
}

export interface PushRetryOptions {
  /** Total attempts (the first one included). */
  maxAttempts: number;
  backoff: { initialMs: number; maxMs: number };
  /** Called before each wait: the attempt that was rejected and the delay before the next. */
  onRetry?: (attempt: number, delayMs: number) => void;
  /** Aborting ends the wait and rethrows the rejection. */
  signal?: AbortSignal;
}

/**
 * Runs `attempt(1)`, `attempt(2)`, ... while it fails with PushRejectedError, at most
 * `maxAttempts` times; resolves with the first result, rethrows any other error at once.
 */
export function retryRejectedPush<T>(
  attempt: (number: number) => Promise<T>,
  options: PushRetryOptions,
): Promise<T> {
  let number = 0;
  return retryWithBackoff(() => attempt((number += 1)), {
    initialMs: options.backoff.initialMs,
    maxMs: options.backoff.maxMs,
    maxAttempts: options.maxAttempts,
    retryable: (error) => error instanceof PushRejectedError,
    onRetry: (_error, rejected, delayMs) => options.onRetry?.(rejected, delayMs),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
