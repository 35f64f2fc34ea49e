/**
 * In-memory stand-ins for the registrar reconciler's inputs and outputs, for unit tests that run
 * without the Consul and Kubernetes doubles: an informer cache that the test fills, and a Consul
 * node that applies operations the way the catalog does (one store, written on its own terms, so
 * the reconciler's mirror is checked against something independent).
 */
import type { ChangeListener } from '../../../core/kube/informer';
import { ConsulError } from '../../../core/consul/errors';
import type { ApplyOutcome, RejectedOp } from '../../../registrar/apply';
import { READINESS_CHECK_NAME, READINESS_CHECK_TYPE } from '../../../registrar/catalog';
import type { ActualCheck, ActualInstance, ActualState, Op } from '../../../registrar/diff';
import type { ObjectCache } from '../../../registrar/event-mapping';
import type { CatalogPort } from '../../../registrar/catalog-port';

type Named = { metadata?: { name?: string; namespace?: string } };

export class MemoryCache<T extends Named> implements ObjectCache<T> {
  private readonly objects = new Map<string, T>();
  private readonly listeners = new Set<ChangeListener>();

  private static key(namespace: string | undefined, name: string): string {
    return namespace ? `${namespace}/${name}` : name;
  }

  /** Adds or replaces the object and tells the listeners. */
  set(object: T): void {
    const key = MemoryCache.key(object.metadata?.namespace, object.metadata?.name ?? '');
    this.objects.set(key, object);
    for (const listener of this.listeners) listener(key);
  }

  delete(namespace: string | undefined, name: string): void {
    const key = MemoryCache.key(namespace, name);
    this.objects.delete(key);
    for (const listener of this.listeners) listener(key);
  }

  list(): readonly T[] {
    return [...this.objects.values()];
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(MemoryCache.key(namespace, name));
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  waitForSync(): Promise<void> {
    return Promise.resolve();
  }
}

/** One Consul node: instances and checks by ID, written by whole operations. */
export class MemoryCatalog implements CatalogPort {
  node: ActualState['node'];
  readonly instances = new Map<string, ActualInstance>();
  readonly checks = new Map<string, ActualCheck>();
  /** Every apply call's operations, in order. */
  readonly writes: Op[][] = [];
  reads = 0;
  /** Consul service names whose registration the token may not write. */
  readonly denied = new Set<string>();
  /** The next this many calls (read or apply) fail as Consul being unreachable. */
  failNext = 0;

  async readNode(): Promise<ActualState> {
    this.reads++;
    this.maybeFail('catalog.node-services');
    return {
      ...(this.node ? { node: { address: this.node.address, meta: { ...this.node.meta } } } : {}),
      instances: [...this.instances.values()],
      checks: [...this.checks.values()],
    };
  }

  async apply(ops: readonly Op[], mayWrite: () => boolean | number): Promise<ApplyOutcome> {
    this.writes.push([...ops]);
    if (mayWrite() === false)
      return { applied: [], rejected: [], transactions: 0, singleCalls: 0, stopped: true };
    try {
      this.maybeFail('txn');
    } catch (error) {
      return { applied: [], rejected: [], transactions: 1, singleCalls: 0, error: error as ConsulError };
    }
    const applied: Op[] = [];
    const rejected: RejectedOp[] = [];
    for (const op of ops) {
      const service = op.kind === 'service' || op.kind === 'check' ? op.instance.service : undefined;
      if (service !== undefined && this.denied.has(service)) {
        rejected.push({
          op,
          cause: 'permission',
          reason: `Permission denied: token with AccessorID 'x' lacks permission 'service:write' on "${service}"`,
        });
        continue;
      }
      this.write(op);
      applied.push(op);
    }
    return { applied, rejected, transactions: 1, singleCalls: 0 };
  }

  private write(op: Op): void {
    switch (op.kind) {
      case 'node':
        this.node = { address: op.node.address, meta: { ...op.node.meta } };
        break;
      case 'service': {
        const { check: _check, ...instance } = op.instance;
        this.instances.set(op.instance.id, instance);
        break;
      }
      case 'check':
        this.checks.set(op.instance.check.id, {
          id: op.instance.check.id,
          serviceId: op.instance.id,
          name: READINESS_CHECK_NAME,
          type: READINESS_CHECK_TYPE,
          status: op.instance.check.status,
          output: op.instance.check.output,
        });
        break;
      case 'delete':
        this.instances.delete(op.serviceId);
        for (const [id, check] of this.checks) if (check.serviceId === op.serviceId) this.checks.delete(id);
        break;
      case 'delete-check':
        this.checks.delete(op.checkId);
        break;
      case 'delete-node':
        this.node = undefined;
        this.instances.clear();
        this.checks.clear();
        break;
    }
  }

  private maybeFail(operation: string): void {
    if (this.failNext <= 0) return;
    this.failNext--;
    throw new ConsulError('connect ECONNREFUSED 127.0.0.1:8500', 'transient', operation);
  }
}
