/** Reading a request body with a size limit, and the HTTP errors the webhook answers with. */
import type { IncomingMessage } from 'node:http';

/** An error with the HTTP status to answer and a message safe to show the client. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Bytes read and discarded after the limit before the connection is dropped. */
const DISCARD_FACTOR = 4;

/**
 * Reads the whole body. Over `limit` bytes (declared or actual) it answers 413 through `done`
 * at once, and keeps reading and discarding the rest (up to 4x the limit, then the socket is
 * destroyed) so the client can read the answer and the connection stays usable.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  done: (err: HttpError | undefined, body?: Buffer) => void,
): void {
  const declared = req.headers['content-length'];
  const length = declared === undefined ? -1 : Number(declared);
  let finished = false;
  const finish = (err: HttpError | undefined, body?: Buffer): void => {
    if (finished) return;
    finished = true;
    done(err, body);
  };
  const tooLarge = (): void =>
    finish(new HttpError(413, `request body is larger than the limit of ${limit} bytes`));

  let received = 0;
  // With a declared length (the API server always sends one) the body is copied into one buffer
  // as it arrives: no list of chunks and no concatenated copy beside it. The usual small body
  // arrives as one chunk and is used as is.
  const whole = length >= 0 && length <= limit ? Buffer.allocUnsafe(length) : undefined;
  const chunks: Buffer[] = [];
  if (length > limit) tooLarge();

  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (finished) {
      if (received > limit * DISCARD_FACTOR) req.socket.destroy();
      return;
    }
    if (received > limit) {
      tooLarge();
      return;
    }
    if (whole && received <= whole.length) chunk.copy(whole, received - chunk.length);
    else chunks.push(chunk);
  });
  req.on('end', () => {
    if (whole) {
      if (received === whole.length && chunks.length === 0) finish(undefined, whole);
      else finish(new HttpError(400, 'request body length differs from Content-Length'));
      return;
    }
    finish(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
  });
  req.on('error', () => finish(new HttpError(400, 'request body could not be read')));
}

/** True for `application/json`, with or without parameters such as `; charset=utf-8`. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  if (contentType === 'application/json') return true;
  return /^\s*application\/json\s*(;|$)/i.test(contentType);
}
