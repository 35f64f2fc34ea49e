/**
 * The one polling helper of the tests: `eventually` retries a check until it passes or a deadline
 * is reached, then fails with the check's last error.
 */

/** A check passes when it neither throws nor returns `false` (an `expect(...)` returns nothing). */
type Check = () => boolean | void | Promise<boolean | void>;

/** Polls `check` until it stops throwing and does not return false, or fails with its last error. */
export async function eventually(
  check: Check,
  {
    timeoutMs = 5000,
    intervalMs = 20,
    what = 'condition',
  }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = new Error(`${what} never became true`);
  for (;;) {
    try {
      if ((await check()) !== false) return;
      lastError = new Error(`${what} is still false`);
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
