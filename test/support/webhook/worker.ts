/** The review worker as tests run it: from the TypeScript sources, compiled by swc on load. */
import path from 'node:path';
import type { WorkerScript } from '../../../webhook/heavy';

export const TS_REVIEW_WORKER: WorkerScript = {
  filename: path.resolve(__dirname, '../../../webhook/review-worker.ts'),
  execArgv: ['--require', path.resolve(__dirname, 'register-ts.js')],
};
