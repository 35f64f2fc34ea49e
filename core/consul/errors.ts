/**
 * Consul failures as one error type that tells the caller what to do: retry (`transient`),
 * fix credentials (`auth`), or report a request Consul will never accept (`bad-request`).
 * Messages are scrubbed of the client's token.
 */

type ConsulErrorKind = 'transient' | 'auth' | 'bad-request';

/** One failed operation of a rolled-back transaction (`OpIndex` counts from the first op given). */
export interface TxnOpError {
  OpIndex: number;
  What: string;
}

export class ConsulError extends Error {
  override readonly name = 'ConsulError';
  constructor(
    message: string,
    readonly kind: ConsulErrorKind,
    /** The request that failed, e.g. `catalog.register`, `txn`. */
    readonly operation: string,
    /** HTTP status when Consul answered; undefined for network failures and timeouts. */
    readonly statusCode?: number,
    /** Per-operation errors of a rolled-back transaction (HTTP 409). */
    readonly opErrors: readonly TxnOpError[] = [],
    /** For batched transactions: operations committed by earlier batches before this failure. */
    readonly committedOps = 0,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);

const AUTH_TEXT = /Permission denied|ACL not found/i;
const MAX_BODY_IN_MESSAGE = 300;

interface ResponseLike {
  statusCode?: number;
  body?: unknown;
}
interface ErrorLike {
  message?: string;
  code?: string;
  isTimeout?: boolean;
  isAbort?: boolean;
  statusCode?: number;
  response?: ResponseLike;
}

/** HTTP status → kind: 403 auth; 429 and 5xx transient; other 4xx bad-request. */
export function kindForStatus(status: number): ConsulErrorKind {
  if (status === 403 || status === 401) return 'auth';
  if (status === 429 || status >= 500) return 'transient';
  return 'bad-request';
}

export function scrubSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join('[REDACTED]');
}

/** A response body as text (Buffer, string or JSON). */
export function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (typeof body === 'string') return body;
  try {
    return JSON.stringify(body);
  } catch {
    return '';
  }
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_BODY_IN_MESSAGE ? `${oneLine.slice(0, MAX_BODY_IN_MESSAGE)}…` : oneLine;
}

/** A body read raw (`buffer`) is parsed here, where its JSON is needed. */
function parsedBody(body: unknown): unknown {
  if (!Buffer.isBuffer(body)) return body;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function txnOpErrors(body: unknown): TxnOpError[] {
  const errors = (parsedBody(body) as { Errors?: unknown } | undefined)?.Errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .filter(
      (e): e is TxnOpError =>
        typeof e === 'object' && e !== null && typeof (e as TxnOpError).What === 'string',
    )
    .map((e) => ({ OpIndex: Number(e.OpIndex) || 0, What: e.What }));
}

/**
 * Wraps anything the `consul` client threw. A 409 from `/v1/txn` carries per-op errors; one that
 * says "Permission denied" (how Consul reports ACL denials inside a transaction) is `auth`.
 */
export function toConsulError(err: unknown, operation: string, token?: string): ConsulError {
  if (err instanceof ConsulError) return err;
  const e = (err ?? {}) as ErrorLike;
  const status = e.response?.statusCode ?? e.statusCode;
  const scrub = (text: string) => scrubSecret(text, token);
  if (typeof status === 'number' && status > 0) {
    const body = e.response?.body;
    const opErrors = status === 409 ? txnOpErrors(body) : [];
    let kind = kindForStatus(status);
    if (opErrors.some((o) => AUTH_TEXT.test(o.What))) kind = 'auth';
    const detail = opErrors.length
      ? opErrors.map((o) => `op ${o.OpIndex}: ${o.What}`).join('; ')
      : truncate(bodyText(body)) || e.message || '';
    return new ConsulError(
      scrub(`consul ${operation}: HTTP ${status}${detail ? `: ${truncate(detail)}` : ''}`),
      kind,
      operation,
      status,
      opErrors.map((o) => ({ OpIndex: o.OpIndex, What: scrub(o.What) })),
    );
  }
  const reason = e.isTimeout
    ? 'timed out'
    : e.isAbort
      ? 'aborted'
      : e.code && NETWORK_CODES.has(e.code)
        ? `network error (${e.code})`
        : (e.message ?? String(err));
  return new ConsulError(scrub(`consul ${operation}: ${reason}`), 'transient', operation);
}

/** True for Consul's ACL denial text (`Permission denied: ... lacks permission ...`). */
export function isPermissionDenied(text: string): boolean {
  return /Permission denied/i.test(text);
}

/** Consul's answer for a token it does not know (deleted, expired, logged out). */
export function isAclNotFound(text: string): boolean {
  return /ACL not found/i.test(text);
}

/** True for a token Consul does not know (deleted, expired, logged out): no request can succeed. */
export function isTokenNotFound(error: ConsulError): boolean {
  return error.kind === 'auth' && isAclNotFound(error.message);
}

/**
 * True for a request Consul cannot run as asked and will refuse again: a 4xx other than auth, or
 * a malformed filter expression (which Consul answers with a 500 naming its evaluator).
 */
export function isUnrunnable(error: unknown): boolean {
  if (!(error instanceof ConsulError)) return false;
  return error.kind === 'bad-request' || /Failed to create boolean expression evaluator/.test(error.message);
}

/**
 * The permission a denial names, without the token's accessor, e.g. `service:write on "api"`
 * (Consul's wording: `lacks permission 'service:write' on "api"`); undefined when not named.
 */
export function missingPermission(text: string): string | undefined {
  const match = /lacks permission '([a-z_-]+:[a-z]+)'(?: on ("(?:[^"\\]|\\.)*"|\S+))?/i.exec(text);
  if (!match) return undefined;
  return match[2] ? `${match[1]} on ${match[2]}` : match[1];
}
