/**
 * Issue 10, finding 2, end to end through the built CLI (`npm test` builds it first): two rounds of
 * 8 concurrent hostile ~3.9 MiB reviews (a 4 MiB body of `{}` added ~130 MB RSS each; two in a row
 * OOM-killed the pod) while small reviews and /healthz are timed from another process.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runHostileScenario } from '../test/support/webhook/hostile-run';

/** The webhook container's memory limit in deploy/components/webhook/deployment.yaml, in MiB (peakRssMb counts MiB: /proc kB / 1024). */
function deploymentMemoryLimitMb(): number {
  const manifest = readFileSync(path.join(__dirname, '../deploy/components/webhook/deployment.yaml'), 'utf8');
  const mi = /limits: \{[^}]*memory: (\d+)Mi/.exec(manifest)?.[1];
  if (!mi) throw new Error('no memory limit in the webhook Deployment');
  return Number(mi);
}

// The 1 s target for small reviews is measured by `npm run bench -- webhook-hostile` (BENCHMARKS.md);
// here, sharing two cores with other suites, the bound is generous but still far below the ~12 s
// stall of a blocked event loop that finding 1 measured.
const SMALL_REVIEW_BOUND_MS = 5000;

test('8 concurrent hostile 3.9 MiB reviews, repeated: the webhook survives, small reviews are not stalled', async () => {
  const result = await runHostileScenario(8, 2);
  expect(result.survived).toBe(true);
  expect(result.smallLatenciesMs.length).toBeGreaterThan(0);
  for (const ms of result.smallLatenciesMs) expect(ms).toBeLessThan(SMALL_REVIEW_BOUND_MS);
  // The safety property: the process stays under the memory limit the shipped Deployment gives
  // it, so the pod is never OOM-killed. (Measured peaks, BENCHMARKS.md: 388-445 MB.)
  expect(result.peakRssMb).toBeLessThan(deploymentMemoryLimitMb());
  // Every hostile review got an answer: decided, refused as too large for the worker, or told to retry.
  for (const status of Object.keys(result.hostileStatuses)) expect(['200', '413', '429']).toContain(status);
}, 300_000);
