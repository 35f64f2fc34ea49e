/**
 * Large review bodies are decided one at a time in a worker thread with a heap limit: even read
 * selectively, a hostile 4 MiB body costs tens of milliseconds of CPU (and, with its objects where
 * the review reads, 130 MB of heap), which on the server's own thread would stall health probes
 * and every other review, and a few of them at once would exhaust the pod's memory. Bodies wait in a bounded queue; when it is full, or the worker
 * runs out of its heap, the request gets an error answer and the process carries on.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Decision } from './decide';
import type { ReviewOptions } from './review';
import type { WorkerJob } from './review-worker';

/** Bodies above this size are decided in the worker; below it, on the server's thread. */
export const HEAVY_BODY_BYTES = 256 * 1024;
/** Large bodies being decided or waiting; more are answered 429. */
const MAX_HEAVY_PENDING = 16;
/**
 * The worker's heap. It builds only what the review reads (decide.ts `decideLarge`): a Service at
 * the API server's 1.5 MiB object limit, mostly ports, takes about 10 MB. A body that needs more
 * is not one the API server sends (a 4 MiB pile of empty objects where the review reads, ~130 MB):
 * the worker dies of it alone and the request gets 413.
 */
export const WORKER_HEAP_MB = 96;

/** Which script runs the worker (the compiled `review-worker.js` by default) and how. */
export interface WorkerScript {
  filename: string;
  execArgv?: string[];
}

const DEFAULT_WORKER_SCRIPT: WorkerScript = { filename: path.join(__dirname, 'review-worker.js') };

interface Pending {
  id: number;
  body: Uint8Array;
  done: (decision: Decision) => void;
}

export class HeavyReviewer {
  private worker: Worker | undefined;
  private readonly queue: Pending[] = [];
  private running: Pending | undefined;
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly review: ReviewOptions,
    private readonly script: WorkerScript = DEFAULT_WORKER_SCRIPT,
    private readonly onWorkerFailure: (message: string) => void = () => undefined,
  ) {}

  /** Decides `body` in the worker; answers 429 at once when too many large bodies are pending. */
  decide(body: Buffer, done: (decision: Decision) => void): void {
    if (this.closed) {
      done({ ok: false, status: 503, message: 'shutting down' });
      return;
    }
    if (this.queue.length + (this.running ? 1 : 0) >= MAX_HEAVY_PENDING) {
      done({ ok: false, status: 429, message: 'too many large reviews in progress; retry' });
      return;
    }
    this.queue.push({ id: ++this.nextId, body, done });
    this.pump();
  }

  close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.done({ ok: false, status: 503, message: 'shutting down' });
    const worker = this.worker;
    this.worker = undefined;
    return worker ? worker.terminate().then(() => undefined) : Promise.resolve();
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    const job = this.queue.shift()!;
    this.running = job;
    const worker = this.worker ?? this.startWorker();
    // The body's memory moves to the worker when it owns its buffer (large bodies do).
    const whole = job.body.byteOffset === 0 && job.body.byteLength === job.body.buffer.byteLength;
    const body = whole ? job.body : new Uint8Array(job.body);
    const message: WorkerJob = { id: job.id, body };
    worker.postMessage(message, [body.buffer as ArrayBuffer]);
  }

  private finish(id: number, decision: Decision): void {
    const job = this.running;
    if (!job || job.id !== id) return;
    this.running = undefined;
    job.done(decision);
    this.pump();
  }

  private startWorker(): Worker {
    const worker = new Worker(this.script.filename, {
      workerData: { review: this.review },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 16 },
      ...(this.script.execArgv ? { execArgv: this.script.execArgv } : {}),
      stdout: false,
      stderr: false,
    });
    this.worker = worker;
    worker.on('message', (reply: { id: number; decision: Decision }) =>
      this.finish(reply.id, reply.decision),
    );
    const lost = (reason: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.onWorkerFailure(reason);
      const job = this.running;
      if (job) {
        const status = /memory/i.test(reason) ? 413 : 500;
        const message =
          status === 413
            ? 'request body parses into more objects than the review memory limit allows'
            : 'internal error';
        this.finish(job.id, { ok: false, status, message });
      }
    };
    worker.on('error', (err) => lost(`${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`));
    worker.on('exit', (code) => lost(`review worker exited with code ${code}`));
    worker.unref();
    return worker;
  }
}
