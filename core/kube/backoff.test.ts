import { Backoff, retryWithBackoff } from './backoff';

describe('Backoff', () => {
  test('ceilings double from initialMs up to maxMs; delays are drawn below the ceiling', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.5 });
    const delays = Array.from({ length: 6 }, () => backoff.next());
    expect(delays).toEqual([50, 100, 200, 400, 500, 500]);
    expect(backoff.attempts).toBe(6);
  });

  test('full jitter: the delay spans [0, ceiling)', () => {
    expect(new Backoff({ initialMs: 100, random: () => 0 }).next()).toBe(0);
    expect(new Backoff({ initialMs: 100, random: () => 0.999 }).next()).toBe(99);
  });

  test('reset starts over', () => {
    const backoff = new Backoff({ initialMs: 10, random: () => 0.5 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.ceilingMs()).toBe(10);
  });

  test('bad settings name the field', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow('initialMs');
    expect(() => new Backoff({ maxMs: -1 })).toThrow('maxMs');
    expect(() => new Backoff({ factor: 0.5 })).toThrow('factor');
  });
});

describe('retryWithBackoff', () => {
  test('retries until success and reports each retry', async () => {
    let calls = 0;
    const retries: number[] = [];
    const result = await retryWithBackoff(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error(`fail ${calls}`);
        return 'ok';
      },
      { initialMs: 1, onRetry: (_e, attempt) => retries.push(attempt) },
    );
    expect(result).toBe('ok');
    expect(retries).toEqual([1, 2]);
  });

  test('stops at maxAttempts and on non-retryable errors, rethrowing the last error', async () => {
    let calls = 0;
    const failing = async (): Promise<never> => {
      calls += 1;
      throw new Error(`fail ${calls}`);
    };
    await expect(retryWithBackoff(failing, { initialMs: 1, maxAttempts: 3 })).rejects.toThrow('fail 3');
    calls = 0;
    await expect(retryWithBackoff(failing, { initialMs: 1, retryable: () => false })).rejects.toThrow(
      'fail 1',
    );
  });

  test('an aborted signal ends the wait', async () => {
    const controller = new AbortController();
    const pending = retryWithBackoff(
      async () => {
        throw new Error('down');
      },
      { initialMs: 60_000, random: () => 0.99, signal: controller.signal, onRetry: () => controller.abort() },
    );
    await expect(pending).rejects.toThrow('down');
  });
});
