/**
 * The Consul double's catalog state store: nodes, service instances (by node and ID) and checks,
 * with a raft-like index and per-table / per-service-name indexes that move only when data
 * changes, as Consul's state store does (agent/consul/state/catalog.go). Writes run in a
 * transaction with an undo log, so a failing op rolls back the whole transaction.
 *
 * Consul Enterprise scoping (the double's `enterprise` mode): nodes belong to an admin partition,
 * service instances and checks to a namespace of it. Records written with a Scope carry
 * `Partition`/`Namespace` (OSS records carry neither); the default partition and namespace use
 * the plain node name and ID as keys, so OSS state is stored exactly as before.
 */

/** Consul Enterprise placement of a write or read. */
export interface Scope {
  partition: string;
  namespace: string;
}

export const DEFAULT_TENANCY = 'default';

/** Key of a node in `CatalogState.nodes` (and of its services and checks maps). */
export function nodeKey(node: string, partition = DEFAULT_TENANCY): string {
  return partition === DEFAULT_TENANCY ? node : `${partition}\u0000${node}`;
}

/** Key of a service instance or check in its node's map. */
export function scopedId(id: string, namespace = DEFAULT_TENANCY): string {
  return namespace === DEFAULT_TENANCY ? id : `${namespace}\u0000${id}`;
}

/** A namespace (api.Namespace) as `/v1/namespace` stores and answers it. */
export interface NamespaceRecord {
  Name: string;
  Description: string;
  ACLs?: {
    PolicyDefaults: Array<{ ID?: string; Name?: string }>;
    RoleDefaults: Array<{ ID?: string; Name?: string }>;
  };
  Meta?: Record<string, string>;
  Partition: string;
  CreateIndex: number;
  ModifyIndex: number;
}

interface Weights {
  Passing: number;
  Warning: number;
}

export interface NodeRecord {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
  Partition?: string;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface ServiceRecord {
  ID: string;
  Service: string;
  Tags: string[];
  Address: string;
  Meta: Record<string, string>;
  Port: number;
  Weights: Weights;
  EnableTagOverride: boolean;
  Kind: string;
  TaggedAddresses?: Record<string, { Address: string; Port: number }>;
  Namespace?: string;
  Partition?: string;
  CreateIndex: number;
  ModifyIndex: number;
}

type CheckStatus = 'passing' | 'warning' | 'critical';

export interface CheckRecord {
  Node: string;
  CheckID: string;
  Name: string;
  Status: CheckStatus;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  Type: string;
  Definition: Record<string, unknown>;
  Namespace?: string;
  Partition?: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** Input shapes (PascalCase, as on the wire); missing fields take Consul's defaults. */
export interface NodeInput {
  ID?: string;
  Node?: string;
  Address?: string;
  Datacenter?: string;
  TaggedAddresses?: Record<string, string> | null;
  Meta?: Record<string, string> | null;
  ModifyIndex?: number;
}
export interface ServiceInput {
  ID?: string;
  Service?: string;
  Tags?: string[] | null;
  Address?: string;
  Meta?: Record<string, string> | null;
  Port?: number;
  Weights?: Partial<Weights> | null;
  EnableTagOverride?: boolean;
  Kind?: string;
  TaggedAddresses?: Record<string, { Address: string; Port: number }> | null;
  ModifyIndex?: number;
}
export interface CheckInput {
  Node?: string;
  CheckID?: string;
  Name?: string;
  Status?: string;
  Notes?: string;
  Output?: string;
  ServiceID?: string;
  Type?: string;
  Definition?: Record<string, unknown> | null;
  ModifyIndex?: number;
}

/** A failed state-store operation; the message is Consul's wording. */
export class StateError extends Error {}

const META_MAX_PAIRS = 64;
const META_KEY_MAX = 128;
const META_VALUE_MAX = 512;
const META_KEY_FORMAT = /^[a-zA-Z0-9_-]+$/;

/** structs.validateMetaPair / ValidateServiceMetadata wording. */
function validateMeta(meta: Record<string, string>, prefix: string): void {
  const keys = Object.keys(meta);
  if (keys.length > META_MAX_PAIRS) {
    throw new StateError(`${prefix}Node metadata cannot contain more than ${META_MAX_PAIRS} key/value pairs`);
  }
  for (const key of keys) {
    const value = meta[key] ?? '';
    const pair = `Couldn't load metadata pair ('${key}', '${value}'): `;
    if (key === '') throw new StateError(`${prefix}${pair}Key cannot be blank`);
    if (!META_KEY_FORMAT.test(key)) throw new StateError(`${prefix}${pair}Key contains invalid characters`);
    if (key.length > META_KEY_MAX)
      throw new StateError(`${prefix}${pair}Key is too long (limit: ${META_KEY_MAX} characters)`);
    if (key.startsWith('consul-')) {
      throw new StateError(`${prefix}${pair}Key prefix 'consul-' is reserved for internal use`);
    }
    if (value.length > META_VALUE_MAX) {
      throw new StateError(`${prefix}${pair}Value is too long (limit: ${META_VALUE_MAX} characters)`);
    }
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A write that changes nothing but the indexes leaves the record (and its ModifyIndex) alone, as Consul does. */
function unchangedApartFromIndexes<T extends { CreateIndex: number; ModifyIndex: number }>(
  existing: T,
  next: T,
): boolean {
  return sameJson(
    { ...existing, CreateIndex: 0, ModifyIndex: 0 },
    { ...next, CreateIndex: 0, ModifyIndex: 0 },
  );
}

function normalizeStatus(status: string | undefined): CheckStatus {
  if (status === undefined || status === '') return 'critical';
  if (status === 'passing' || status === 'warning' || status === 'critical') return status;
  throw new StateError(`Invalid check status: "${status}"`);
}

type IndexKey = 'nodes' | 'services' | 'checks';

function checkIndexKey(node: string, serviceId: string): string {
  return `${node}\u0000${serviceId}`;
}

/** The scoped ID of a check's service ("" for node checks), as the check index keys it. */
function serviceIdOf(check: CheckRecord): string {
  return check.ServiceID ? scopedId(check.ServiceID, check.Namespace) : '';
}

/** Partition and namespace fields of a record written with a scope (none without). */
function scopeFields(scope: Scope | undefined, namespaced: boolean) {
  if (!scope) return {};
  return namespaced
    ? { Namespace: scope.namespace, Partition: scope.partition }
    : { Partition: scope.partition };
}

/** Mutations available inside a transaction; each records how to undo itself. */
export class StateTxn {
  private readonly undo: Array<() => void> = [];
  changed = false;

  constructor(
    private readonly state: CatalogState,
    readonly index: number,
  ) {}

  private touch(table: IndexKey, serviceNames: Iterable<string> = []): void {
    const s = this.state;
    const prevTable = s.tableIndex[table];
    s.tableIndex[table] = this.index;
    this.undo.push(() => {
      s.tableIndex[table] = prevTable;
    });
    for (const name of serviceNames) {
      const prev = s.serviceIndex.get(name);
      s.serviceIndex.set(name, this.index);
      this.undo.push(() => {
        if (prev === undefined) s.serviceIndex.delete(name);
        else s.serviceIndex.set(name, prev);
      });
    }
    this.changed = true;
  }

  private setIn<K, V>(map: Map<K, V>, key: K, value: V | undefined): void {
    const had = map.has(key);
    const prev = map.get(key);
    if (value === undefined) map.delete(key);
    else map.set(key, value);
    this.state.dataVersion++;
    this.undo.push(() => {
      if (had) map.set(key, prev as V);
      else map.delete(key);
      this.state.dataVersion++;
    });
  }

  private nodeServices(node: string): Map<string, ServiceRecord> {
    let services = this.state.services.get(node);
    if (!services) {
      services = new Map();
      this.setIn(this.state.services, node, services);
    }
    return services;
  }

  private nodeChecks(node: string): Map<string, CheckRecord> {
    let checks = this.state.checks.get(node);
    if (!checks) {
      checks = new Map();
      this.setIn(this.state.checks, node, checks);
    }
    return checks;
  }

  /** Writes (or removes) one check (by node key and scoped ID), keeping the by-service check index in step. */
  private putCheck(node: string, checkId: string, record: CheckRecord | undefined): void {
    const previous = this.state.checks.get(node)?.get(checkId);
    if (previous) this.linkCheck(node, serviceIdOf(previous), checkId, false);
    this.setIn(this.nodeChecks(node), checkId, record);
    if (record) this.linkCheck(node, serviceIdOf(record), checkId, true);
  }

  private linkCheck(node: string, serviceId: string, checkId: string, present: boolean): void {
    const key = checkIndexKey(node, serviceId);
    let ids = this.state.checkIndex.get(key);
    if (!ids) {
      if (!present) return;
      ids = new Set();
      this.setIn(this.state.checkIndex, key, ids);
    }
    const set = ids;
    const had = set.has(checkId);
    if (had === present) return;
    if (present) set.add(checkId);
    else set.delete(checkId);
    this.undo.push(() => {
      if (had) set.add(checkId);
      else set.delete(checkId);
    });
  }

  /** Service names hosted on a node (by node key; their health results change with the node). */
  private namesOnNode(key: string): string[] {
    return [...(this.state.services.get(key)?.values() ?? [])].map((s) => s.Service);
  }

  /** ensureNode: create or update; identical input changes nothing (no index moves). */
  setNode(input: NodeInput, cas?: number, scope?: Scope): NodeRecord {
    const name = input.Node ?? '';
    if (!name) throw new StateError('Must provide node');
    const key = nodeKey(name, scope?.partition);
    const existing = this.state.nodes.get(key);
    if (cas !== undefined) {
      if (cas === 0 ? existing !== undefined : existing?.ModifyIndex !== cas) {
        throw new StateError(`failed to set node "${name}", index is stale`);
      }
    }
    const meta = input.Meta ?? {};
    validateMeta(meta, `Invalid node metadata: `);
    const next: NodeRecord = {
      ID: input.ID || existing?.ID || '',
      Node: name,
      Address: input.Address ?? '',
      Datacenter: input.Datacenter || this.state.datacenter,
      TaggedAddresses: input.TaggedAddresses ?? {},
      Meta: meta,
      ...scopeFields(scope, false),
      CreateIndex: existing?.CreateIndex ?? this.index,
      ModifyIndex: existing?.ModifyIndex ?? this.index,
    };
    if (existing && unchangedApartFromIndexes(existing, next)) return existing;
    next.ModifyIndex = this.index;
    this.setIn(this.state.nodes, key, next);
    this.touch('nodes', this.namesOnNode(key));
    return next;
  }

  deleteNode(name: string, cas?: number, scope?: Scope): void {
    const key = nodeKey(name, scope?.partition);
    const existing = this.state.nodes.get(key);
    if (cas !== undefined && existing?.ModifyIndex !== cas) {
      throw new StateError(`failed to delete node "${name}", index is stale`);
    }
    if (!existing) return;
    const names = this.namesOnNode(key);
    const hadChecks = (this.state.checks.get(key)?.size ?? 0) > 0;
    for (const check of this.state.checks.get(key)?.values() ?? []) {
      this.linkCheck(key, serviceIdOf(check), scopedId(check.CheckID, check.Namespace), false);
    }
    this.setIn(this.state.services, key, undefined);
    this.setIn(this.state.checks, key, undefined);
    this.setIn(this.state.nodes, key, undefined);
    this.touch('nodes', names);
    if (names.length) this.touch('services', names);
    if (hadChecks) this.touch('checks');
  }

  /** ensureService: the node must exist; identical input changes nothing. */
  setService(node: string, input: ServiceInput, cas?: number, scope?: Scope): ServiceRecord {
    const key = nodeKey(node, scope?.partition);
    if (!this.state.nodes.has(key)) throw new StateError('Missing node registration');
    const serviceName = input.Service ?? '';
    const id = input.ID || serviceName;
    if (!serviceName)
      throw new StateError('Must provide service name (Service.Service) when service ID is provided');
    const services = this.nodeServices(key);
    const sid = scopedId(id, scope?.namespace);
    const existing = services.get(sid);
    if (cas !== undefined) {
      if (cas === 0 ? existing !== undefined : existing?.ModifyIndex !== cas) {
        throw new StateError(`failed to set service "${id}" on node "${node}", index is stale`);
      }
    }
    const meta = input.Meta ?? {};
    validateMeta(meta, `Invalid Service Meta for node ${node} and serviceID ${id}: `);
    const next: ServiceRecord = {
      ID: id,
      Service: serviceName,
      Tags: input.Tags ?? [],
      Address: input.Address ?? '',
      Meta: meta,
      Port: input.Port ?? 0,
      Weights: { Passing: input.Weights?.Passing ?? 1, Warning: input.Weights?.Warning ?? 1 },
      EnableTagOverride: input.EnableTagOverride ?? false,
      Kind: input.Kind ?? '',
      ...scopeFields(scope, true),
      CreateIndex: existing?.CreateIndex ?? this.index,
      ModifyIndex: existing?.ModifyIndex ?? this.index,
    };
    if (input.TaggedAddresses) next.TaggedAddresses = input.TaggedAddresses;
    if (existing && unchangedApartFromIndexes(existing, next)) return existing;
    next.ModifyIndex = this.index;
    this.setIn(services, sid, next);
    const names =
      existing && existing.Service !== serviceName ? [serviceName, existing.Service] : [serviceName];
    this.touch('services', names);
    // Service checks carry the service's name and tags: keep them in step.
    if (existing && (existing.Service !== serviceName || !sameJson(existing.Tags, next.Tags))) {
      for (const check of this.state.checksFor(key, sid, false)) {
        this.putCheck(key, scopedId(check.CheckID, check.Namespace), {
          ...check,
          ServiceName: serviceName,
          ServiceTags: next.Tags,
        });
      }
    }
    return next;
  }

  deleteService(node: string, id: string, cas?: number, scope?: Scope): void {
    const key = nodeKey(node, scope?.partition);
    const sid = scopedId(id, scope?.namespace);
    const existing = this.state.services.get(key)?.get(sid);
    if (cas !== undefined && existing?.ModifyIndex !== cas) {
      throw new StateError(`failed to delete service "${id}" on node "${node}", index is stale`);
    }
    if (!existing) return;
    this.setIn(this.nodeServices(key), sid, undefined);
    this.touch('services', [existing.Service]);
    const checks = this.state.checksFor(key, sid, false);
    for (const check of checks) this.putCheck(key, scopedId(check.CheckID, check.Namespace), undefined);
    if (checks.length) this.touch('checks');
  }

  /** ensureCheck: node (and service, for service checks) must exist; status defaults to critical. */
  setCheck(input: CheckInput, cas?: number, scope?: Scope): CheckRecord {
    const node = input.Node ?? '';
    const key = nodeKey(node, scope?.partition);
    if (!this.state.nodes.has(key)) throw new StateError('Missing node registration');
    const checkId = input.CheckID || input.Name || '';
    if (!checkId) throw new StateError('Missing check ID');
    const checks = this.nodeChecks(key);
    const cid = scopedId(checkId, scope?.namespace);
    const existing = checks.get(cid);
    if (cas !== undefined) {
      if (cas === 0 ? existing !== undefined : existing?.ModifyIndex !== cas) {
        throw new StateError(`failed to set check "${checkId}" on node "${node}", index is stale`);
      }
    }
    let serviceName = '';
    let serviceTags: string[] = [];
    const serviceId = input.ServiceID ?? '';
    if (serviceId) {
      const service = this.state.services.get(key)?.get(scopedId(serviceId, scope?.namespace));
      if (!service) throw new StateError('Missing service registration');
      serviceName = service.Service;
      serviceTags = service.Tags;
    }
    const next: CheckRecord = {
      Node: node,
      CheckID: checkId,
      Name: input.Name || checkId,
      Status: normalizeStatus(input.Status),
      Notes: input.Notes ?? '',
      Output: input.Output ?? '',
      ServiceID: serviceId,
      ServiceName: serviceName,
      ServiceTags: serviceTags,
      Type: input.Type ?? '',
      Definition: input.Definition ?? {},
      ...scopeFields(scope, true),
      CreateIndex: existing?.CreateIndex ?? this.index,
      ModifyIndex: existing?.ModifyIndex ?? this.index,
    };
    if (existing && unchangedApartFromIndexes(existing, next)) return existing;
    next.ModifyIndex = this.index;
    this.putCheck(key, cid, next);
    // A node check affects the health of every service on the node.
    this.touch('checks', serviceName ? [serviceName] : this.namesOnNode(key));
    return next;
  }

  deleteCheck(node: string, checkId: string, cas?: number, scope?: Scope): void {
    const key = nodeKey(node, scope?.partition);
    const cid = scopedId(checkId, scope?.namespace);
    const existing = this.state.checks.get(key)?.get(cid);
    if (cas !== undefined && existing?.ModifyIndex !== cas) {
      throw new StateError(`failed to delete check "${checkId}" on node "${node}", index is stale`);
    }
    if (!existing) return;
    this.putCheck(key, cid, undefined);
    this.touch('checks', existing.ServiceName ? [existing.ServiceName] : this.namesOnNode(key));
  }

  /** Creates a namespace (Consul Enterprise); the index moves. */
  putNamespace(record: Omit<NamespaceRecord, 'CreateIndex' | 'ModifyIndex'>): NamespaceRecord {
    const key = nodeKey(record.Name, record.Partition);
    const existing = this.state.namespaces.get(key);
    const next: NamespaceRecord = {
      ...record,
      CreateIndex: existing?.CreateIndex ?? this.index,
      ModifyIndex: this.index,
    };
    this.setIn(this.state.namespaces, key, next);
    this.changed = true;
    return next;
  }

  /** Deletes a namespace and everything registered in it (Consul does this in the background). */
  deleteNamespace(name: string, partition: string): void {
    for (const [key, services] of this.state.services) {
      for (const service of [...services.values()]) {
        if (service.Namespace === name && (service.Partition ?? DEFAULT_TENANCY) === partition) {
          const node = this.state.nodes.get(key);
          if (node) this.deleteService(node.Node, service.ID, undefined, { partition, namespace: name });
        }
      }
    }
    this.setIn(this.state.namespaces, nodeKey(name, partition), undefined);
    this.changed = true;
  }

  rollback(): void {
    for (const step of this.undo.reverse()) step();
    this.undo.length = 0;
    this.changed = false;
  }
}

export class CatalogState {
  /** The last raft index handed out (every write request gets one, like a raft apply). */
  lastIndex = 0;
  readonly tableIndex: Record<IndexKey, number> = { nodes: 0, services: 0, checks: 0 };
  /** Per service name: the index of the last change to its instances, their checks or nodes. */
  readonly serviceIndex = new Map<string, number>();
  readonly nodes = new Map<string, NodeRecord>();
  readonly services = new Map<string, Map<string, ServiceRecord>>();
  readonly checks = new Map<string, Map<string, CheckRecord>>();
  /** Check IDs by node and service ID ("" for node checks): reads stay O(checks of a service). */
  readonly checkIndex = new Map<string, Set<string>>();
  /** Consul Enterprise namespaces by partition and name (nodeKey of the name). */
  readonly namespaces = new Map<string, NamespaceRecord>();
  private readonly listeners = new Set<() => void>();
  /** Bumped on every data mutation (and undo): invalidates the by-name cache. */
  dataVersion = 0;
  private byName?: { version: number; map: Map<string, Array<{ node: NodeRecord; service: ServiceRecord }>> };

  constructor(readonly datacenter: string) {}

  /**
   * Runs `apply` as one atomic write at a new index. If it throws, every change is undone and
   * the error propagates. Watchers are woken after a commit that changed something.
   */
  write<T>(apply: (txn: StateTxn) => T): T {
    this.lastIndex++;
    const txn = new StateTxn(this, this.lastIndex);
    let result: T;
    try {
      result = apply(txn);
    } catch (err) {
      txn.rollback();
      throw err;
    }
    if (txn.changed) this.notify();
    return result;
  }

  /** Called after every committed change (blocking queries re-check their index). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /**
   * As after a snapshot restore: the index goes back to `to` (every table and service index is
   * capped at it) and every blocking query is woken.
   */
  resetIndex(to = 1): void {
    this.lastIndex = to;
    for (const key of Object.keys(this.tableIndex) as IndexKey[]) {
      this.tableIndex[key] = Math.min(this.tableIndex[key], to);
    }
    for (const [name, value] of this.serviceIndex) this.serviceIndex.set(name, Math.min(value, to));
    this.notify();
  }

  clear(): void {
    this.dataVersion++;
    this.nodes.clear();
    this.services.clear();
    this.checks.clear();
    this.checkIndex.clear();
    this.serviceIndex.clear();
    this.lastIndex++;
    for (const key of Object.keys(this.tableIndex) as IndexKey[]) this.tableIndex[key] = this.lastIndex;
    this.notify();
  }

  /** Index for `/v1/catalog/services`. */
  servicesIndex(): number {
    return this.tableIndex.services;
  }

  /** Index for `/v1/catalog/nodes`. */
  nodesIndex(): number {
    return this.tableIndex.nodes;
  }

  /** Index for node-scoped reads (`/catalog/node/:node`, `/catalog/node-services/:node`). */
  catalogIndex(): number {
    return Math.max(this.tableIndex.nodes, this.tableIndex.services);
  }

  /** Index for `/v1/catalog/service/:name` and `/v1/health/service/:name`. */
  serviceNameIndex(name: string, withChecks: boolean): number {
    const own = this.serviceIndex.get(name);
    if (own !== undefined) return own;
    const base = this.catalogIndex();
    return withChecks ? Math.max(base, this.tableIndex.checks) : base;
  }

  allServices(): Array<{ node: NodeRecord; service: ServiceRecord }> {
    const out: Array<{ node: NodeRecord; service: ServiceRecord }> = [];
    for (const [nodeName, services] of this.services) {
      const node = this.nodes.get(nodeName);
      if (!node) continue;
      for (const service of services.values()) out.push({ node, service });
    }
    return out;
  }

  /** Instances of one service name (cached until the next change: reads stay O(instances)). */
  instancesOf(name: string): Array<{ node: NodeRecord; service: ServiceRecord }> {
    if (!this.byName || this.byName.version !== this.dataVersion) {
      const map = new Map<string, Array<{ node: NodeRecord; service: ServiceRecord }>>();
      for (const entry of this.allServices()) {
        const list = map.get(entry.service.Service);
        if (list) list.push(entry);
        else map.set(entry.service.Service, [entry]);
      }
      this.byName = { version: this.dataVersion, map };
    }
    return this.byName.map.get(name) ?? [];
  }

  /** The checks of one instance: its own and (by default) its node's, node checks first. */
  checksFor(node: string, serviceId: string, withNodeChecks = true): CheckRecord[] {
    const checks = this.checks.get(node);
    if (!checks) return [];
    const ids = [
      ...(withNodeChecks ? (this.checkIndex.get(checkIndexKey(node, '')) ?? []) : []),
      ...(this.checkIndex.get(checkIndexKey(node, serviceId)) ?? []),
    ];
    return ids.map((id) => checks.get(id)).filter((c): c is CheckRecord => c !== undefined);
  }
}
