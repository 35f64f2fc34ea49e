/**
 * Request and response bodies of a write pass, held so they do not pile up in memory. Buffers
 * live outside the V8 heap and are freed only when V8 collects the Buffer object; during an
 * initial sync (800+ transactions of ~70 KB, each answered with an echo of the same size) a fresh
 * Buffer per body and per answer reached ~50 MB of resident memory before a collection (see
 * BENCHMARKS.md, registrar).
 */
import { Writable } from 'node:stream';
import type { IncomingMessage } from 'node:http';

const INITIAL_BYTES = 64 * 1024;

/**
 * One reusable buffer for JSON request bodies sent one after another (the transactions of one
 * write pass). Only for requests awaited one at a time: each `encode` overwrites the body before it.
 */
export class SequentialRequestBody {
  private buffer: Buffer | undefined;

  /** The JSON of `value` in UTF-8, valid until the next call. */
  encode(value: unknown): Buffer {
    const json = JSON.stringify(value);
    const bytes = Buffer.byteLength(json, 'utf8');
    if (!this.buffer || this.buffer.length < bytes) {
      this.buffer = Buffer.allocUnsafeSlow(Math.max(bytes, INITIAL_BYTES, 2 * (this.buffer?.length ?? 0)));
    }
    this.buffer.write(json, 0, bytes, 'utf8');
    return this.buffer.subarray(0, bytes);
  }
}

/** Bytes of an error answer kept for the error (Consul's are short; per-op txn errors a few KB). */
export const ERROR_BODY_LIMIT = 1024 * 1024;

/**
 * Where a response is piped when its success body is consumed as it arrives: a 2xx body goes to
 * `onChunk` chunk by chunk and is not kept; any other body is kept, up to ERROR_BODY_LIMIT bytes,
 * as the response's `body` (a Buffer), because the error and the response observers need it (a
 * 409's per-op errors, a 403's reason). An exception from `onChunk` stops the consumption (the
 * rest is drained) and is kept in `failure` for the caller: throwing inside a pipe would stall
 * the response.
 */
export class ResponseBodySink extends Writable {
  private keep = false;
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  failure: unknown;

  constructor(private readonly onChunk: (chunk: Buffer) => void) {
    super();
    // `pipe` is emitted synchronously by `response.pipe(sink)`, before any data and before the
    // client's own `end` listener, which then finds the error's body where it reads bodies.
    this.on('pipe', (response: IncomingMessage & { body?: unknown }) => {
      this.keep = Math.floor((response.statusCode ?? 0) / 100) !== 2;
      if (this.keep) response.once('end', () => (response.body = this.body()));
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    if (this.keep) {
      if (this.bytes < ERROR_BODY_LIMIT) {
        const part = chunk.subarray(0, ERROR_BODY_LIMIT - this.bytes);
        this.chunks.push(part);
        this.bytes += part.length;
      }
    } else if (this.failure === undefined) {
      try {
        this.onChunk(chunk);
      } catch (err) {
        this.failure = err ?? new Error('response body consumer failed');
      }
    }
    callback();
  }

  private body(): Buffer | undefined {
    return this.bytes > 0 ? Buffer.concat(this.chunks, this.bytes) : undefined;
  }
}
