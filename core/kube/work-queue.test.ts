import { BatchWorkQueue, type Batch, type PassResult } from './work-queue';

/** A worker that records its batches and answers from a script (default: done). */
function recorder(answers: Array<PassResult | Error> = []) {
  const batches: Batch<string>[] = [];
  const worker = async (batch: Batch<string>): Promise<PassResult> => {
    batches.push({ keys: [...batch.keys].sort(), full: batch.full });
    const answer = answers.shift() ?? { done: true };
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { batches, worker };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('nothing runs before start; keys added in a burst become one batch after the quiet time', async () => {
  const { batches, worker } = recorder();
  const queue = new BatchWorkQueue(worker, { debounceMs: 20 });
  queue.add('a');
  queue.addFull();
  await sleep(40);
  expect(batches).toEqual([]);
  queue.start();
  await queue.whenIdle();
  expect(batches).toEqual([{ keys: ['a'], full: true }]);
  queue.add('b');
  queue.add('c');
  queue.add('b');
  await queue.whenIdle();
  expect(batches[1]).toEqual({ keys: ['b', 'c'], full: false });
  expect(batches).toHaveLength(2);
  await queue.stop();
});

test('a key added while a pass runs gets a pass of its own afterwards, never a concurrent one', async () => {
  let running = 0;
  let maxRunning = 0;
  const batches: string[][] = [];
  const queue: BatchWorkQueue<string> = new BatchWorkQueue(
    async (batch) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      batches.push([...batch.keys]);
      if (batch.keys.includes('first')) queue.add('second');
      await sleep(30);
      running--;
      return { done: true };
    },
    { debounceMs: 5 },
  );
  queue.start();
  queue.add('first');
  await sleep(10);
  await queue.whenIdle();
  expect(batches).toEqual([['first'], ['second']]);
  expect(maxRunning).toBe(1);
  await queue.stop();
});

test('a failed pass is retried after the backoff with its keys, as a full pass when it asks', async () => {
  const error = new Error('Consul unreachable');
  const { batches, worker } = recorder([{ done: false, error, retryFull: true }]);
  const retries: Array<{ error: unknown; delayMs: number }> = [];
  const queue = new BatchWorkQueue(worker, {
    debounceMs: 5,
    backoff: { initialMs: 100, random: () => 0.5 },
    onRetry: (err, delayMs) => retries.push({ error: err, delayMs }),
  });
  queue.start();
  queue.add('web');
  const failedAt = await new Promise<number>((resolve) => {
    const poll = setInterval(() => {
      if (retries.length > 0) {
        clearInterval(poll);
        resolve(performance.now());
      }
    }, 1);
  });
  queue.add('api'); // does not cut the backoff short
  await queue.whenIdle();
  expect(retries).toEqual([{ error, delayMs: 50 }]);
  expect(performance.now() - failedAt).toBeGreaterThanOrEqual(45);
  expect(batches).toEqual([
    { keys: ['web'], full: false },
    { keys: ['api', 'web'], full: true },
  ]);
  await queue.stop();
});

test('a worker that throws is a failed pass; success resets the backoff', async () => {
  const { batches, worker } = recorder([
    new Error('boom'),
    new Error('boom'),
    { done: true },
    new Error('boom'),
  ]);
  const delays: number[] = [];
  const queue = new BatchWorkQueue(worker, {
    debounceMs: 1,
    backoff: { initialMs: 10, random: () => 0.99 },
    onRetry: (_error, delayMs) => delays.push(delayMs),
  });
  queue.start();
  queue.add('x');
  await queue.whenIdle();
  queue.add('y');
  await queue.whenIdle();
  // 9 ms, then 19 (doubled); after the success the next failure starts at 9 again.
  expect(delays).toEqual([9, 19, 9]);
  expect(batches.map((b) => b.keys)).toEqual([['x'], ['x'], ['x'], ['y'], ['y']]);
  await queue.stop();
});

test('stop waits for the pass in flight and starts no other', async () => {
  let finished = false;
  const { batches, worker } = recorder();
  const queue = new BatchWorkQueue(
    async (batch: Batch<string>) => {
      await sleep(30);
      finished = true;
      return worker(batch);
    },
    { debounceMs: 1 },
  );
  queue.start();
  queue.add('a');
  await sleep(10);
  queue.add('b');
  await queue.stop();
  expect(finished).toBe(true);
  await sleep(20);
  expect(batches).toEqual([{ keys: ['a'], full: false }]);
});
