/**
 * Namespaces and admin partitions for the Consul double. OSS mode answers as a real OSS Consul
 * 1.16.1 does (measured): `ns`/`partition` query parameters refused with 400 on catalog and
 * health endpoints (`ns` ignored by /catalog/nodes, both ignored by /txn), `Namespace`/`Partition`
 * body fields refused by register/deregister and ignored inside txn ops, and no /v1/namespace*
 * routes (404). Enterprise mode scopes reads and writes as Consul Enterprise's HTTP API documents
 * (https://developer.hashicorp.com/consul/api-docs/namespaces): `ns` (`*` on reads) and
 * `partition` parameters, `Namespace`/`Partition` fields, namespaces that must exist.
 */
import type http from 'node:http';
import { field } from './render';
import {
  DEFAULT_TENANCY,
  nodeKey,
  StateError,
  type CatalogState,
  type NamespaceRecord,
  type Scope,
} from './state';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const WILDCARD = '*';
const NO_ROUTE = 'Invalid URL path: not a recognized HTTP API endpoint';
const NS_PARAM = 'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature';
const PARTITION_PARAM = 'Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature';
const NS_HEADER = 'Invalid header: "X-Consul-Namespace" - Namespaces are a Consul Enterprise feature';
const NS_FIELD =
  'Request decode failed: json: unknown field "Namespace" - Namespaces are a Consul Enterprise feature';
const PARTITION_FIELD = 'Request decode failed: json: unknown field "Partition"';
const NAMESPACE_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

/** Does a record (OSS records carry no fields: the defaults) fall in the scope (`*`: any namespace)? */
export function inScope(
  record: { Namespace?: string; Partition?: string },
  scope: Scope | undefined,
): boolean {
  if (!scope) return true;
  if ((record.Partition ?? DEFAULT_TENANCY) !== scope.partition) return false;
  return scope.namespace === WILDCARD || (record.Namespace ?? DEFAULT_TENANCY) === scope.namespace;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export class Tenancy {
  constructor(
    readonly enterprise: boolean,
    private readonly state: CatalogState,
    partitions: readonly string[] = [],
  ) {
    if (!enterprise) return;
    for (const partition of [DEFAULT_TENANCY, ...partitions]) {
      state.write((txn) =>
        txn.putNamespace({
          Name: DEFAULT_TENANCY,
          Description: 'Builtin Default Namespace',
          Partition: partition,
        }),
      );
    }
  }

  private partitionExists(partition: string): boolean {
    return this.state.namespaces.has(nodeKey(DEFAULT_TENANCY, partition));
  }

  /** Throws when the namespace (in the partition) does not exist; Consul's wording. */
  requireNamespace(scope: Scope): void {
    if (!this.partitionExists(scope.partition))
      throw new StateError(`Partition "${scope.partition}" does not exist`);
    if (!this.state.namespaces.has(nodeKey(scope.namespace, scope.partition)))
      throw new StateError(`Namespace "${scope.namespace}" does not exist`);
  }

  /**
   * The scope of a request from its `ns`/`partition` parameters and `X-Consul-Namespace` header;
   * undefined in OSS mode (after refusing them as OSS does).
   */
  requestScope(path: string, query: URLSearchParams, req: http.IncomingMessage): Scope | undefined {
    const ns = query.get('ns') || (req.headers['x-consul-namespace'] as string | undefined) || undefined;
    const partition = query.get('partition') || undefined;
    if (!this.enterprise) {
      if (path === '/v1/txn' || path === '/v1/status/leader') return undefined;
      if (req.headers['x-consul-namespace']) throw new HttpError(400, NS_HEADER);
      if (query.get('ns') && path !== '/v1/catalog/nodes') throw new HttpError(400, NS_PARAM);
      if (partition) throw new HttpError(400, PARTITION_PARAM);
      return undefined;
    }
    const scope = { partition: partition ?? DEFAULT_TENANCY, namespace: ns ?? DEFAULT_TENANCY };
    if (!this.partitionExists(scope.partition))
      throw new HttpError(400, `Partition "${scope.partition}" does not exist`);
    return scope;
  }

  /** OSS register/deregister bodies: the Enterprise fields are unknown fields (400). */
  refuseBodyFields(body: unknown, nested: readonly string[]): void {
    if (this.enterprise) return;
    const objects = [body, ...nested.map((name) => field(body, name))];
    const checks = field(body, 'Checks');
    if (Array.isArray(checks)) objects.push(...checks);
    for (const object of objects) {
      if (field(object, 'Namespace') !== undefined) throw new HttpError(400, NS_FIELD);
      if (field(object, 'Partition') !== undefined) throw new HttpError(400, PARTITION_FIELD);
    }
  }

  /**
   * The scope of a write: the body's `Namespace`/`Partition` (of `object`, else of `outer`), else
   * the request's. Undefined in OSS mode (txn fields are ignored there, as OSS does).
   */
  writeScope(object: unknown, request: Scope | undefined, outer?: unknown): Scope | undefined {
    if (!this.enterprise) return undefined;
    const namespace =
      text(field(object, 'Namespace')) ??
      text(field(outer, 'Namespace')) ??
      request?.namespace ??
      DEFAULT_TENANCY;
    const partition =
      text(field(object, 'Partition')) ??
      text(field(outer, 'Partition')) ??
      request?.partition ??
      DEFAULT_TENANCY;
    if (namespace === WILDCARD) throw new StateError('Wildcard namespace is not allowed for writes');
    return { namespace, partition };
  }

  /** `/v1/namespace*` and `/v1/partitions`; false when the path is not one of them. */
  route(
    method: string,
    path: string,
    body: unknown,
    scope: Scope | undefined,
    send: (status: number, body: unknown) => void,
  ): boolean {
    const single = /^\/v1\/namespace(?:\/(.+))?$/.exec(path);
    const list = path === '/v1/namespaces' || path === '/v1/partitions';
    if (!single && !list && !/^\/v1\/partition(?:\/.*)?$/.test(path)) return false;
    if (!this.enterprise || !scope) throw new HttpError(404, NO_ROUTE);
    const partition = scope.partition;
    if (path === '/v1/partitions') {
      if (method !== 'GET') throw new HttpError(405, `method ${method} not allowed`);
      const names = [...this.state.namespaces.values()]
        .filter((n) => n.Name === DEFAULT_TENANCY)
        .map((n) => n.Partition);
      send(
        200,
        names.sort().map((name) => ({ Name: name, Description: '' })),
      );
      return true;
    }
    if (list) {
      if (method !== 'GET') throw new HttpError(405, `method ${method} not allowed`);
      const records = [...this.state.namespaces.values()]
        .filter((n) => n.Partition === partition)
        .sort((a, b) => a.Name.localeCompare(b.Name));
      send(
        200,
        records.map((record) => ({ ...record })),
      );
      return true;
    }
    if (!single) throw new HttpError(404, NO_ROUTE);
    const named = single[1] === undefined ? undefined : decodeURIComponent(single[1]);
    const key = (name: string) => nodeKey(name, partition);
    if (method === 'GET' && named !== undefined) {
      const record = this.state.namespaces.get(key(named));
      if (!record) send(404, '');
      else send(200, { ...record });
      return true;
    }
    if (method === 'DELETE' && named !== undefined) {
      if (named === DEFAULT_TENANCY) throw new HttpError(400, 'Cannot delete the default namespace');
      if (this.state.namespaces.has(key(named)))
        this.state.write((txn) => txn.deleteNamespace(named, partition));
      send(200, true);
      return true;
    }
    if (method !== 'PUT') throw new HttpError(405, `method ${method} not allowed`);
    const name = text(field(body, 'Name')) ?? named ?? '';
    if (named !== undefined && name !== named)
      throw new HttpError(400, `Namespace name in the path ("${named}") and body ("${name}") differ`);
    if (!NAMESPACE_NAME.test(name))
      throw new HttpError(400, `Invalid namespace name "${name}": must be a valid DNS hostname label`);
    const existing = this.state.namespaces.get(key(name));
    if (named === undefined && existing) throw new HttpError(500, `Namespace "${name}" already exists`);
    if (named !== undefined && !existing) throw new HttpError(500, `Namespace "${name}" does not exist`);
    const acls = field(body, 'ACLs');
    const record: Omit<NamespaceRecord, 'CreateIndex' | 'ModifyIndex'> = {
      Name: name,
      Description: text(field(body, 'Description')) ?? '',
      Partition: partition,
    };
    if (acls && typeof acls === 'object') {
      const links = (name: string) => {
        const value = field(acls, name);
        return Array.isArray(value) ? (value as Array<{ ID?: string; Name?: string }>) : [];
      };
      record.ACLs = { PolicyDefaults: links('PolicyDefaults'), RoleDefaults: links('RoleDefaults') };
    }
    const meta = field(body, 'Meta');
    if (meta && typeof meta === 'object') record.Meta = meta as Record<string, string>;
    send(200, { ...this.state.write((txn) => txn.putNamespace(record)) });
    return true;
  }
}
