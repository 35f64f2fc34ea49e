/**
 * The one place a `consul` npm client is built (from ConsulConfig), plus the typing the package
 * lacks: blocking-query and request options, and a raw request for endpoints it does not wrap
 * (`consulRequest`: the same, its failures as ConsulErrors).
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import Consul from 'consul';
import { ResponseBodySink } from './bodies';
import type { ConsulConfig } from './config';
import { toConsulError } from './errors';

// consul 2.0.1's .d.ts omits options its runtime accepts (lib/utils.js `options()`).
declare module 'consul/lib/consul' {
  interface CommonOptions {
    /** Blocking query: wait until the index moves past this value. */
    index?: string;
    /** Blocking query: maximum wait, Go duration (`30s`, `5m`). */
    wait?: string;
    /** papi context: `includeResponse: true` resolves `[response, body]`; `emit('cancel')` aborts. */
    ctx?: ConsulRequestContext;
    /** Absolute request timeout: milliseconds or a Go duration. */
    timeout?: number | string;
    filter?: string;
  }
}

/** The papi request context (an EventEmitter: `emit('cancel')` aborts the request). */
export type ConsulRequestContext = EventEmitter & { includeResponse?: boolean };

/** The response papi attaches to results (`includeResponse`) and to HTTP errors. */
export type ConsulResponse = IncomingMessage & { body?: unknown };

export type ConsulClient = Consul;

/** TLS options papi passes through to `https.request` (its CLIENT_OPTIONS). */
interface ConsulTransportOptions {
  host: string;
  port: number;
  secure: boolean;
  defaults?: { token?: string; dc?: string; partition?: string };
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized?: boolean;
}

/** Builds a client; the token goes in `defaults` so every call sends `X-Consul-Token`. */
export function createConsulClient(config: ConsulConfig): ConsulClient {
  const options: ConsulTransportOptions = {
    host: config.host.includes(':') ? `[${config.host}]` : config.host,
    port: config.port,
    secure: config.scheme === 'https',
  };
  const defaults: { token?: string; dc?: string; partition?: string } = {};
  if (config.token) defaults.token = config.token;
  if (config.datacenter) defaults.dc = config.datacenter;
  if (config.partition) defaults.partition = config.partition;
  if (Object.keys(defaults).length > 0) options.defaults = defaults;
  if (config.scheme === 'https') {
    if (config.tls.ca !== undefined) options.ca = config.tls.ca;
    if (config.tls.cert !== undefined) options.cert = config.tls.cert;
    if (config.tls.key !== undefined) options.key = config.tls.key;
    if (config.tls.serverName !== undefined) options.servername = config.tls.serverName;
    options.rejectUnauthorized = config.tls.verify;
  }
  const client = new Consul(options);
  // The npm client keeps no namespace default: ours, sent by rawConsulRequest as `ns`.
  if (config.namespace) ((client as unknown as PapiInternals)._defaults ??= {}).ns = config.namespace;
  return client;
}

/** The private parts of the client the raw request needs (papi's request pipeline). */
interface PapiInternals {
  _defaults?: Record<string, unknown>;
  _get(req: RawRequest, next: ResultHandler): Promise<unknown>;
  _put(req: RawRequest, next: ResultHandler): Promise<unknown>;
  _post(req: RawRequest, next: ResultHandler): Promise<unknown>;
  _ext(event: 'onResponse', handler: (request: PapiRequest, next: () => void) => void): void;
}
/** What papi's `onResponse` extensions see of a request. */
interface PapiRequest {
  opts?: { headers?: Record<string, unknown> };
  res?: ConsulResponse;
}
interface RawRequest {
  name: string;
  path: string;
  params?: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  type?: 'json';
  body?: unknown;
  ctx?: ConsulRequestContext;
  timeout?: number;
  pipe?: () => Writable;
}
type ResultHandler = (
  request: { err?: Error; res?: ConsulResponse },
  next: (stop: false, err?: Error, value?: unknown) => void,
) => void;

/** Resolves `[response, body]` and leaves errors (which carry `.response`) to the caller. */
const withResponse: ResultHandler = (request, next) => {
  if (request.err) {
    if (request.res) (request.err as Error & { response?: ConsulResponse }).response = request.res;
    return next(false, request.err);
  }
  next(false, undefined, [request.res, request.res?.body]);
};

interface RawRequestOptions {
  method: 'GET' | 'PUT' | 'POST';
  /** Request name used in error messages (like the library's `catalog.register`). */
  name: string;
  /** Path below /v1, with `{param}` placeholders. */
  path: string;
  params?: Record<string, string>;
  /** The token to send instead of the client's: a string, or null for none (`/acl/login`). */
  token?: string | null;
  query?: Record<string, string>;
  body?: unknown;
  ctx?: ConsulRequestContext;
  timeoutMs?: number;
  /**
   * A success's body goes here chunk by chunk as it arrives and is not kept (the answer's body is
   * undefined); what it throws is thrown after the response. An error keeps its body (up to
   * ERROR_BODY_LIMIT bytes) as a Buffer, for the error's reason.
   */
  onBodyChunk?: (chunk: Buffer) => void;
}

/**
 * A request through the client's own pipeline (agent, TLS, token and dc defaults), for endpoints
 * the package does not wrap faithfully (`/catalog/node-services`, full `/catalog/register` bodies).
 */
export async function rawConsulRequest(
  consul: ConsulClient,
  options: RawRequestOptions,
): Promise<[ConsulResponse, unknown]> {
  const client = consul as unknown as PapiInternals;
  const defaults = client._defaults ?? {};
  const req: RawRequest = {
    name: options.name,
    path: options.path,
    params: options.params ?? {},
    query: { ...(options.query ?? {}) },
    headers: {},
  };
  const token = options.token === undefined ? defaults.token : options.token;
  if (typeof token === 'string' && token) req.headers['x-consul-token'] = token;
  // Consul's client conventions: dc, partition and namespace on every request unless given.
  for (const key of ['dc', 'partition', 'ns'] as const) {
    const value = defaults[key];
    if (typeof value === 'string' && value && req.query[key] === undefined) req.query[key] = value;
  }
  if (options.body !== undefined) {
    req.type = 'json';
    req.body = options.body;
  }
  if (options.ctx) req.ctx = options.ctx;
  if (options.timeoutMs !== undefined) req.timeout = options.timeoutMs;
  let sink: ResponseBodySink | undefined;
  const { onBodyChunk } = options;
  // A function: papi calls it for every attempt, so each one has its own sink.
  if (onBodyChunk) req.pipe = () => (sink = new ResponseBodySink(onBodyChunk));
  const call = {
    GET: client._get,
    PUT: client._put,
    POST: client._post,
  }[options.method].bind(client);
  const result = await call(req, withResponse);
  // papi resolves (instead of rejecting) with an error created in another realm (its
  // `instanceof Error` fails, e.g. under jest): a success is always the [response, body] pair.
  if (!Array.isArray(result)) throw result;
  if (sink?.failure !== undefined) throw sink.failure;
  return result as [ConsulResponse, unknown];
}

/** `rawConsulRequest` with the client's token, every failure a ConsulError named `options.name` (token scrubbed). */
export async function consulRequest(
  consul: ConsulClient,
  options: Omit<RawRequestOptions, 'token'>,
): Promise<[ConsulResponse, unknown]> {
  try {
    return await rawConsulRequest(consul, options);
  } catch (err) {
    throw toConsulError(err, options.name, clientToken(consul));
  }
}

/** The token configured on a client, so error text can be scrubbed of it. */
export function clientToken(consul: ConsulClient): string | undefined {
  const token = (consul as unknown as PapiInternals)._defaults?.token;
  return typeof token === 'string' && token ? token : undefined;
}

/** The namespace and admin partition every request of this client carries (Consul Enterprise). */
export function clientTenancy(consul: ConsulClient): { namespace?: string; partition?: string } {
  const defaults = (consul as unknown as PapiInternals)._defaults ?? {};
  const tenancy: { namespace?: string; partition?: string } = {};
  if (typeof defaults.ns === 'string' && defaults.ns) tenancy.namespace = defaults.ns;
  if (typeof defaults.partition === 'string' && defaults.partition) tenancy.partition = defaults.partition;
  return tenancy;
}

/** Replaces the token the client sends (a rotated token file); false when it was already in use. */
export function setClientToken(consul: ConsulClient, token: string): boolean {
  const client = consul as unknown as PapiInternals;
  const defaults = (client._defaults ??= {});
  if (defaults.token === token) return false;
  defaults.token = token;
  return true;
}

/** One answer Consul gave, as a response observer sees it (never kept: the token is a secret). */
interface ObservedResponse {
  status: number;
  body: unknown;
  /** The token the request sent, if any. */
  token?: string;
}

/**
 * Calls `observer` with every HTTP answer the client receives (any request, after decoding);
 * network failures are not answers. Observers cannot change the outcome.
 */
export function observeResponses(consul: ConsulClient, observer: (response: ObservedResponse) => void): void {
  (consul as unknown as PapiInternals)._ext('onResponse', (request, next) => {
    const status = request.res?.statusCode;
    if (typeof status === 'number') {
      const token = request.opts?.headers?.['x-consul-token'];
      observer({ status, body: request.res?.body, ...(typeof token === 'string' ? { token } : {}) });
    }
    next();
  });
}
