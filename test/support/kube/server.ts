import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import {
  findResource,
  RESOURCES,
  resourceOfObject,
  apiVersionOf,
  type KubeObject,
  type ResourceType,
} from './resources';
import { compileSelectors, Store } from './store';
import {
  badRequest,
  expired,
  internalError,
  methodNotAllowed,
  notFound,
  StatusError,
  tooManyRequests,
  unauthorized,
  unsupportedMediaType,
} from './status';
import { PATCH_TYPES } from './patch';
import { makeTestCertificates } from './tls';
import { WatchStream } from './watch';
import { isPagedList, pagedListJson } from './paging';

export interface KubeDoubleOptions {
  /** Serve HTTPS with a CA made at start-up (the kubeconfig carries the CA). Default false. */
  tls?: boolean;
  /** Bearer token clients must send; `false` disables authentication. Default: a random token. */
  token?: string | false;
  /** How many changes watches can resume from; older resourceVersions get 410. Default 10 000. */
  historyLimit?: number;
  /** Period of BOOKMARK events on watches that allow them. Default 60 s, like the real server. */
  bookmarkIntervalMs?: number;
  /** Namespaced writes over HTTP into a missing namespace fail with 404, as on a real cluster. Default true. */
  requireNamespaces?: boolean;
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'discovery';

export interface RequestRecord {
  method: string;
  path: string;
  verb: Verb;
  resource?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** 0 while the request is in flight (open watches). */
  status: number;
}

export interface FailureOptions {
  /** HTTP status to answer: 500 (InternalError, default), 429 (TooManyRequests), 503... */
  status?: number;
  /** For 429: the Retry-After header and Status details. Default 1. */
  retryAfterSeconds?: number;
  /** Only requests for which this returns true count; default: every request. */
  match?: (request: { method: string; path: string; verb: Verb; resource?: string }) => boolean;
}

interface Route {
  resource: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: 'status';
}

interface PendingFailure extends FailureOptions {
  remaining: number;
}

const MAX_BODY = 3 * 1024 * 1024;
const MAX_LOG = 100_000;
const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * An in-process Kubernetes API server for tests: see README.md next to this file.
 * Start with `await KubeDouble.start()`, point clients at `double.kubeConfig()`, `await double.close()`.
 */
export class KubeDouble {
  readonly store: Store;
  private readonly server: http.Server;
  private readonly watches = new Set<WatchStream>();
  private readonly held = new Set<() => void>();
  private failures: PendingFailure[] = [];
  private latencyMs = 0;
  private paused = false;
  private bookmarkTimer: NodeJS.Timeout | undefined;
  private readonly log: RequestRecord[] = [];
  private baseUrl = '';

  private constructor(
    private readonly options: KubeDoubleOptions,
    readonly token: string | undefined,
    readonly caPem: string | undefined,
    tlsMaterial: { certPem: string; keyPem: string } | undefined,
  ) {
    this.store = new Store(options.historyLimit ?? 10_000);
    this.store.onChange((change) => {
      for (const watch of this.watches) watch.deliver(change);
    });
    for (const name of DEFAULT_NAMESPACES)
      this.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => void this.handle(req, res);
    this.server = tlsMaterial
      ? https.createServer(
          { key: tlsMaterial.keyPem, cert: tlsMaterial.certPem, minVersion: 'TLSv1.2' },
          handler,
        )
      : http.createServer(handler);
    this.server.keepAliveTimeout = 120_000;
  }

  /** Starts on 127.0.0.1 and a random port. */
  static async start(options: KubeDoubleOptions = {}): Promise<KubeDouble> {
    const token =
      options.token === false
        ? undefined
        : (options.token ?? `kube-double-${Math.random().toString(36).slice(2)}`);
    const certs = options.tls ? makeTestCertificates() : undefined;
    const double = new KubeDouble(options, token, certs?.caPem, certs);
    await new Promise<void>((resolve, reject) => {
      double.server.once('error', reject);
      double.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = double.server.address() as AddressInfo;
    double.baseUrl = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    double.bookmarkTimer = setInterval(() => double.sendBookmarks(), options.bookmarkIntervalMs ?? 60_000);
    double.bookmarkTimer.unref();
    return double;
  }

  get url(): string {
    return this.baseUrl;
  }

  /** A KubeConfig for this server: bearer token, and the CA (or skipTLSVerify) over HTTPS. */
  kubeConfig(options: { skipTLSVerify?: boolean } = {}): KubeConfig {
    const kc = new KubeConfig();
    const cluster: { name: string; server: string; skipTLSVerify: boolean; caData?: string } = {
      name: 'kube-double',
      server: this.url,
      // client-node refuses plain http:// servers unless skipTLSVerify is set.
      skipTLSVerify: options.skipTLSVerify ?? !this.caPem,
    };
    if (this.caPem && !options.skipTLSVerify) cluster.caData = Buffer.from(this.caPem).toString('base64');
    kc.loadFromClusterAndUser(
      cluster,
      this.token ? { name: 'kube-double-user', token: this.token } : { name: 'kube-double-user' },
    );
    return kc;
  }

  /** Writes a kubeconfig file (for `--kubeconfig` / $KUBECONFIG in CLI tests). */
  writeKubeconfig(file: string, options: { skipTLSVerify?: boolean } = {}): void {
    fs.writeFileSync(file, this.kubeConfig(options).exportConfig(), { mode: 0o600 });
  }

  // ---- direct API: act as another client, bypassing auth, faults and latency ----

  /** Creates an object (its kind/apiVersion pick the resource); a missing namespace is created too. */
  create<T extends object>(input: T): T {
    const obj = input as KubeObject;
    const resource = this.resourceOf(obj);
    const namespace = obj.metadata?.namespace;
    if (resource.namespaced) this.ensureNamespace(namespace ?? 'default');
    return this.store.create(resource, resource.namespaced ? (namespace ?? 'default') : undefined, obj) as T;
  }

  /** Replaces an object; a metadata.resourceVersion in it is checked (409), none means unconditional. */
  update<T extends object>(input: T): T {
    const obj = input as KubeObject;
    const resource = this.resourceOf(obj);
    return this.store.update(resource, this.namespaceOf(resource, obj), obj.metadata?.name ?? '', obj) as T;
  }

  /** Replaces only the status (for Services: load balancer ingress). */
  updateStatus<T extends object>(input: T): T {
    const obj = input as KubeObject;
    const resource = this.resourceOf(obj);
    return this.store.update(
      resource,
      this.namespaceOf(resource, obj),
      obj.metadata?.name ?? '',
      obj,
      'status',
    ) as T;
  }

  /** Creates or replaces (ignoring resourceVersion): "make it so". */
  apply<T extends object>(input: T): T {
    const obj = input as KubeObject;
    const resource = this.resourceOf(obj);
    const namespace = this.namespaceOf(resource, obj);
    if (!this.store.has(resource, namespace, obj.metadata?.name ?? '')) return this.create(input);
    const copy = { ...obj, metadata: { ...obj.metadata } };
    delete copy.metadata.resourceVersion;
    return this.store.update(resource, namespace, obj.metadata?.name ?? '', copy) as T;
  }

  /** Deletes; `kind` is a plural (`services`) or a Kind (`Service`). Throws 404 Status when absent. */
  delete(kind: string, namespace: string | undefined, name: string): KubeObject {
    const resource = this.resourceNamed(kind);
    return this.store.delete(resource, resource.namespaced ? namespace : undefined, name);
  }

  get<T = KubeObject>(kind: string, namespace: string | undefined, name: string): T | undefined {
    const resource = this.resourceNamed(kind);
    const ns = resource.namespaced ? namespace : undefined;
    return this.store.has(resource, ns, name) ? (this.store.get(resource, ns, name) as T) : undefined;
  }

  list<T = KubeObject>(kind: string, namespace?: string, labelSelector?: string): T[] {
    const resource = this.resourceNamed(kind);
    return this.store.list(resource, namespace, labelSelector).items.map((s) => JSON.parse(s.json) as T);
  }

  /** The current global resourceVersion (as a list would return it). */
  resourceVersion(): string {
    return String(this.store.resourceVersion);
  }

  // ---- fault controls ----

  /** The next `count` matching requests fail with a proper Status (500 by default, or 429 + Retry-After). */
  failNext(count: number, options: FailureOptions = {}): void {
    this.failures.push({ ...options, remaining: count });
  }

  /** Delay added before every HTTP answer (watches: before the stream opens). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Ends every open watch: cleanly (as a server timeout does) or, with abrupt, by resetting the connection. */
  dropWatches(options: { abrupt?: boolean } = {}): void {
    for (const watch of this.watches) {
      if (options.abrupt) watch.destroy();
      else watch.end();
    }
    this.watches.clear();
  }

  /** Drops every watch and holds new watch requests (unanswered) until `resumeWatches()`. */
  pauseWatches(): void {
    this.paused = true;
    this.dropWatches();
  }

  resumeWatches(): void {
    this.paused = false;
    const held = [...this.held];
    this.held.clear();
    for (const start of held) start();
  }

  /** Compacts all history: a watch resuming from an older resourceVersion gets ERROR 410 Expired. */
  expireHistory(): void {
    this.store.expireHistory();
  }

  /** Sends a BOOKMARK with the current resourceVersion on every watch that allows bookmarks. */
  sendBookmarks(): void {
    for (const watch of this.watches) watch.bookmark(this.store.resourceVersion);
  }

  /** Open watch streams (held ones not counted). */
  get watchCount(): number {
    let open = 0;
    for (const watch of this.watches) if (watch.isOpen) open++;
    return open;
  }

  /** Watch requests waiting for `resumeWatches()`. */
  get heldWatchCount(): number {
    return this.held.size;
  }

  /** HTTP requests served, oldest first (bounded to the last 100 000). */
  get requests(): readonly RequestRecord[] {
    return this.log;
  }

  clearRequests(): void {
    this.log.length = 0;
  }

  async close(): Promise<void> {
    clearInterval(this.bookmarkTimer);
    this.held.clear();
    this.dropWatches({ abrupt: true });
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- HTTP ----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    const method = req.method ?? 'GET';
    const record: RequestRecord = { method, path: url.pathname, verb: 'discovery', status: 0 };
    this.remember(record);
    const settle = (): void => {
      if (record.status === 0) record.status = res.statusCode;
    };
    res.on('finish', settle);
    res.on('close', settle);
    try {
      if (this.token !== undefined && req.headers.authorization !== `Bearer ${this.token}`)
        throw unauthorized();
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      const discovery = this.discovery(url.pathname);
      if (discovery) {
        this.takeFailure(record);
        return sendJson(res, 200, discovery);
      }
      const route = parseRoute(url.pathname);
      record.resource = route.resource.plural;
      if (route.namespace !== undefined) record.namespace = route.namespace;
      if (route.name !== undefined) record.name = route.name;
      if (route.subresource) record.subresource = route.subresource;
      record.verb = verbOf(method, route, url.searchParams);
      this.takeFailure(record);
      const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) ? await readBody(req) : undefined;
      await this.serve(record.verb, route, url.searchParams, req, res, body);
    } catch (error) {
      const status =
        error instanceof StatusError
          ? error
          : internalError(error instanceof Error ? error.message : String(error));
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (status.code === 429) res.setHeader('Retry-After', String(status.details?.retryAfterSeconds ?? 1));
      sendJson(res, status.code, status.toStatus());
    }
  }

  private async serve(
    verb: Verb,
    route: Route,
    query: URLSearchParams,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: unknown,
  ): Promise<void> {
    const { resource, namespace, name, subresource } = route;
    const store = this.store;
    switch (verb) {
      case 'get':
        return sendJson(res, 200, store.get(resource, namespace, name ?? ''));
      case 'list':
        if (isPagedList(query)) {
          const list = store.list(
            resource,
            namespace,
            query.get('labelSelector') ?? undefined,
            query.get('fieldSelector') ?? undefined,
          );
          return sendRaw(res, 200, pagedListJson(resource, list, query, store.oldestResumableVersion));
        }
        return sendRaw(
          res,
          200,
          store.listJson(
            resource,
            namespace,
            query.get('labelSelector') ?? undefined,
            query.get('fieldSelector') ?? undefined,
          ),
        );
      case 'watch':
        return this.watch(route, query, req, res);
      case 'create':
        this.checkNamespace(resource, namespace);
        return sendJson(res, 201, store.create(resource, namespace, asBody(body)));
      case 'update':
        return sendJson(res, 200, store.update(resource, namespace, name ?? '', asBody(body), subresource));
      case 'patch': {
        const type = req.headers['content-type'] ?? '';
        if (!Object.values(PATCH_TYPES).some((t) => type.startsWith(t))) throw unsupportedMediaType(type);
        return sendJson(res, 200, store.patch(resource, namespace, name ?? '', type, body, subresource));
      }
      case 'delete': {
        const options = (body ?? {}) as { preconditions?: { resourceVersion?: string; uid?: string } };
        return sendJson(res, 200, store.delete(resource, namespace, name ?? '', options.preconditions ?? {}));
      }
      default:
        throw methodNotAllowed();
    }
  }

  private watch(
    route: Route,
    query: URLSearchParams,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): void {
    const { resource, namespace } = route;
    let fieldSelector = query.get('fieldSelector') ?? undefined;
    // A watch on one object (GET .../name?watch=1) is a watch with a name field selector.
    if (route.name) fieldSelector = [fieldSelector, `metadata.name=${route.name}`].filter(Boolean).join(',');
    const matches = compileSelectors(resource, query.get('labelSelector') ?? undefined, fieldSelector);
    const rvParam = query.get('resourceVersion') ?? '';
    if (rvParam !== '' && !/^\d+$/.test(rvParam))
      throw badRequest(`resourceVersion: Invalid value: "${rvParam}": must be an integer`);
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
    const allowBookmarks =
      query.get('allowWatchBookmarks') === 'true' || query.get('allowWatchBookmarks') === '1';

    const open = (): void => {
      if (req.destroyed || res.writableEnded) return;
      if (this.paused) {
        this.held.add(open);
        req.once('close', () => this.held.delete(open));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
      res.flushHeaders();
      const startRv = rvParam === '' || rvParam === '0' ? this.store.resourceVersion : Number(rvParam);
      const stream = new WatchStream(res, resource, namespace, matches, allowBookmarks, startRv);
      if (rvParam === '' || rvParam === '0') {
        // "Get state and start at most recent": synthetic ADDED for everything, then changes.
        for (const item of this.store.list(resource, namespace).items)
          if (matches(item.view)) stream.sendInitial(item.json);
      } else {
        const changes = this.store.changesSince(startRv);
        if (!changes) {
          stream.error(expired(startRv, this.store.oldestResumableVersion).toStatus());
          stream.end();
          return;
        }
        for (const change of changes) stream.deliver(change);
      }
      this.watches.add(stream);
      res.once('close', () => this.watches.delete(stream));
      if (timeoutSeconds > 0) {
        const timer = setTimeout(() => {
          stream.bookmark(this.store.resourceVersion);
          stream.end();
          this.watches.delete(stream);
        }, timeoutSeconds * 1000);
        res.once('close', () => clearTimeout(timer));
      }
    };
    open();
  }

  private discovery(path: string): object | undefined {
    const trimmed = path.replace(/\/+$/, '');
    if (trimmed === '/version')
      return { major: '1', minor: '32', gitVersion: 'v1.32.0-kube-double', platform: 'linux/amd64' };
    if (trimmed === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
    if (trimmed === '/apis') {
      const groups = [...new Set(RESOURCES.filter((r) => r.group).map((r) => `${r.group}/${r.version}`))].map(
        (gv) => {
          const [group = '', version = ''] = gv.split('/');
          return {
            name: group,
            versions: [{ groupVersion: gv, version }],
            preferredVersion: { groupVersion: gv, version },
          };
        },
      );
      return { kind: 'APIGroupList', apiVersion: 'v1', groups };
    }
    const gv = /^\/api\/(v1)$/.exec(trimmed) ? 'v1' : /^\/apis\/([^/]+\/[^/]+)$/.exec(trimmed)?.[1];
    if (!gv) return undefined;
    const resources = RESOURCES.filter((r) => apiVersionOf(r) === gv);
    if (resources.length === 0) return undefined;
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: gv,
      resources: resources.map((r) => ({
        name: r.plural,
        singularName: r.kind.toLowerCase(),
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      })),
    };
  }

  private takeFailure(record: RequestRecord): void {
    const request = {
      method: record.method,
      path: record.path,
      verb: record.verb,
      ...(record.resource ? { resource: record.resource } : {}),
    };
    const failure = this.failures.find((f) => f.remaining > 0 && (!f.match || f.match(request)));
    if (!failure) return;
    failure.remaining -= 1;
    this.failures = this.failures.filter((f) => f.remaining > 0);
    const status = failure.status ?? 500;
    if (status === 429) throw tooManyRequests(failure.retryAfterSeconds ?? 1);
    if (status === 500) throw internalError('injected failure (kube double)');
    throw new StatusError(
      status,
      status === 503 ? 'ServiceUnavailable' : 'InternalError',
      `injected failure (kube double): HTTP ${status}`,
    );
  }

  private checkNamespace(resource: ResourceType, namespace: string | undefined): void {
    if (!resource.namespaced || this.options.requireNamespaces === false || namespace === undefined) return;
    const namespaces = findResource('namespaces');
    if (namespaces && !this.store.has(namespaces, undefined, namespace))
      throw notFound(namespaces, namespace);
  }

  private ensureNamespace(namespace: string): void {
    const namespaces = findResource('namespaces');
    if (namespaces && !this.store.has(namespaces, undefined, namespace)) {
      this.store.create(namespaces, undefined, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace },
      });
    }
  }

  private resourceOf(obj: KubeObject): ResourceType {
    const resource = resourceOfObject(obj);
    if (!resource)
      throw new Error(`kube double: unsupported object ${String(obj.apiVersion)}/${String(obj.kind)}`);
    return resource;
  }

  private resourceNamed(kind: string): ResourceType {
    const lower = kind.toLowerCase();
    const resource = RESOURCES.find((r) => r.plural === lower || r.kind.toLowerCase() === lower);
    if (!resource) throw new Error(`kube double: unsupported resource ${kind}`);
    return resource;
  }

  private namespaceOf(resource: ResourceType, obj: KubeObject): string | undefined {
    return resource.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined;
  }

  private remember(record: RequestRecord): void {
    this.log.push(record);
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
  }
}

/** /api/v1/..., /apis/GROUP/VERSION/...: cluster-wide and namespaced collections and objects. */
export function parseRoute(path: string): Route {
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] ?? '';
    const version = parts[2];
    if (!RESOURCES.some((r) => r.group === group && r.version === version)) throw pathNotFound();
    rest = parts.slice(3);
  } else {
    throw pathNotFound();
  }
  const find = (plural: string | undefined): ResourceType => {
    const resource = plural === undefined ? undefined : findResource(plural, group);
    if (!resource) throw pathNotFound();
    return resource;
  };
  // namespaces/NS/PLURAL[/NAME[/status]] (but namespaces/NAME/status is the Namespace's status)
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && rest[2] === 'status' && group === '')
  ) {
    const resource = find(rest[2]);
    if (!resource.namespaced || rest.length > 5 || (rest.length === 5 && rest[4] !== 'status'))
      throw pathNotFound();
    return withOptional({ resource, namespace: rest[1] }, rest[3], rest[4]);
  }
  const resource = find(rest[0]);
  if (rest.length > 3 || (rest.length === 3 && rest[2] !== 'status')) throw pathNotFound();
  if (resource.namespaced && rest.length > 1) throw pathNotFound();
  return withOptional({ resource }, rest[1], rest[2]);
}

function withOptional(route: Route, name: string | undefined, subresource: string | undefined): Route {
  if (name !== undefined) route.name = name;
  if (subresource === 'status') route.subresource = 'status';
  return route;
}

function verbOf(method: string, route: Route, query: URLSearchParams): Verb {
  const watch = query.get('watch');
  const isWatch = watch === 'true' || watch === '1';
  switch (method) {
    case 'GET':
      if (isWatch) return 'watch';
      return route.name === undefined ? 'list' : 'get';
    case 'POST':
      if (route.name !== undefined || (route.resource.namespaced && route.namespace === undefined))
        throw methodNotAllowed();
      return 'create';
    case 'PUT':
      if (route.name === undefined) throw methodNotAllowed();
      return 'update';
    case 'PATCH':
      if (route.name === undefined) throw methodNotAllowed();
      return 'patch';
    case 'DELETE':
      if (route.name === undefined) throw methodNotAllowed();
      return 'delete';
    default:
      throw methodNotAllowed();
  }
}

const pathNotFound = (): StatusError =>
  new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});

function asBody(body: unknown): KubeObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('the request body must be a JSON object');
  return body as KubeObject;
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new StatusError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(
      `the request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  sendRaw(res, status, JSON.stringify(body));
}

function sendRaw(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
