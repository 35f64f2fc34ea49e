/**
 * One read against Consul's HTTP API as a blocking query: the `index`/`wait` parameters, a client
 * timeout that outlasts Consul's hold, cancellation by an AbortSignal, and the answer with its
 * `X-Consul-Index` and ACL-filtering headers. Every failure is a ConsulError (see errors.ts).
 */
import { EventEmitter } from 'node:events';
import {
  clientToken,
  rawConsulRequest,
  type ConsulClient,
  type ConsulRequestContext,
  type ConsulResponse,
} from './client';
import { toConsulError } from './errors';

/** Blocking-query options (https://developer.hashicorp.com/consul/api-docs/features/blocking). */
export interface ReadOptions {
  /** The `X-Consul-Index` of the previous answer; omit (or "0") for an immediate read. */
  index?: string;
  /** Maximum time Consul holds the request (default 5 minutes server side; capped at 10). */
  waitMs?: number;
  /** Abort the request (e.g. on shutdown). */
  signal?: AbortSignal;
}

export interface Indexed<T> {
  /** The `X-Consul-Index` header: pass it back as `index` to block for the next change. */
  index: string;
  /** `X-Consul-KnownLeader`. */
  knownLeader: boolean;
  /** `X-Consul-Results-Filtered-By-ACLs: true`: the token could not see everything. */
  filteredByAcls: boolean;
  /**
   * No token was sent to a Consul whose default ACL policy is deny: Consul never says whether
   * such an answer was filtered (agent/consul/rpc.go, maskResultsFilteredByACLs), so it may be.
   */
  maybeFilteredByAcls: boolean;
  value: T;
}

/**
 * The next `index` to block on, per the blocking-query rules: reset to 0 when the index went
 * backwards (snapshot restore, server change) and never pass a value below 1 after a read.
 */
export function nextBlockingIndex(previous: string | undefined, received: string): string {
  let next: bigint;
  try {
    next = BigInt(received);
  } catch {
    return '0';
  }
  if (previous !== undefined) {
    try {
      if (next < BigInt(previous)) return '0';
    } catch {
      return '0';
    }
  }
  return next < 1n ? '1' : next.toString();
}

/** Milliseconds of client timeout for a blocking read: the wait, plus Consul's jitter (wait/16), plus slack. */
export function blockingTimeoutMs(waitMs: number): number {
  return Math.ceil(waitMs + waitMs / 16 + Math.max(waitMs * 0.1, 1000));
}

/** Client timeout of a request that does not block (an immediate read, a write). */
export const DEFAULT_TIMEOUT_MS = 15_000;

function requestContext(signal: AbortSignal | undefined): { ctx: ConsulRequestContext; done(): void } {
  const ctx = new EventEmitter() as ConsulRequestContext;
  ctx.includeResponse = true;
  if (!signal) return { ctx, done: () => undefined };
  const cancel = () => ctx.emit('cancel');
  if (signal.aborted) queueMicrotask(cancel);
  else signal.addEventListener('abort', cancel, { once: true });
  return { ctx, done: () => signal.removeEventListener('abort', cancel) };
}

function blockingQuery(options: ReadOptions): Record<string, string> {
  const query: Record<string, string> = {};
  if (options.index !== undefined && options.index !== '0') {
    query.index = options.index;
    if (options.waitMs !== undefined) query.wait = `${Math.max(1, Math.round(options.waitMs))}ms`;
  }
  return query;
}

function readTimeout(options: ReadOptions): number {
  return options.index !== undefined && options.index !== '0'
    ? blockingTimeoutMs(options.waitMs ?? 5 * 60_000)
    : DEFAULT_TIMEOUT_MS;
}

function header(res: ConsulResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function indexed<T>(res: ConsulResponse, value: T, tokenSent: boolean): Indexed<T> {
  return {
    index: header(res, 'x-consul-index') ?? '0',
    knownLeader: header(res, 'x-consul-knownleader') === 'true',
    filteredByAcls: header(res, 'x-consul-results-filtered-by-acls') === 'true',
    maybeFilteredByAcls: !tokenSent && header(res, 'x-consul-default-acl-policy') === 'deny',
    value,
  };
}

/** A body decoded chunk by chunk as it arrives; `end` gives the value once the body is complete. */
export interface StreamingDecoder<T> {
  write(chunk: Buffer): void;
  end(): T;
}

/** A GET as a blocking query (immediate without `options.index`), with the headers that come with it. */
export async function indexedRead<T>(
  consul: ConsulClient,
  operation: string,
  path: string,
  params: Record<string, string>,
  extraQuery: Record<string, string>,
  options: ReadOptions,
  /** Decodes the body as it arrives instead of a `JSON.parse` of all of it. */
  decoder?: StreamingDecoder<T>,
): Promise<Indexed<T>> {
  const { ctx, done } = requestContext(options.signal);
  try {
    const [res, body] = await rawConsulRequest(consul, {
      method: 'GET',
      name: operation,
      path,
      params,
      query: { ...extraQuery, ...blockingQuery(options) },
      ctx,
      timeoutMs: readTimeout(options),
      ...(decoder ? { onBodyChunk: (chunk: Buffer) => decoder.write(chunk) } : {}),
    });
    const value = decoder ? decoder.end() : (body as T);
    return indexed(res, value, Boolean(clientToken(consul)));
  } catch (err) {
    throw toConsulError(err, operation, clientToken(consul));
  } finally {
    done();
  }
}
