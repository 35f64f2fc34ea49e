import { GitCommandError } from './process';
import { PushRejectedError, retryRejectedPush } from './push-retry';

const fast = { maxAttempts: 3, backoff: { initialMs: 1, maxMs: 1 } };

describe('retryRejectedPush', () => {
  it('runs the attempt again after a rejected push, numbering attempts, and reports each retry', async () => {
    const seen: number[] = [];
    const retries: number[] = [];
    const result = await retryRejectedPush(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new PushRejectedError('main');
        return 'pushed';
      },
      { ...fast, onRetry: (attempt) => retries.push(attempt) },
    );
    expect(result).toBe('pushed');
    expect(seen).toEqual([1, 2, 3]);
    expect(retries).toEqual([1, 2]);
  });

  it('gives up after maxAttempts, rethrowing the rejection', async () => {
    let attempts = 0;
    const always = (): Promise<never> => {
      attempts += 1;
      return Promise.reject(new PushRejectedError('main'));
    };
    await expect(retryRejectedPush(always, fast)).rejects.toBeInstanceOf(PushRejectedError);
    expect(attempts).toBe(3);
  });

  it('rethrows any other failure at once', async () => {
    let attempts = 0;
    const failing = (): Promise<never> => {
      attempts += 1;
      return Promise.reject(new GitCommandError('git push failed: no route'));
    };
    await expect(retryRejectedPush(failing, fast)).rejects.toThrow('no route');
    expect(attempts).toBe(1);
  });
});
