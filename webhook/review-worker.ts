/**
 * Worker thread entry: decides large review bodies off the server's event loop, so health checks
 * and small reviews keep being answered, under its own heap limit (set by `heavy.ts`), so a body
 * that parses into too many objects kills this worker, never the process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type Decision, decideLarge } from './decide';
import type { ReviewOptions } from './review';

export interface WorkerJob {
  id: number;
  body: Uint8Array;
}

const options = (workerData as { review: ReviewOptions }).review;
parentPort?.on('message', (job: WorkerJob) => {
  const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
  let decision: Decision;
  try {
    decision = decideLarge(body, options);
  } catch {
    decision = { ok: false, status: 500, message: 'internal error' };
  }
  parentPort?.postMessage({ id: job.id, decision });
});
