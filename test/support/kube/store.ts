import { randomUUID } from 'node:crypto';
import { applyPatch, PatchError } from './patch';
import { apiVersionOf, validateName, type Allocator, type KubeObject, type ResourceType } from './resources';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors';
import { alreadyExists, badRequest, conflict, invalid, notFound, StatusError } from './status';

/**
 * The double's object storage: one global resourceVersion bumped on every write (like etcd's
 * revision), one table per resource type, and a bounded history of changes that watches replay
 * from. Watching from a resourceVersion older than the retained history is "expired" (410).
 */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  rv: number;
  resource: ResourceType;
  type: WatchEventType;
  /** Selector view of the object after the change (for DELETED: its last state). */
  view: KubeObject;
  /** The full object, serialised (for DELETED: stamped with the deletion rv). */
  json: string;
  /** Selector view of the previous state, for MODIFIED (lets filtered watches see objects enter/leave). */
  oldView?: KubeObject;
}

/**
 * Objects are kept serialised, plus a small "view" holding just what selectors read (name,
 * namespace, uid, resourceVersion, labels, the resource's selectable fields): tens of thousands of
 * objects then cost little memory, and lists and watches send the stored JSON as is.
 */
interface Stored {
  view: KubeObject;
  json: string;
}

export interface ListResult {
  resourceVersion: number;
  items: Stored[];
}

export interface Preconditions {
  resourceVersion?: string;
  uid?: string;
}

export class Store {
  private rv = 1;
  private readonly tables = new Map<string, Map<string, Stored>>();
  private history: Change[] = [];
  /** Watches may resume from any rv >= this (all later changes are still in `history`). */
  private compactedRv = 1;
  private readonly listeners = new Set<(change: Change) => void>();
  private nextIP = 1;
  private nextNodePort = 30000;
  readonly allocate: Allocator = {
    clusterIP: () => {
      const n = this.nextIP++;
      return `10.96.${(n >> 8) & 255}.${n & 255}`;
    },
    nodePort: () => {
      const port = this.nextNodePort;
      this.nextNodePort = port >= 32767 ? 30000 : port + 1;
      return port;
    },
  };

  constructor(private readonly historyLimit: number) {}

  get resourceVersion(): number {
    return this.rv;
  }

  get oldestResumableVersion(): number {
    return this.compactedRv;
  }

  onChange(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets all history: watches resuming from any earlier resourceVersion get 410 Expired. */
  expireHistory(): void {
    this.history = [];
    this.compactedRv = this.rv;
  }

  /** Changes after `rv`, or undefined when they are no longer retained. */
  changesSince(rv: number): Change[] | undefined {
    if (rv < this.compactedRv) return undefined;
    // history is sorted by rv: binary search for the first change after rv.
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.history[mid]?.rv ?? 0) <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const stored = this.table(resource).get(key(resource, namespace, name));
    if (!stored) throw notFound(resource, name);
    return JSON.parse(stored.json) as KubeObject;
  }

  has(resource: ResourceType, namespace: string | undefined, name: string): boolean {
    return this.table(resource).has(key(resource, namespace, name));
  }

  list(
    resource: ResourceType,
    namespace?: string,
    labelSelector?: string,
    fieldSelector?: string,
  ): ListResult {
    const matches = compileSelectors(resource, labelSelector, fieldSelector);
    const items: Stored[] = [];
    for (const stored of this.table(resource).values()) {
      if (namespace !== undefined && stored.view.metadata?.namespace !== namespace) continue;
      if (matches(stored.view)) items.push(stored);
    }
    return { resourceVersion: this.rv, items };
  }

  listJson(
    resource: ResourceType,
    namespace?: string,
    labelSelector?: string,
    fieldSelector?: string,
  ): string {
    const { resourceVersion, items } = this.list(resource, namespace, labelSelector, fieldSelector);
    const head = JSON.stringify({
      kind: `${resource.kind}List`,
      apiVersion: apiVersionOf(resource),
      metadata: { resourceVersion: String(resourceVersion) },
    });
    return `${head.slice(0, -1)},"items":[${items.map((s) => s.json).join(',')}]}`;
  }

  create(resource: ResourceType, namespace: string | undefined, body: KubeObject): KubeObject {
    const obj = this.normalise(resource, namespace, body);
    const meta = obj.metadata ?? {};
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    const name = meta.name;
    if (!name)
      throw invalid(resource.kind, resource.group, '', [
        { field: 'metadata.name', message: 'Required value: name or generateName is required' },
      ]);
    const nameError = validateName(resource, name);
    if (nameError) throw nameError;
    const table = this.table(resource);
    const k = key(resource, meta.namespace, name);
    if (table.has(k)) throw alreadyExists(resource, name);
    resource.onCreate?.(obj, this.allocate);
    meta.uid = randomUUID();
    meta.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    meta.generation = 1;
    delete meta.resourceVersion;
    return this.commit(resource, k, 'ADDED', obj);
  }

  /**
   * Replaces an object. A `metadata.resourceVersion` in the body must match the stored one (else
   * 409 Conflict); without one the update is unconditional. `subresource: 'status'` takes only
   * the status from the body; a main update keeps the stored status when the type has /status.
   */
  update(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    subresource?: 'status',
  ): KubeObject {
    const obj = this.normalise(resource, namespace, body);
    const meta = obj.metadata ?? {};
    if (meta.name !== undefined && meta.name !== name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    const table = this.table(resource);
    const k = key(resource, meta.namespace, name);
    const current = table.get(k);
    if (!current) throw notFound(resource, name);
    const old = JSON.parse(current.json) as KubeObject;
    if (
      meta.resourceVersion !== undefined &&
      meta.resourceVersion !== '' &&
      meta.resourceVersion !== old.metadata?.resourceVersion
    ) {
      throw conflict(resource, name);
    }
    let next: KubeObject;
    if (subresource === 'status') {
      next = JSON.parse(current.json) as KubeObject;
      next.status = obj.status;
    } else {
      next = obj;
      next.metadata = {
        ...meta,
        name,
        uid: old.metadata?.uid,
        creationTimestamp: old.metadata?.creationTimestamp,
        generation: old.metadata?.generation,
      };
      if (resource.hasStatus)
        next.status =
          old.status === undefined ? undefined : (JSON.parse(JSON.stringify(old.status)) as unknown);
      resource.onUpdate?.(next, old, this.allocate);
      if (JSON.stringify(next.spec) !== JSON.stringify(old.spec))
        next.metadata.generation = (old.metadata?.generation ?? 0) + 1;
    }
    // A no-op update does not bump the resourceVersion or notify watchers, as on a real server.
    if (sameContent(next, old)) return JSON.parse(current.json) as KubeObject;
    return this.commit(resource, k, 'MODIFIED', next, old);
  }

  patch(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patch: unknown,
    subresource?: 'status',
  ): KubeObject {
    const current = this.get(resource, namespace, name);
    let patched: KubeObject;
    try {
      patched = applyPatch(contentType, current, patch) as KubeObject;
    } catch (error) {
      if (error instanceof PatchError) throw new StatusError(422, 'Invalid', error.message);
      throw error;
    }
    // A resourceVersion left in the patched object acts as a precondition (it matches unless the
    // patch itself set one).
    return this.update(resource, namespace, name, patched, subresource);
  }

  delete(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    preconditions: Preconditions = {},
  ): KubeObject {
    const table = this.table(resource);
    const k = key(resource, namespace, name);
    const current = table.get(k);
    if (!current) throw notFound(resource, name);
    const meta = current.view.metadata ?? {};
    if (
      (preconditions.resourceVersion && preconditions.resourceVersion !== meta.resourceVersion) ||
      (preconditions.uid && preconditions.uid !== meta.uid)
    ) {
      throw conflict(resource, name);
    }
    if (resource.plural === 'namespaces') this.deleteNamespaceContents(name);
    table.delete(k);
    const last = JSON.parse(current.json) as KubeObject;
    return JSON.parse(this.record(resource, 'DELETED', last).json) as KubeObject;
  }

  private deleteNamespaceContents(namespace: string): void {
    for (const [plural, table] of this.tables) {
      for (const stored of [...table.values()]) {
        if (stored.view.metadata?.namespace !== namespace) continue;
        const resource = this.resourceByPlural.get(plural);
        if (resource) this.delete(resource, namespace, stored.view.metadata?.name ?? '');
      }
    }
  }

  private readonly resourceByPlural = new Map<string, ResourceType>();

  private table(resource: ResourceType): Map<string, Stored> {
    let table = this.tables.get(resource.plural);
    if (!table) {
      table = new Map();
      this.tables.set(resource.plural, table);
      this.resourceByPlural.set(resource.plural, resource);
    }
    return table;
  }

  private normalise(resource: ResourceType, namespace: string | undefined, body: KubeObject): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('the request body must be a JSON object');
    const apiVersion = apiVersionOf(resource);
    if (
      (body.kind !== undefined && body.kind !== resource.kind) ||
      (body.apiVersion !== undefined && body.apiVersion !== apiVersion)
    ) {
      throw badRequest(
        `the body kind ${String(body.apiVersion)}/${String(body.kind)} does not match the resource ${apiVersion}/${resource.kind}`,
      );
    }
    const obj = JSON.parse(JSON.stringify(body)) as KubeObject;
    obj.apiVersion = apiVersion;
    obj.kind = resource.kind;
    const meta = (obj.metadata ??= {});
    if (resource.namespaced) {
      if (
        meta.namespace !== undefined &&
        meta.namespace !== '' &&
        namespace !== undefined &&
        meta.namespace !== namespace
      ) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = namespace ?? meta.namespace;
      if (!meta.namespace) throw badRequest('a namespaced object needs a namespace');
    } else {
      delete meta.namespace;
    }
    return obj;
  }

  private commit(
    resource: ResourceType,
    k: string,
    type: WatchEventType,
    obj: KubeObject,
    old?: KubeObject,
  ): KubeObject {
    const change = this.record(resource, type, obj, old);
    const stored = { view: change.view, json: change.json };
    this.table(resource).set(k, stored);
    return JSON.parse(change.json) as KubeObject;
  }

  private record(resource: ResourceType, type: WatchEventType, obj: KubeObject, old?: KubeObject): Change {
    this.rv += 1;
    (obj.metadata ??= {}).resourceVersion = String(this.rv);
    const json = JSON.stringify(obj);
    const change: Change = { rv: this.rv, resource, type, view: selectorView(resource, obj), json };
    if (old) change.oldView = selectorView(resource, old);
    this.history.push(change);
    if (this.history.length > this.historyLimit * 1.25) {
      const drop = this.history.length - this.historyLimit;
      this.compactedRv = this.history[drop - 1]?.rv ?? this.compactedRv;
      this.history = this.history.slice(drop);
    }
    for (const listener of this.listeners) listener(change);
    return change;
  }
}

export function compileSelectors(
  resource: ResourceType,
  labelSelector?: string,
  fieldSelector?: string,
): (obj: KubeObject) => boolean {
  try {
    const labels = parseLabelSelector(labelSelector);
    const fields = parseFieldSelector(fieldSelector, resource.fieldSelectors);
    return (obj) => labels(obj.metadata?.labels) && fields(obj);
  } catch (error) {
    if (error instanceof SelectorError) throw badRequest(error.message);
    throw error;
  }
}

function key(resource: ResourceType, namespace: string | undefined, name: string): string {
  return resource.namespaced ? `${namespace ?? ''}/${name}` : name;
}

function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): string =>
    stableStringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return strip(a) === strip(b);
}

/** JSON with object keys sorted, so key order does not make two equal objects differ. */
function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
        )
      : v,
  );
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += alphabet[Math.floor(Math.random() * alphabet.length)];
  return suffix;
}

/** The parts of an object that selectors and bookkeeping read. */
function selectorView(resource: ResourceType, obj: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion, labels } = obj.metadata ?? {};
  const view: KubeObject = { metadata: { name, namespace, uid, resourceVersion, labels } };
  for (const path of resource.fieldSelectors) {
    if (path.startsWith('metadata.')) continue;
    const parts = path.split('.');
    let source: unknown = obj;
    let target: Record<string, unknown> = view;
    parts.forEach((part, i) => {
      source =
        typeof source === 'object' && source !== null ? (source as Record<string, unknown>)[part] : undefined;
      if (source === undefined) return;
      if (i === parts.length - 1) target[part] = source;
      else target = (target[part] ??= {}) as Record<string, unknown>;
    });
  }
  return view;
}
