/**
 * Typed catalog calls for the registrar and the generator: blocking reads that return the
 * `X-Consul-Index`, batched transactions, and register/deregister with full PascalCase bodies.
 * Every failure is a ConsulError (see errors.ts).
 */
import { EventEmitter } from 'node:events';
import {
  clientToken,
  rawConsulRequest,
  type ConsulClient,
  type ConsulRequestContext,
  type ConsulResponse,
} from './client';
import { ConsulError, toConsulError, type TxnOpError } from './errors';
import { SequentialRequestBody } from './bodies';
import { type JsonPath, JsonValueStream } from '../json/select';

/** Consul's documented limit of operations in one `/v1/txn` request. */
export const MAX_TXN_OPS = 64;

/**
 * Bytes we put in one `/v1/txn` body: under Consul's `limits.txn_max_req_len` (524288 by
 * default, a 413 above it) with room for the request framing.
 */
export const MAX_TXN_BYTES = 480 * 1024;

export interface Weights {
  Passing: number;
  Warning: number;
}

/** A service instance as `/v1/catalog/node-services` and txn results return it. */
export interface NodeService {
  ID: string;
  Service: string;
  Tags: string[];
  Meta: Record<string, string>;
  Address: string;
  Port: number;
  Weights?: Weights;
  EnableTagOverride?: boolean;
  Kind?: string;
  TaggedAddresses?: Record<string, { Address: string; Port: number }>;
  /** Consul Enterprise: the namespace and admin partition of the instance. */
  Namespace?: string;
  Partition?: string;
  CreateIndex?: number;
  ModifyIndex?: number;
}

interface CatalogNode {
  ID?: string;
  Node: string;
  Address: string;
  Datacenter?: string;
  TaggedAddresses?: Record<string, string>;
  Meta?: Record<string, string>;
  /** Consul Enterprise: the node's admin partition. */
  Partition?: string;
  CreateIndex?: number;
  ModifyIndex?: number;
}

export type CheckStatus = 'passing' | 'warning' | 'critical';

export interface HealthCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: CheckStatus;
  Notes?: string;
  Output?: string;
  ServiceID?: string;
  ServiceName?: string;
  ServiceTags?: string[];
  Definition?: Record<string, unknown>;
  /** Consul Enterprise: the check's namespace (its service's) and admin partition. */
  Namespace?: string;
  Partition?: string;
  CreateIndex?: number;
  ModifyIndex?: number;
}

interface HealthServiceEntry {
  Node: CatalogNode;
  Service: NodeService;
  Checks: HealthCheck[];
}

/** Body of `PUT /v1/catalog/register`. */
export interface CatalogRegistration {
  ID?: string;
  Node: string;
  Address: string;
  Datacenter?: string;
  TaggedAddresses?: Record<string, string>;
  NodeMeta?: Record<string, string>;
  Service?: Partial<NodeService> & { Service: string };
  Check?: Partial<HealthCheck> & { CheckID?: string; Name: string };
  Checks?: Array<Partial<HealthCheck> & { CheckID?: string; Name: string }>;
  SkipNodeUpdate?: boolean;
  /** Consul Enterprise: the node's admin partition. */
  Partition?: string;
}

/** Body of `PUT /v1/catalog/deregister`: the node, or one service or check of it. */
interface CatalogDeregistration {
  Node: string;
  Datacenter?: string;
  ServiceID?: string;
  CheckID?: string;
  /** Consul Enterprise: the namespace of the service or check, and the admin partition. */
  Namespace?: string;
  Partition?: string;
}

type NodeVerb = 'set' | 'cas' | 'get' | 'delete' | 'delete-cas';
/** Catalog operations of `/v1/txn` (KV and session ops are not used here). */
export type CatalogTxnOp =
  | { Node: { Verb: NodeVerb; Node: Partial<CatalogNode> & { Node: string } } }
  | { Service: { Verb: NodeVerb; Node: string; Service: Partial<NodeService> & { ID: string } } }
  | { Check: { Verb: NodeVerb; Check: Partial<HealthCheck> & { Node: string; CheckID: string } } };

type TxnResult = { Node: CatalogNode } | { Service: NodeService } | { Check: HealthCheck };

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

const DEFAULT_READ_TIMEOUT_MS = 15_000;

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
    : DEFAULT_READ_TIMEOUT_MS;
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
interface StreamingDecoder<T> {
  write(chunk: Buffer): void;
  end(): T;
}

const ignoreChunk = (): void => undefined;

async function read<T>(
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

/** `GET /v1/catalog/services`: every visible service name with the union of its tags. */
export async function readCatalogServices(
  consul: ConsulClient,
  options: ReadOptions = {},
): Promise<Indexed<Record<string, string[]>>> {
  const result = await read<Record<string, string[]> | null>(
    consul,
    'catalog.services',
    '/catalog/services',
    {},
    {},
    options,
  );
  return { ...result, value: result.value ?? {} };
}

/** Consul Enterprise: the namespace a read covers (`*`: every namespace, on list endpoints). */
interface NamespaceOption {
  namespace?: string;
}

function namespaceQuery(options: NamespaceOption): Record<string, string> {
  return options.namespace === undefined ? {} : { ns: options.namespace };
}

/**
 * `GET /v1/catalog/node-services/:node`: the node (null when unknown) and its instances. Each
 * instance passes through `reduce` as it is read (core/json/select.ts), so a node with 30,000 services
 * never exists as one parsed tree.
 */
export async function readNodeServices<S = NodeService>(
  consul: ConsulClient,
  node: string,
  options: ReadOptions &
    NamespaceOption & {
      /** A Consul filter expression over the node's services (evaluated by Consul). */
      filter?: string;
    } = {},
  reduce: (service: NodeService) => S = (service) => service as S,
): Promise<Indexed<{ node: CatalogNode | null; services: S[] }>> {
  const value: { node: CatalogNode | null; services: S[] } = { node: null, services: [] };
  const stream = new JsonValueStream(isNodeOrService, (path, selected) => {
    if (path[0] === 'Node') value.node = selected as CatalogNode | null;
    else value.services.push(reduce(selected as NodeService));
  });
  const decoder: StreamingDecoder<typeof value> = {
    write: (chunk) => stream.write(chunk),
    end: () => {
      stream.end();
      return value;
    },
  };
  return read(
    consul,
    'catalog.node-services',
    '/catalog/node-services/{node}',
    { node },
    { ...namespaceQuery(options), ...(options.filter === undefined ? {} : { filter: options.filter }) },
    options,
    decoder,
  );
}

const isNodeOrService = (path: JsonPath) =>
  (path.length === 1 && path[0] === 'Node') || (path.length === 2 && path[0] === 'Services');

/** One node by name (`GET /v1/catalog/nodes` filtered to it, so its services are not read), or null. */
export async function readNode(consul: ConsulClient, node: string): Promise<CatalogNode | null> {
  const result = await read<CatalogNode[] | null>(
    consul,
    'catalog.nodes',
    '/catalog/nodes',
    {},
    { filter: `Node == ${JSON.stringify(node)}` },
    {},
  );
  return result.value?.find((entry) => entry.Node === node) ?? null;
}

/** `GET /v1/health/service/:name` (`passing` keeps only instances whose checks all pass). */
export async function readHealthService(
  consul: ConsulClient,
  service: string,
  options: ReadOptions & { passing?: boolean; tag?: string } = {},
): Promise<Indexed<HealthServiceEntry[]>> {
  const query: Record<string, string> = {};
  if (options.passing) query.passing = 'true';
  if (options.tag !== undefined) query.tag = options.tag;
  const result = await read<HealthServiceEntry[] | null>(
    consul,
    'health.service',
    '/health/service/{service}',
    { service },
    query,
    options,
  );
  return { ...result, value: result.value ?? [] };
}

/** Per-write options: `timeoutMs` bounds the request (e.g. by the remaining lease time). */
interface WriteOptions {
  timeoutMs?: number;
}

/** `PUT /v1/catalog/register` with the full body (the npm client drops Weights and more). */
export async function registerCatalog(
  consul: ConsulClient,
  registration: CatalogRegistration,
  options: WriteOptions = {},
): Promise<void> {
  try {
    await rawConsulRequest(consul, {
      method: 'PUT',
      name: 'catalog.register',
      path: '/catalog/register',
      body: registration,
      timeoutMs: options.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
    });
  } catch (err) {
    throw toConsulError(err, 'catalog.register', clientToken(consul));
  }
}

/** `PUT /v1/catalog/deregister`: removes the node, or one service/check when given. */
export async function deregisterCatalog(
  consul: ConsulClient,
  deregistration: CatalogDeregistration,
  options: WriteOptions = {},
): Promise<void> {
  try {
    await rawConsulRequest(consul, {
      method: 'PUT',
      name: 'catalog.deregister',
      path: '/catalog/deregister',
      body: deregistration,
      timeoutMs: options.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
    });
  } catch (err) {
    throw toConsulError(err, 'catalog.deregister', clientToken(consul));
  }
}

/** Splits operations into consecutive batches of at most `size` (order kept). */
export function batchOps<T>(ops: readonly T[], size = MAX_TXN_OPS): T[][] {
  return batchTxnOps(ops, { maxOps: size });
}

interface TxnLimits {
  /** Operations per transaction (default MAX_TXN_OPS). */
  maxOps?: number;
  /** JSON bytes per transaction body (default MAX_TXN_BYTES). */
  maxBytes?: number;
  /** Serialized size of one operation; default its JSON length in UTF-8 bytes. */
  sizeOf?: (op: never) => number;
}

/** JSON size of one value in UTF-8 bytes (what goes on the wire). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Splits operations into consecutive batches bounded by count and by body bytes (`[a,b]`: one
 * byte per separator plus the brackets), order kept. An operation too large on its own goes alone
 * (Consul answers 413 and the caller falls back to a single call).
 */
export function batchTxnOps<T>(ops: readonly T[], limits: TxnLimits = {}): T[][] {
  const maxOps = limits.maxOps ?? MAX_TXN_OPS;
  const maxBytes = limits.maxBytes ?? MAX_TXN_BYTES;
  if (!Number.isInteger(maxOps) || maxOps < 1)
    throw new RangeError(`batch size must be an integer >= 1, got ${maxOps}`);
  if (!(maxBytes > 2)) throw new RangeError(`batch byte limit must be > 2, got ${maxBytes}`);
  const sizeOf = (limits.sizeOf as ((op: T) => number) | undefined) ?? jsonBytes;
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 2;
  for (const op of ops) {
    const size = sizeOf(op);
    if (current.length > 0 && (current.length >= maxOps || bytes + 1 + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 2;
    }
    bytes += size + (current.length > 0 ? 1 : 0);
    current.push(op);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

interface TxnApplyResult {
  /** Number of `/v1/txn` requests made. */
  transactions: number;
  results: TxnResult[];
}

/**
 * Applies catalog operations in transactions bounded by `maxOpsPerTxn` and `maxBytes` (each one
 * all-or-nothing), in order. On a failure, earlier batches stay applied: the ConsulError says how
 * many ops were committed (`committedOps`) and its per-op errors carry indexes into `ops` as given.
 */
export async function applyCatalogTxn(
  consul: ConsulClient,
  ops: readonly CatalogTxnOp[],
  options: {
    maxOpsPerTxn?: number;
    maxBytes?: number;
    timeoutMs?: number;
    /**
     * False: Consul's results (every written entry, echoed back) are not parsed and `results` stays
     * empty; a caller that only needs to know the writes committed saves their memory.
     */
    results?: boolean;
    /** Where bodies are written; pass one per sequence of calls awaited one at a time. */
    body?: SequentialRequestBody;
  } = {},
): Promise<TxnApplyResult> {
  const body = options.body ?? new SequentialRequestBody();
  const wantResults = options.results ?? true;
  const results: TxnResult[] = [];
  let committed = 0;
  let transactions = 0;
  const limits: TxnLimits = {};
  if (options.maxOpsPerTxn !== undefined) limits.maxOps = options.maxOpsPerTxn;
  if (options.maxBytes !== undefined) limits.maxBytes = options.maxBytes;
  for (const batch of batchTxnOps(ops, limits)) {
    transactions++;
    let answer: unknown;
    try {
      [, answer] = await rawConsulRequest(consul, {
        method: 'PUT',
        name: 'txn',
        path: '/txn',
        body: body.encode(batch),
        timeoutMs: options.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
        ...(wantResults ? {} : { onBodyChunk: ignoreChunk }),
      });
    } catch (err) {
      const base = toConsulError(err, 'txn', clientToken(consul));
      const opErrors: TxnOpError[] = base.opErrors.map((o) => ({
        OpIndex: o.OpIndex + committed,
        What: o.What,
      }));
      throw new ConsulError(base.message, base.kind, base.operation, base.statusCode, opErrors, committed);
    }
    const batchResults = wantResults
      ? (answer as { Results?: TxnResult[] | null } | undefined)?.Results
      : undefined;
    if (batchResults) results.push(...batchResults);
    committed += batch.length;
  }
  return { transactions, results };
}
