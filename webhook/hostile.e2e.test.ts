/**
 * Issue 10, finding 2, end to end through the built CLI (`npm test` builds it first): two rounds of
 * 8 concurrent hostile ~3.9 MiB reviews (a 4 MiB body of `{}` added ~130 MB RSS each; two in a row
 * OOM-killed the pod) while small reviews and /healthz are timed from another process.
 */
import { runHostileScenario } from '../test/support/webhook/hostile-run';

test('8 concurrent hostile 3.9 MiB reviews, repeated: the webhook survives, small reviews answer within 1 s', async () => {
  const result = await runHostileScenario(8, 2);
  expect(result.survived).toBe(true);
  expect(result.smallLatenciesMs.length).toBeGreaterThan(0);
  for (const ms of result.smallLatenciesMs) expect(ms).toBeLessThan(1000);
  expect(result.peakRssMb).toBeLessThan(400);
  // Every hostile review got an answer: decided, refused as too large for the worker, or told to retry.
  for (const status of Object.keys(result.hostileStatuses)) expect(['200', '413', '429']).toContain(status);
}, 300_000);
