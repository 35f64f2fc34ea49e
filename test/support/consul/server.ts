/**
 * An in-process Consul HTTP API double for tests (node:http, optional https). It serves the
 * catalog, health and txn endpoints the product uses with Consul's documented JSON, status codes,
 * blocking queries and ACL behaviour, plus fault controls and a request log. Test code only:
 * product code never imports it.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { ACL_NOT_FOUND, AclConfig, type AclOptions, type Authorizer } from './acl';
import { compileFilter, FilterError, type Predicate } from './filter';
import {
  DecodeError,
  field,
  readBool,
  readCheckInput,
  readNodeInput,
  readServiceInput,
  readString,
  renderCheck,
  renderNode,
  renderNodeService,
  renderServiceNode,
} from './render';
import { HttpError, inScope, Tenancy } from './tenancy';
import {
  CatalogState,
  nodeKey,
  type Scope,
  scopedId,
  StateError,
  type CheckInput,
  type NodeRecord,
  type ServiceInput,
  type ServiceRecord,
  type StateTxn,
} from './state';

export interface ConsulDoubleOptions {
  /** Port to listen on; 0 (default) picks a free one, kept across restart(). */
  port?: number;
  host?: string;
  datacenter?: string;
  /** Serve HTTPS with this key pair (PEM). `ca` + `requestCert` ask clients for certificates. */
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer; requestCert?: boolean };
  acl?: AclOptions;
  /** Operations allowed in one `/v1/txn` (Consul's documented limit: 64). */
  maxTxnOps?: number;
  /** Body bytes allowed in one `/v1/txn` (Consul's `limits.txn_max_req_len`, 524288 by default). */
  maxTxnBytes?: number;
  /** Add Consul's random extra wait (up to wait/16) to blocking queries. Default true. */
  blockingJitter?: boolean;
  /**
   * Consul Enterprise: namespaces (`/v1/namespace*`, `ns`, `Namespace`) and admin partitions
   * (`partition`, `Partition`). Off (default): answers as OSS Consul does to them.
   */
  enterprise?: boolean;
  /** Enterprise: admin partitions that exist besides `default`. */
  partitions?: string[];
}

interface RequestLogEntry {
  method: string;
  /** Path without the query, e.g. `/v1/catalog/register`. */
  path: string;
  query: Record<string, string>;
  /** Status sent (0 while still in flight or when the connection was cut). */
  status: number;
  /** A request that asks Consul to change state (register, deregister, txn with a write op). */
  write: boolean;
  /** Whether a token was sent (the token itself is not kept). */
  hasToken: boolean;
  blocking: boolean;
  /** Size of the request body in bytes (0 without one). */
  bodyBytes: number;
}

interface FailOptions {
  /** Status to answer with (default 500). */
  status?: number;
  /** Text body (default Consul's "No cluster leader"). */
  body?: string;
  /** Only requests for which this returns true are failed (and counted). */
  match?: (request: { method: string; path: string; write: boolean }) => boolean;
}

interface ConsulDoubleFaults {
  /** Fails the next `count` (matching) requests with a 500 (or `status`) before touching state. */
  failNext(count: number, options?: FailOptions): void;
  /** Adds `ms` of delay before every request is handled (0 to remove). */
  setLatency(ms: number): void;
  /** As after a snapshot restore: the index drops to `to` and blocking queries return at once. */
  resetIndex(to?: number): void;
  /** Removes pending failures and latency. */
  clear(): void;
}

interface RequestLog {
  readonly entries: readonly RequestLogEntry[];
  /** Requests that asked for a state change (see RequestLogEntry.write). */
  writes(): RequestLogEntry[];
  count(predicate?: (entry: RequestLogEntry) => boolean): number;
  clear(): void;
}

/** Registration body of `PUT /v1/catalog/register` (PascalCase). */
type RegistrationBody = Record<string, unknown>;

interface ConsulDoubleSeed {
  /** Applies a registration directly, as another actor would (no ACL, no request logged). */
  register(body: RegistrationBody): void;
  deregister(body: { Node: string; ServiceID?: string; CheckID?: string }): void;
  /** Removes everything (indexes move forward). */
  clear(): void;
}

export interface ConsulDouble {
  /** `127.0.0.1:PORT`, the form of CONSUL_HTTP_ADDR. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** `http(s)://127.0.0.1:PORT`. */
  readonly url: string;
  readonly secure: boolean;
  /** CONSUL_* environment pointing the product at this double. */
  env(token?: string): Record<string, string>;
  readonly state: CatalogState;
  readonly seed: ConsulDoubleSeed;
  readonly acl: AclConfig;
  readonly faults: ConsulDoubleFaults;
  readonly requests: RequestLog;
  /** Blocking queries currently held open. */
  blockedQueries(): number;
  readonly running: boolean;
  /** Stops listening and cuts every connection (held blocking queries included). */
  stop(): Promise<void>;
  /** Listens again on the same port with the same state (stopping first if running). */
  restart(): Promise<void>;
}

const DEFAULT_WAIT_MS = 5 * 60_000;
const MAX_WAIT_MS = 10 * 60_000;
const MAX_BODY_BYTES = 8 * 1024 * 1024;

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in milliseconds; undefined when Go would fail. */
function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const match = part.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
    index = part.lastIndex;
  }
  return text.length > 0 ? total : undefined;
}

function tokenOf(req: http.IncomingMessage, query: URLSearchParams): string | undefined {
  const fromQuery = query.get('token');
  if (fromQuery) return fromQuery;
  const header = req.headers['x-consul-token'];
  if (typeof header === 'string' && header) return header;
  const authorization = req.headers.authorization;
  if (authorization) {
    const parts = authorization.split(' ');
    if (parts.length === 2 && parts[0]!.toLowerCase() === 'bearer') return parts[1]!.trim();
  }
  return undefined;
}

function isWriteRequest(method: string, path: string, body: unknown): boolean {
  if (method !== 'PUT' && method !== 'POST') return false;
  if (path === '/v1/catalog/register' || path === '/v1/catalog/deregister') return true;
  if (path === '/v1/txn') {
    if (!Array.isArray(body)) return true;
    return body.some((op) => {
      for (const kind of ['Node', 'Service', 'Check', 'KV']) {
        const inner = field(op, kind);
        if (inner !== undefined) return String(field(inner, 'Verb') ?? '').toLowerCase() !== 'get';
      }
      return true;
    });
  }
  return false;
}

interface Blocked {
  cancel(): void;
}

interface ReadResult {
  index: number;
  body: unknown;
  filtered: boolean;
}

/** Starts a Consul double on 127.0.0.1 (random port by default). */
export async function startConsulDouble(options: ConsulDoubleOptions = {}): Promise<ConsulDouble> {
  const host = options.host ?? '127.0.0.1';
  const datacenter = options.datacenter ?? 'dc1';
  const maxTxnOps = options.maxTxnOps ?? 64;
  const maxTxnBytes = options.maxTxnBytes ?? 524_288;
  const jitter = options.blockingJitter ?? true;
  const secure = options.tls !== undefined;
  const state = new CatalogState(datacenter);
  const acl = new AclConfig(options.acl);
  const tenancy = new Tenancy(options.enterprise ?? false, state, options.partitions);
  const log: RequestLogEntry[] = [];
  const blocked = new Set<Blocked>();
  const sockets = new Set<Socket>();
  let failures: Array<{ remaining: number } & FailOptions> = [];
  let latencyMs = 0;
  let port = options.port ?? 0;
  let server: http.Server | undefined;

  // ---------------------------------------------------------------- responses

  function send(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent || res.destroyed) return;
    const isText = typeof body === 'string' && status >= 300;
    const payload = isText ? (body as string) : JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': isText ? 'text/plain; charset=utf-8' : 'application/json',
      'Content-Length': Buffer.byteLength(payload),
      Vary: 'Accept-Encoding',
      ...headers,
    });
    res.end(payload);
  }

  function queryHeaders(result: ReadResult, anonymous: boolean): Record<string, string> {
    const headers: Record<string, string> = {
      'X-Consul-Index': String(Math.max(1, result.index)),
      'X-Consul-KnownLeader': 'true',
      'X-Consul-LastContact': '0',
      'X-Consul-Effective-Consistency': 'leader',
    };
    if (acl.enabled) headers['X-Consul-Default-Acl-Policy'] = acl.defaultPolicy;
    // Consul masks the flag for requests without a token (agent/consul/rpc.go,
    // maskResultsFilteredByACLs), so that unauthenticated clients learn nothing from it.
    if (result.filtered && !anonymous) headers['X-Consul-Results-Filtered-By-ACLs'] = 'true';
    return headers;
  }

  // -------------------------------------------------------------- query parse

  function blockingParams(query: URLSearchParams): { minIndex: number; waitMs: number } {
    const rawIndex = query.get('index');
    let minIndex = 0;
    if (rawIndex !== null && rawIndex !== '') {
      if (!/^\d+$/.test(rawIndex)) throw new HttpError(400, 'Invalid index');
      minIndex = Number(rawIndex);
    }
    let waitMs = DEFAULT_WAIT_MS;
    const rawWait = query.get('wait');
    if (rawWait !== null && rawWait !== '') {
      const parsed = parseGoDuration(rawWait);
      if (parsed === undefined) throw new HttpError(400, 'Invalid wait time');
      waitMs = parsed;
    }
    return { minIndex, waitMs: Math.min(waitMs, MAX_WAIT_MS) };
  }

  function filterOf(query: URLSearchParams): Predicate | undefined {
    const expression = query.get('filter');
    if (!expression) return undefined;
    try {
      return compileFilter(expression);
    } catch (err) {
      // A 500, not a 400: the RPC layer reports the bexpr error (seen on a real Consul 1.16).
      throw new HttpError(
        500,
        `Failed to create boolean expression evaluator: ${(err as FilterError).message}`,
      );
    }
  }

  function nodeMetaFilter(query: URLSearchParams): (node: NodeRecord) => boolean {
    const pairs = query.getAll('node-meta').map((pair) => {
      const at = pair.indexOf(':');
      return at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    });
    return (node) => pairs.every(([k, v]) => node.Meta[k!] === v);
  }

  function checkDatacenter(query: URLSearchParams): void {
    const dc = query.get('dc');
    if (dc && dc !== datacenter) throw new HttpError(500, 'No path to datacenter');
  }

  // -------------------------------------------------------------------- reads

  function listServices(authz: Authorizer, query: URLSearchParams, scope?: Scope): ReadResult {
    const predicate = filterOf(query);
    const nodeMeta = nodeMetaFilter(query);
    const tags = new Map<string, string[]>();
    let filtered = false;
    for (const { node, service } of state.allServices()) {
      if (!nodeMeta(node) || !inScope(service, scope)) continue;
      if (predicate && !predicate(renderServiceNode(node, service))) continue;
      if (!authz.allowed('service', service.Service, 'read')) {
        filtered = true;
        continue;
      }
      const list = tags.get(service.Service) ?? [];
      for (const tag of service.Tags) if (!list.includes(tag)) list.push(tag);
      tags.set(service.Service, list);
    }
    const body: Record<string, string[]> = {};
    for (const name of [...tags.keys()].sort()) body[name] = tags.get(name)!;
    return { index: state.servicesIndex(), body, filtered };
  }

  function instancesOf(name: string, authz: Authorizer, query: URLSearchParams, scope?: Scope) {
    const wantedTags = query.getAll('tag');
    const nodeMeta = nodeMetaFilter(query);
    let filtered = false;
    const out: Array<{ node: NodeRecord; service: ServiceRecord }> = [];
    for (const entry of state.instancesOf(name)) {
      if (!inScope(entry.service, scope)) continue;
      if (!wantedTags.every((t) => entry.service.Tags.includes(t))) continue;
      if (!nodeMeta(entry.node)) continue;
      if (!authz.allowed('service', name, 'read') || !authz.allowed('node', entry.node.Node, 'read')) {
        filtered = true;
        continue;
      }
      out.push(entry);
    }
    out.sort((a, b) => a.node.Node.localeCompare(b.node.Node) || a.service.ID.localeCompare(b.service.ID));
    return { entries: out, filtered };
  }

  function serviceNodes(name: string, authz: Authorizer, query: URLSearchParams, scope?: Scope): ReadResult {
    const predicate = filterOf(query);
    const { entries, filtered } = instancesOf(name, authz, query, scope);
    const body = entries
      .map(({ node, service }) => renderServiceNode(node, service))
      .filter((e) => !predicate || predicate(e));
    return { index: state.serviceNameIndex(name, false), body, filtered };
  }

  function healthService(name: string, authz: Authorizer, query: URLSearchParams, scope?: Scope): ReadResult {
    const predicate = filterOf(query);
    const passingOnly =
      query.has('passing') && query.get('passing') !== 'false' && query.get('passing') !== '0';
    const { entries, filtered } = instancesOf(name, authz, query, scope);
    const body = entries
      .map(({ node, service }) => ({
        Node: renderNode(node),
        Service: renderNodeService(service),
        Checks: state
          .checksFor(nodeKey(node.Node, node.Partition), scopedId(service.ID, service.Namespace))
          .map(renderCheck),
      }))
      .filter((e) => !passingOnly || e.Checks.every((c) => c.Status === 'passing'))
      .filter((e) => !predicate || predicate(e));
    return { index: state.serviceNameIndex(name, true), body, filtered };
  }

  function nodeServices(
    nodeName: string,
    authz: Authorizer,
    query: URLSearchParams,
    asMap: boolean,
    scope?: Scope,
  ): ReadResult {
    const predicate = filterOf(query);
    const key = nodeKey(nodeName, scope?.partition);
    const node = state.nodes.get(key);
    const index = state.catalogIndex();
    if (!node) return { index, body: asMap ? null : { Node: null, Services: null }, filtered: false };
    if (!authz.allowed('node', nodeName, 'read')) {
      return { index, body: asMap ? null : { Node: null, Services: null }, filtered: true };
    }
    let filtered = false;
    const services = [...(state.services.get(key)?.values() ?? [])]
      .filter((s) => inScope(s, scope))
      .sort((a, b) => a.ID.localeCompare(b.ID))
      .filter((s) => {
        const ok = authz.allowed('service', s.Service, 'read');
        if (!ok) filtered = true;
        return ok;
      })
      .map(renderNodeService)
      .filter((s) => !predicate || predicate(s));
    if (asMap) {
      const map: Record<string, unknown> = {};
      for (const s of services) map[s.ID as string] = s;
      return { index, body: { Node: renderNode(node), Services: map }, filtered };
    }
    return { index, body: { Node: renderNode(node), Services: services }, filtered };
  }

  function nodeChecks(
    nodeName: string,
    authz: Authorizer,
    query: URLSearchParams,
    scope?: Scope,
  ): ReadResult {
    const predicate = filterOf(query);
    let filtered = false;
    const body = [...(state.checks.get(nodeKey(nodeName, scope?.partition))?.values() ?? [])]
      .filter((c) => inScope(c, scope))
      .sort((a, b) => a.CheckID.localeCompare(b.CheckID))
      .filter((c) => {
        const ok =
          authz.allowed('node', nodeName, 'read') &&
          (!c.ServiceName || authz.allowed('service', c.ServiceName, 'read'));
        if (!ok) filtered = true;
        return ok;
      })
      .map(renderCheck)
      .filter((c) => !predicate || predicate(c));
    return { index: state.tableIndex.checks, body, filtered };
  }

  function listNodes(authz: Authorizer, query: URLSearchParams, scope?: Scope): ReadResult {
    const predicate = filterOf(query);
    const nodeMeta = nodeMetaFilter(query);
    let filtered = false;
    const body = [...state.nodes.values()]
      .filter((n) => !scope || (n.Partition ?? 'default') === scope.partition)
      .sort((a, b) => a.Node.localeCompare(b.Node))
      .filter(nodeMeta)
      .filter((n) => {
        const ok = authz.allowed('node', n.Node, 'read');
        if (!ok) filtered = true;
        return ok;
      })
      .map(renderNode)
      .filter((n) => !predicate || predicate(n));
    return { index: state.nodesIndex(), body, filtered };
  }

  /** Holds the request until `compute().index` passes the requested index, or the wait ends. */
  function blockingRead(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    query: URLSearchParams,
    indexOf: () => number,
    compute: () => ReadResult,
    entry: RequestLogEntry,
  ): void {
    const { minIndex, waitMs } = blockingParams(query);
    const anonymous = tokenOf(req, query) === undefined;
    if (minIndex === 0 || indexOf() > minIndex) {
      const first = compute();
      entry.status = 200;
      send(res, 200, first.body, queryHeaders(first, anonymous));
      return;
    }
    entry.blocking = true;
    const timeoutMs = waitMs + (jitter ? Math.random() * (waitMs / 16) : 0);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      unsubscribe();
      blocked.delete(handle);
      req.socket.off('close', onClose);
    };
    const respond = () => {
      finish();
      try {
        const result = compute();
        entry.status = 200;
        send(res, 200, result.body, queryHeaders(result, anonymous));
      } catch (err) {
        entry.status = err instanceof HttpError ? err.status : 500;
        send(res, entry.status, (err as Error).message);
      }
    };
    const onClose = () => finish();
    const handle: Blocked = { cancel: finish };
    const timer = setTimeout(respond, timeoutMs);
    // Woken on a write to the watched data only (its index moves), or by an index reset.
    let lastSeen = state.lastIndex;
    const unsubscribe = state.onChange(() => {
      const reset = state.lastIndex < lastSeen;
      lastSeen = state.lastIndex;
      if (reset || indexOf() > minIndex) respond();
    });
    blocked.add(handle);
    req.socket.on('close', onClose);
  }

  // ------------------------------------------------------------------- writes

  function denied(authz: Authorizer, resource: 'service' | 'node', name: string): HttpError {
    return new HttpError(403, authz.denied(resource, name, 'write'));
  }

  function register(authz: Authorizer, body: unknown, viaApi: boolean, requested?: Scope): void {
    tenancy.refuseBodyFields(body, ['Service', 'Check']);
    const nodeScope = tenancy.writeScope(body, requested);
    const nodeId = nodeKey(readString(body, 'Node') ?? '', nodeScope?.partition);
    const serviceScope = tenancy.writeScope(field(body, 'Service'), requested, body);
    const nodeInput = readNodeInput(body);
    const nodeName = nodeInput.Node ?? '';
    nodeInput.Meta = (field(body, 'NodeMeta') as Record<string, string> | undefined) ?? {};
    delete nodeInput.ModifyIndex;
    const skipNodeUpdate = readBool(body, 'SkipNodeUpdate') ?? false;
    if (!nodeName) throw new HttpError(500, 'Must provide node');
    if (!nodeInput.Address && !skipNodeUpdate)
      throw new HttpError(500, 'Must provide address if SkipNodeUpdate is not set');
    const rawService = field(body, 'Service');
    let service: ServiceInput | undefined;
    if (rawService !== undefined && rawService !== null) {
      service = readServiceInput(rawService);
      delete service.ModifyIndex;
      if (!service.ID && service.Service) service.ID = service.Service;
      if (service.ID && !service.Service) {
        throw new HttpError(500, 'Must provide service name (Service.Service) when service ID is provided');
      }
      if (viaApi && service.Service && !authz.allowed('service', service.Service, 'write')) {
        throw denied(authz, 'service', service.Service);
      }
    }
    const checks: CheckInput[] = [];
    const checkScopes: Array<Scope | undefined> = [];
    const single = field(body, 'Check');
    if (single) {
      checks.push(readCheckInput(single));
      checkScopes.push(tenancy.writeScope(single, serviceScope));
    }
    const many = field(body, 'Checks');
    if (Array.isArray(many))
      for (const c of many) {
        checks.push(readCheckInput(c));
        checkScopes.push(tenancy.writeScope(c, serviceScope));
      }
    for (const check of checks) {
      if (!check.Node) check.Node = nodeName;
      if (!check.CheckID && check.Name) check.CheckID = check.Name;
      delete check.ModifyIndex;
    }

    if (viaApi) {
      // vetRegisterWithACL (agent/consul/catalog_endpoint.go)
      const existing = state.nodes.get(nodeId);
      const changesNode =
        !existing ||
        (!skipNodeUpdate &&
          ((nodeInput.ID !== undefined && nodeInput.ID !== existing.ID) ||
            (nodeInput.Address ?? '') !== existing.Address ||
            JSON.stringify(nodeInput.TaggedAddresses ?? {}) !== JSON.stringify(existing.TaggedAddresses) ||
            JSON.stringify(nodeInput.Meta ?? {}) !== JSON.stringify(existing.Meta)));
      if (changesNode && !authz.allowed('node', nodeName, 'write')) throw denied(authz, 'node', nodeName);
      if (service?.ID) {
        const other = state.services.get(nodeId)?.get(scopedId(service.ID, serviceScope?.namespace));
        if (other && !authz.allowed('service', other.Service, 'write'))
          throw new HttpError(403, 'Permission denied');
      }
      for (const check of checks) {
        if (check.Node !== nodeName) {
          throw new HttpError(
            500,
            `Node '${check.Node}' for check '${check.CheckID}' doesn't match register request node '${nodeName}'`,
          );
        }
        if (!check.ServiceID) {
          if (!authz.allowed('node', nodeName, 'write')) throw denied(authz, 'node', nodeName);
          continue;
        }
        if (service && service.ID === check.ServiceID) continue;
        const other = state.services.get(nodeId)?.get(scopedId(check.ServiceID, serviceScope?.namespace));
        if (!other)
          throw new HttpError(500, `Unknown service ID '${check.ServiceID}' for check ID '${check.CheckID}'`);
        if (!authz.allowed('service', other.Service, 'write')) throw denied(authz, 'service', other.Service);
      }
    }

    try {
      if (service && serviceScope) tenancy.requireNamespace(serviceScope);
      state.write((txn) => {
        if (!skipNodeUpdate)
          wrap('failed inserting node', () => txn.setNode(nodeInput, undefined, nodeScope));
        if (service)
          wrap('failed inserting service', () => txn.setService(nodeName, service!, undefined, serviceScope));
        checks.forEach((check, i) =>
          wrap('failed inserting check', () => txn.setCheck(check, undefined, checkScopes[i])),
        );
      });
    } catch (err) {
      if (err instanceof StateError) throw new HttpError(500, err.message);
      throw err;
    }
  }

  function wrap(prefix: string, fn: () => unknown): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof StateError) throw new StateError(`${prefix}: ${err.message}`);
      throw err;
    }
  }

  function deregister(authz: Authorizer, body: unknown, viaApi: boolean, requested?: Scope): void {
    tenancy.refuseBodyFields(body, []);
    const scope = tenancy.writeScope(body, requested);
    const nodeName = readString(body, 'Node') ?? '';
    const nodeId = nodeKey(nodeName, scope?.partition);
    const serviceId = readString(body, 'ServiceID') ?? '';
    const checkId = readString(body, 'CheckID') ?? '';
    if (!nodeName) throw new HttpError(500, 'Must provide node');
    if (viaApi && !authz.allowed('node', nodeName, 'write')) {
      // vetDeregisterWithACL: node write covers everything; otherwise the service/check's own rights.
      if (serviceId) {
        const svc = state.services.get(nodeId)?.get(scopedId(serviceId, scope?.namespace));
        if (!svc) throw new HttpError(500, `Unknown service ID '${serviceId}'`);
        if (!authz.allowed('service', svc.Service, 'write')) throw denied(authz, 'service', svc.Service);
      } else if (checkId) {
        const check = state.checks.get(nodeId)?.get(scopedId(checkId, scope?.namespace));
        if (!check) throw new HttpError(500, `Unknown check ID '${checkId}'`);
        if (check.ServiceID) {
          if (!authz.allowed('service', check.ServiceName, 'write'))
            throw denied(authz, 'service', check.ServiceName);
        } else {
          throw denied(authz, 'node', nodeName);
        }
      } else {
        throw denied(authz, 'node', nodeName);
      }
    }
    state.write((txn) => {
      if (serviceId) txn.deleteService(nodeName, serviceId, undefined, scope);
      else if (checkId) txn.deleteCheck(nodeName, checkId, undefined, scope);
      else txn.deleteNode(nodeName, undefined, scope);
    });
  }

  type TxnOpKind = 'Node' | 'Service' | 'Check';
  interface ParsedOp {
    kind: TxnOpKind;
    verb: string;
    raw: unknown;
    /** Enterprise: the op's `Namespace`/`Partition` (txn ops carry them; no query fallback). */
    scope: Scope | undefined;
  }

  const VERBS = new Set(['set', 'cas', 'get', 'delete', 'delete-cas']);

  function txn(authz: Authorizer, body: unknown, res: http.ServerResponse, entry: RequestLogEntry): void {
    if (!Array.isArray(body))
      throw new HttpError(
        400,
        'Failed to parse body: json: cannot unmarshal object into Go value of type api.TxnOps',
      );
    if (body.length > maxTxnOps) {
      throw new HttpError(413, `Transaction contains too many operations (${body.length} > ${maxTxnOps})`);
    }
    const errors: Array<{ OpIndex: number; What: string }> = [];
    const ops: Array<ParsedOp | undefined> = body.map((raw, i) => {
      const kinds = (['Node', 'Service', 'Check', 'KV', 'Session', 'Intention'] as const).filter(
        (k) => field(raw, k) !== undefined && field(raw, k) !== null,
      );
      const kind = kinds[0];
      if (kind === undefined) {
        errors.push({ OpIndex: i, What: 'unknown operation type' });
        return undefined;
      }
      if (kind !== 'Node' && kind !== 'Service' && kind !== 'Check') {
        errors.push({ OpIndex: i, What: `${kind} operations are not supported by the Consul double` });
        return undefined;
      }
      const inner = field(raw, kind);
      const verb = String(field(inner, 'Verb') ?? '');
      if (!VERBS.has(verb)) {
        errors.push({ OpIndex: i, What: `unknown ${kind.toLowerCase()} operation: ${verb}` });
        return undefined;
      }
      try {
        return { kind, verb, raw: inner, scope: tenancy.writeScope(field(inner, kind), undefined) };
      } catch (err) {
        if (!(err instanceof StateError)) throw err;
        errors.push({ OpIndex: i, What: err.message });
        return undefined;
      }
    });

    // preCheck (agent/consul/txn_endpoint.go): validation and ACLs, before anything is applied.
    ops.forEach((op, i) => {
      if (!op || op.verb === 'get') return;
      try {
        if (op.kind === 'Node') {
          const node = readNodeInput(field(op.raw, 'Node'));
          if (!node.Node) throw new StateError('Must provide node');
          if (!authz.allowed('node', node.Node, 'write'))
            throw new StateError(authz.denied('node', node.Node, 'write'));
        } else if (op.kind === 'Service') {
          const nodeName = readString(op.raw, 'Node') ?? '';
          const svc = readServiceInput(field(op.raw, 'Service'));
          const id = svc.ID || svc.Service || '';
          if (svc.ID && !svc.Service) {
            throw new StateError('Must provide service name (Service.Service) when service ID is provided');
          }
          if (op.scope) tenancy.requireNamespace(op.scope);
          const existing = state.services
            .get(nodeKey(nodeName, op.scope?.partition))
            ?.get(scopedId(id, op.scope?.namespace));
          if (existing && existing.Service !== svc.Service) {
            throw new StateError(
              `service name does not match existing service name for service ID "${id}" on node "${nodeName}"`,
            );
          }
          const name = svc.Service ?? '';
          if (!authz.allowed('service', name, 'write'))
            throw new StateError(authz.denied('service', name, 'write'));
        } else {
          const check = readCheckInput(field(op.raw, 'Check'));
          if (!check.CheckID && check.Name) check.CheckID = check.Name;
          const checkNode = nodeKey(check.Node ?? '', op.scope?.partition);
          const existing = state.checks
            .get(checkNode)
            ?.get(scopedId(check.CheckID ?? '', op.scope?.namespace));
          const serviceId = existing ? existing.ServiceID : (check.ServiceID ?? '');
          if (!serviceId) {
            if (!authz.allowed('node', check.Node ?? '', 'write')) {
              throw new StateError(authz.denied('node', check.Node ?? '', 'write'));
            }
          } else {
            const svc = state.services.get(checkNode)?.get(scopedId(serviceId, op.scope?.namespace));
            const name = svc?.Service ?? readString(field(op.raw, 'Check'), 'ServiceName') ?? '';
            if (!name)
              throw new StateError(`unknown service ID "${serviceId}" for check ID "${check.CheckID}"`);
            if (!authz.allowed('service', name, 'write'))
              throw new StateError(authz.denied('service', name, 'write'));
          }
        }
      } catch (err) {
        if (err instanceof StateError || err instanceof DecodeError)
          errors.push({ OpIndex: i, What: err.message });
        else throw err;
      }
    });
    if (errors.length) {
      entry.status = 409;
      send(res, 409, { Results: null, Errors: errors });
      return;
    }

    const results: unknown[] = [];
    const apply = (t: StateTxn) => {
      ops.forEach((op, i) => {
        try {
          const result = applyOp(t, op!);
          if (result) results.push(result);
        } catch (err) {
          if (err instanceof StateError || err instanceof DecodeError)
            errors.push({ OpIndex: i, What: err.message });
          else throw err;
        }
      });
      if (errors.length) throw new StateError('rolled back');
    };
    const readOnly = ops.every((op) => op!.verb === 'get');
    try {
      if (readOnly) {
        // Txn.Read: no raft apply, no index moves.
        ops.forEach((op, i) => {
          try {
            results.push(readOp(op!));
          } catch (err) {
            if (err instanceof StateError) errors.push({ OpIndex: i, What: err.message });
            else throw err;
          }
        });
        if (errors.length) throw new StateError('failed');
      } else {
        state.write(apply);
      }
    } catch (err) {
      if (!(err instanceof StateError)) throw err;
      entry.status = 409;
      send(res, 409, { Results: null, Errors: errors });
      return;
    }
    entry.status = 200;
    const headers: Record<string, string> = readOnly
      ? { 'X-Consul-KnownLeader': 'true', 'X-Consul-LastContact': '0' }
      : {};
    send(res, 200, { Results: results, Errors: null }, headers);
  }

  function readOp(op: ParsedOp): unknown {
    if (op.kind === 'Node') {
      const node = readNodeInput(field(op.raw, 'Node'));
      const found = state.nodes.get(nodeKey(node.Node ?? '', op.scope?.partition));
      if (!found) throw new StateError(`node "${node.Node ?? ''}" doesn't exist`);
      return { Node: renderNode(found) };
    }
    if (op.kind === 'Service') {
      const nodeName = readString(op.raw, 'Node') ?? '';
      const svc = readServiceInput(field(op.raw, 'Service'));
      const found = state.services
        .get(nodeKey(nodeName, op.scope?.partition))
        ?.get(scopedId(svc.ID ?? '', op.scope?.namespace));
      if (!found) throw new StateError(`service "${svc.ID ?? ''}" on node "${nodeName}" doesn't exist`);
      return { Service: renderNodeService(found) };
    }
    const check = readCheckInput(field(op.raw, 'Check'));
    const found = state.checks
      .get(nodeKey(check.Node ?? '', op.scope?.partition))
      ?.get(scopedId(check.CheckID ?? '', op.scope?.namespace));
    if (!found)
      throw new StateError(`check "${check.CheckID ?? ''}" on node "${check.Node ?? ''}" doesn't exist`);
    return { Check: renderCheck(found) };
  }

  function applyOp(t: StateTxn, op: ParsedOp): unknown {
    if (op.verb === 'get') return readOp(op);
    const cas = op.verb === 'cas' || op.verb === 'delete-cas';
    const isDelete = op.verb === 'delete' || op.verb === 'delete-cas';
    if (op.kind === 'Node') {
      const node = readNodeInput(field(op.raw, 'Node'));
      const index = cas ? (node.ModifyIndex ?? 0) : undefined;
      if (isDelete) {
        t.deleteNode(node.Node ?? '', index, op.scope);
        return undefined;
      }
      return { Node: renderNode(t.setNode(node, index, op.scope)) };
    }
    if (op.kind === 'Service') {
      const nodeName = readString(op.raw, 'Node') ?? '';
      const svc = readServiceInput(field(op.raw, 'Service'));
      const index = cas ? (svc.ModifyIndex ?? 0) : undefined;
      if (isDelete) {
        t.deleteService(nodeName, svc.ID || svc.Service || '', index, op.scope);
        return undefined;
      }
      return { Service: renderNodeService(t.setService(nodeName, svc, index, op.scope)) };
    }
    const check = readCheckInput(field(op.raw, 'Check'));
    if (!check.CheckID && check.Name) check.CheckID = check.Name;
    const index = cas ? (check.ModifyIndex ?? 0) : undefined;
    if (isDelete) {
      t.deleteCheck(check.Node ?? '', check.CheckID ?? '', index, op.scope);
      return undefined;
    }
    return { Check: renderCheck(t.setCheck(check, index, op.scope)) };
  }

  // ------------------------------------------------------------------ routing

  async function readBody(req: http.IncomingMessage, entry: RequestLogEntry): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      entry.bodyBytes = size;
      if (size > MAX_BODY_BYTES) throw new HttpError(413, 'Request body too large');
      chunks.push(chunk as Buffer);
    }
    // agent/txn_endpoint.go: the txn body limit (limits.txn_max_req_len), checked before decoding.
    if (entry.path === '/v1/txn' && size > maxTxnBytes) {
      throw new HttpError(
        413,
        `Request body(${size} bytes) too large, max size: ${maxTxnBytes} bytes. See https://developer.hashicorp.com/consul/docs/agent/config/config-files#txn_max_req_len.`,
      );
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new DecodeError((err as Error).message);
    }
  }

  const READ_ROUTES: Array<{
    pattern: RegExp;
    /** The index the read covers (cheap: checked on every write while a query is held). */
    index: (name: string) => number;
    read: (authz: Authorizer, query: URLSearchParams, name: string, scope: Scope | undefined) => ReadResult;
  }> = [
    {
      pattern: /^\/v1\/catalog\/services$/,
      index: () => state.servicesIndex(),
      read: (a, q, _n, s) => listServices(a, q, s),
    },
    {
      pattern: /^\/v1\/catalog\/service\/(.+)$/,
      index: (n) => state.serviceNameIndex(n, false),
      read: (a, q, n, s) => serviceNodes(n, a, q, s),
    },
    {
      pattern: /^\/v1\/catalog\/node-services\/(.+)$/,
      index: () => state.catalogIndex(),
      read: (a, q, n, s) => nodeServices(n, a, q, false, s),
    },
    {
      pattern: /^\/v1\/catalog\/node\/(.+)$/,
      index: () => state.catalogIndex(),
      read: (a, q, n, s) => nodeServices(n, a, q, true, s),
    },
    {
      pattern: /^\/v1\/catalog\/nodes$/,
      index: () => state.nodesIndex(),
      read: (a, q, _n, s) => listNodes(a, q, s),
    },
    {
      pattern: /^\/v1\/health\/service\/(.+)$/,
      index: (n) => state.serviceNameIndex(n, true),
      read: (a, q, n, s) => healthService(n, a, q, s),
    },
    {
      pattern: /^\/v1\/health\/node\/(.+)$/,
      index: () => state.tableIndex.checks,
      read: (a, q, n, s) => nodeChecks(n, a, q, s),
    },
  ];

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://consul');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const query = url.searchParams;
    const entry: RequestLogEntry = {
      method,
      path,
      query: Object.fromEntries(query),
      status: 0,
      write: false,
      hasToken: tokenOf(req, query) !== undefined,
      blocking: false,
      bodyBytes: 0,
    };
    delete entry.query.token;
    log.push(entry);
    try {
      let body: unknown;
      let bodyError: DecodeError | undefined;
      if (method === 'PUT' || method === 'POST') {
        try {
          body = await readBody(req, entry);
        } catch (err) {
          if (err instanceof DecodeError) bodyError = err;
          else throw err;
        }
      }
      entry.write = isWriteRequest(method, path, body);

      const failure = failures.find(
        (f) => f.remaining > 0 && (!f.match || f.match({ method, path, write: entry.write })),
      );
      if (failure) {
        failure.remaining--;
        failures = failures.filter((f) => f.remaining > 0);
        throw new HttpError(failure.status ?? 500, failure.body ?? 'No cluster leader');
      }
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      if (res.destroyed) return;

      checkDatacenter(query);
      if (path === '/v1/acl/login' || path === '/v1/acl/logout') {
        if (method !== 'POST') throw new HttpError(405, `method ${method} not allowed`);
        if (bodyError) throw new HttpError(400, `Failed to decode request body: ${bodyError.message}`);
        const answer = path === '/v1/acl/login' ? acl.login(body, query) : acl.logout(tokenOf(req, query));
        entry.status = answer.status;
        return send(res, answer.status, answer.body);
      }
      const resolved = acl.resolve(tokenOf(req, query));
      if (resolved === ACL_NOT_FOUND) throw new HttpError(403, ACL_NOT_FOUND);
      const authz = resolved;
      const scope = tenancy.requestScope(path, query, req);
      const answer = (status: number, payload: unknown) => {
        entry.status = status;
        send(res, status, payload);
      };
      if (tenancy.route(method, path, body, scope, answer)) return;

      if (path === '/v1/status/leader') {
        if (method !== 'GET') throw new HttpError(405, `method ${method} not allowed`);
        entry.status = 200;
        return send(res, 200, `${host}:8300`);
      }
      if (path === '/v1/catalog/datacenters') {
        entry.status = 200;
        return send(res, 200, [datacenter]);
      }
      for (const route of READ_ROUTES) {
        const match = route.pattern.exec(path);
        if (!match) continue;
        if (method !== 'GET') throw new HttpError(405, `method ${method} not allowed`);
        const name = match[1] === undefined ? '' : decodeURIComponent(match[1]);
        blockingParams(query);
        filterOf(query);
        return blockingRead(
          req,
          res,
          query,
          () => route.index(name),
          () => route.read(authz, query, name, scope),
          entry,
        );
      }
      if (path === '/v1/catalog/register' || path === '/v1/catalog/deregister' || path === '/v1/txn') {
        if (method !== 'PUT') throw new HttpError(405, `method ${method} not allowed`);
        if (bodyError) {
          throw new HttpError(
            400,
            path === '/v1/txn'
              ? `Failed to parse body: ${bodyError.message}`
              : `Request decode failed: ${bodyError.message}`,
          );
        }
        try {
          if (path === '/v1/txn') return txn(authz, body, res, entry);
          if (path === '/v1/catalog/register') register(authz, body ?? {}, true, scope);
          else deregister(authz, body ?? {}, true, scope);
        } catch (err) {
          if (err instanceof DecodeError) throw new HttpError(400, `Request decode failed: ${err.message}`);
          throw err;
        }
        entry.status = 200;
        return send(res, 200, true);
      }
      throw new HttpError(404, '404 page not found');
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : `internal error: ${(err as Error).message}`;
      entry.status = status;
      send(res, status, message);
    }
  }

  // ---------------------------------------------------------------- lifecycle

  async function listen(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void handle(req, res);
    const created = secure
      ? https.createServer(
          {
            key: options.tls!.key,
            cert: options.tls!.cert,
            ...(options.tls!.ca ? { ca: options.tls!.ca } : {}),
            requestCert: options.tls!.requestCert ?? false,
            rejectUnauthorized: options.tls!.requestCert ?? false,
          },
          handler,
        )
      : http.createServer(handler);
    created.keepAliveTimeout = 30_000;
    created.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      created.once('error', reject);
      created.listen(port, host, () => {
        created.off('error', reject);
        resolve();
      });
    });
    port = (created.address() as AddressInfo).port;
    server = created;
  }

  async function stop(): Promise<void> {
    const current = server;
    if (!current) return;
    server = undefined;
    for (const b of [...blocked]) b.cancel();
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  }

  await listen();

  const scheme = secure ? 'https' : 'http';
  const double: ConsulDouble = {
    get address() {
      return `${host}:${port}`;
    },
    host,
    get port() {
      return port;
    },
    get url() {
      return `${scheme}://${host}:${port}`;
    },
    secure,
    env(token?: string) {
      const env: Record<string, string> = { CONSUL_HTTP_ADDR: `${scheme}://${host}:${port}` };
      if (token) env.CONSUL_HTTP_TOKEN = token;
      return env;
    },
    state,
    acl,
    seed: {
      register: (body) => register(acl.resolve(undefined) as Authorizer, body, false),
      deregister: (body) => deregister(acl.resolve(undefined) as Authorizer, body, false),
      clear: () => state.clear(),
    },
    faults: {
      failNext(count, failOptions = {}) {
        if (count > 0) failures.push({ remaining: count, ...failOptions });
      },
      setLatency(ms) {
        latencyMs = Math.max(0, ms);
      },
      resetIndex(to = 1) {
        state.resetIndex(to);
      },
      clear() {
        failures = [];
        latencyMs = 0;
      },
    },
    requests: {
      get entries() {
        return log;
      },
      writes: () => log.filter((e) => e.write),
      count: (predicate) => (predicate ? log.filter(predicate).length : log.length),
      clear: () => {
        log.length = 0;
      },
    },
    blockedQueries: () => blocked.size,
    get running() {
      return server !== undefined;
    },
    stop,
    async restart() {
      await stop();
      await listen();
    },
  };
  return double;
}
