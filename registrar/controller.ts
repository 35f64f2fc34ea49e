/**
 * The reconcile loop: informer changes -> dirty Service keys -> (debounced) desired state for
 * those Services -> diff against our mirror of Consul -> minimal writes. A full reconcile (read
 * Consul for our node, diff everything) runs first, after every leadership gain and every
 * `--resync-period`, and repairs drift. Nothing runs before all caches have synced; only the
 * leader writes; stopping never deregisters anything.
 */
import type { Logger } from 'pino';
import { CONSUL_K8S_READINGS, analyzeService } from '../core/annotations';
import type { Finding } from '../core/annotations/types';
import { type ConsulClient, missingPermission } from '../core/consul';
import { NamespaceCreator } from '../core/consul/namespaces';
import { Backoff, type BackoffOptions } from '../core/kube/backoff';
import { objectKey, type ChangeListener } from '../core/kube/informer';
import { applyOps, opSubject, type RejectedOp } from './apply';
import { desiredNode, type Instance } from './catalog';
import type { RegistrarConfig } from './config';
import { CatalogMirror, readActualState } from './consul-state';
import {
  annotationFindingsMatter,
  desiredForService,
  type EndpointSliceLike,
  type NodeLike,
  type SyncedService,
} from './desired';
import { diff, nodeClaimedBy, type Op } from './diff';
import { type IngressLike, serviceIngressAddresses } from './ingress';
import type { RegistrarMetrics } from './metrics';
import { instanceKey, placeInstances, type Tenancy } from './namespaces';
import { type RefusalRetry, RefusalTracker } from './refusals';
import { IngressIndex, NodeAddresses, SliceIndex, splitKey } from './watch-index';

/** What the controller needs from an informer cache (KubeInformer implements it). */
export interface ObjectCache<T> {
  list(): readonly T[];
  get(namespace: string | undefined, name: string): T | undefined;
  onChange(listener: ChangeListener): () => void;
  waitForSync(): Promise<void>;
}

type Named = { metadata?: { name?: string; namespace?: string; uid?: string } };
type ServiceObject = SyncedService & Named;
type SliceObject = EndpointSliceLike & Named;
type NodeObject = NodeLike & Named;
type IngressObject = IngressLike & Named;

export interface WarningRecorder {
  warning(
    involved: { kind: string; apiVersion: string; name: string; namespace?: string; uid?: string },
    reason: string,
    message: string,
  ): Promise<boolean>;
}

export interface ControllerOptions {
  config: RegistrarConfig;
  consul: ConsulClient;
  /** Consul Enterprise namespaces and partition (default: none, as OSS). */
  tenancy?: Tenancy;
  services: ObjectCache<ServiceObject>;
  endpointSlices: ObjectCache<SliceObject>;
  nodes: ObjectCache<NodeObject>;
  /** Ingress sync (`--enable-ingress`); absent when off. */
  ingresses?: ObjectCache<IngressObject>;
  logger: Logger;
  metrics: RegistrarMetrics;
  events?: WarningRecorder;
  /** Leader election; absent means this replica always writes. */
  isLeader?: () => boolean;
  /** Time left before another replica could take the Lease over (ms); bounds every write. */
  leaseRemainingMs?: () => number;
  /** Quiet time that batches a burst of changes (ms). Default 50. */
  debounceMs?: number;
  /** Retry delays after Consul errors. */
  retry?: BackoffOptions;
  /** Retry delays of Services Consul refuses (default 1 s growing to 5 minutes). */
  refusalRetry?: RefusalRetry;
}

export const INVALID_ANNOTATIONS_REASON = 'InvalidConsulAnnotations';
/** Annotations the registrar reads as consul-k8s does, in a way that may surprise (`0x2328` is 9000). */
export const CONSUL_K8S_READING_REASON = 'ConsulK8sAnnotationReading';
/** The longest a single Consul write may take. */
export const WRITE_TIMEOUT_MS = 15_000;
/** Kept free at the end of the lease for clock-rate differences and the response's way back. */
export const LEASE_SAFETY_MS = 1000;
/** Event reason on a Service whose registration Consul refused (permission or invalid). */
export const CONSUL_REFUSED_REASON = 'ConsulRegistrationRefused';

/** Our node name is taken by the registrar of another cluster: writing would fight over it. */
export class NodeClaimedError extends Error {
  override readonly name = 'NodeClaimedError';
  readonly kind = 'node-claimed';
  constructor(node: string, otherClusterId: string, clusterId: string) {
    super(
      `Consul node "${node}" belongs to the registrar of cluster id "${otherClusterId}" (node meta external-k8s-cluster-id), not to this one ("${clusterId}"): give each cluster its own --consul-node-name`,
    );
  }
}

export class RegistrarController {
  private readonly mirror = new CatalogMirror();
  /**
   * Desired instances per Service key, as last computed. A pure function of the caches, so it
   * stays valid until an informer marks the key dirty; it also says which IDs a Service had, to
   * remove what it no longer wants.
   */
  private readonly desiredByService = new Map<string, readonly Instance[]>();
  private readonly slices = new SliceIndex();
  private readonly nodeAddresses = new NodeAddresses();
  private readonly ingressIndex = new IngressIndex();
  private readonly dirty = new Set<string>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly backoff: Backoff;
  private readonly refusals: RefusalTracker;
  /** Service key of every instance ID we computed, so a refused write is traced to its Service. */
  private readonly keyOfInstance = new Map<string, string>();
  private refusalTimer: NodeJS.Timeout | undefined;
  private ownedCount = 0;
  private desiredCount = 0;
  private fullPending = true;
  private synced = false;
  private firstReconcileDone = false;
  private wasLeader = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly tenancy: Tenancy;
  /** Creates the namespaces our registrations go to (with the namespace flags only). */
  private readonly namespaceCreator: NamespaceCreator | undefined;

  constructor(private readonly options: ControllerOptions) {
    this.backoff = new Backoff({ initialMs: 200, maxMs: 10_000, ...options.retry });
    this.refusals = new RefusalTracker(options.refusalRetry);
    this.tenancy = options.tenancy ?? { requestedBy: [] };
    this.namespaceCreator = this.tenancy.namespaces?.create
      ? new NamespaceCreator(options.consul, this.tenancy.namespaces.crossNamespaceAclPolicy)
      : undefined;
  }

  /** Waits for every cache, then starts reconciling. */
  async start(): Promise<void> {
    const { services, endpointSlices, nodes, ingresses } = this.options;
    if (ingresses) this.unsubscribe.push(ingresses.onChange((key) => this.onIngressChange(key)));
    this.unsubscribe.push(
      services.onChange((key) => {
        // The owner may have fixed what Consul refused: retry it with this change.
        this.refusals.clear(key);
        this.markDirty(key);
      }),
      endpointSlices.onChange((key) => this.onSliceChange(key)),
      nodes.onChange((key) => this.onNodeChange(key)),
    );
    await Promise.all([
      services.waitForSync(),
      endpointSlices.waitForSync(),
      nodes.waitForSync(),
      ingresses?.waitForSync(),
    ]);
    if (this.stopped) return;
    for (const ingress of ingresses?.list() ?? []) {
      this.ingressIndex.update(objectKey(ingress.metadata?.namespace, ingress.metadata?.name ?? ''), ingress);
    }
    for (const slice of endpointSlices.list()) {
      this.slices.update(objectKey(slice.metadata?.namespace, slice.metadata?.name ?? ''), slice);
    }
    for (const node of nodes.list()) this.nodeAddresses.update(node.metadata?.name ?? '', node);
    this.synced = true;
    this.options.logger.info('caches synced; reconciling');
    this.scheduleResync();
    this.schedule(0);
  }

  /** Stops reconciling (after the pass in flight). Registrations stay in Consul. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.resyncTimer);
    clearTimeout(this.refusalTimer);
    for (const off of this.unsubscribe.splice(0)) off();
    await this.running;
  }

  /**
   * Ready once caches synced and, when leading, the first full reconcile succeeded. Services
   * Consul refuses do not count against it unless nothing of ours could be written at all.
   */
  isReady(): boolean {
    if (!this.synced) return false;
    if (!this.leading()) return true;
    return this.firstReconcileDone && !(this.refusals.size > 0 && this.ownedCount === 0);
  }

  /** Call when leadership changes: a new leader starts with a full reconcile. */
  leadershipChanged(): void {
    this.fullPending = true;
    this.schedule(0);
  }

  /** Resolves when no change is pending or being applied (for tests and the benchmark). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return (
      this.synced && !this.running && this.dirty.size === 0 && !this.fullPending && this.timer === undefined
    );
  }

  private leading(): boolean {
    return this.options.isLeader?.() ?? true;
  }

  private markDirty(serviceKey: string): void {
    this.dirty.add(serviceKey);
    this.schedule(this.options.debounceMs ?? 50);
  }

  private onSliceChange(sliceKey: string): void {
    const [namespace, name] = splitKey(sliceKey);
    for (const serviceKey of this.slices.update(sliceKey, this.options.endpointSlices.get(namespace, name))) {
      this.markDirty(serviceKey);
    }
  }

  /** An Ingress changed: the Services it routed to and routes to now are recomputed. */
  private onIngressChange(ingressKey: string): void {
    const [namespace, name] = splitKey(ingressKey);
    for (const serviceKey of this.ingressIndex.update(
      ingressKey,
      this.options.ingresses?.get(namespace, name),
    )) {
      this.markDirty(serviceKey);
    }
  }

  /** The addresses the Ingresses give this Service (none without Ingress sync). */
  private ingressAddressesOf(serviceKey: string, serviceName: string) {
    const { ingresses, config } = this.options;
    if (!ingresses) return [];
    const routing: IngressObject[] = [];
    for (const ingressKey of this.ingressIndex.ingressesOf(serviceKey)) {
      const ingress = ingresses.get(...splitKey(ingressKey));
      if (ingress) routing.push(ingress);
    }
    return serviceIngressAddresses(routing, serviceName, config.syncLoadBalancerIPs);
  }

  /** A Node's addresses changed: every NodePort Service may move; others cannot. */
  private onNodeChange(name: string): void {
    if (!this.nodeAddresses.update(name, this.options.nodes.get(undefined, name))) return;
    for (const service of this.options.services.list()) {
      if (service.spec?.type === 'NodePort') {
        this.markDirty(objectKey(service.metadata?.namespace, service.metadata?.name ?? ''));
      }
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped || !this.synced || this.running || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        if (this.dirty.size > 0 || this.fullPending) this.schedule(this.options.debounceMs ?? 50);
        else this.notifyIdle();
      });
    }, delayMs);
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private scheduleResync(): void {
    clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => {
      this.fullPending = true;
      this.schedule(0);
      this.scheduleResync();
    }, this.options.config.resyncPeriodMs);
    this.resyncTimer.unref();
  }

  private async runOnce(): Promise<void> {
    const { metrics } = this.options;
    const leader = this.leading();
    metrics.leader.set(leader ? 1 : 0);
    if (leader !== this.wasLeader) {
      this.wasLeader = leader;
      // Another writer may have changed Consul while we were not leading; our cache of desired
      // state missed the changes we skipped as a standby.
      if (leader) {
        this.fullPending = true;
        this.desiredByService.clear();
        this.desiredCount = 0;
      }
    }
    if (!leader) {
      // Standby: write nothing; a leadership gain starts with a full reconcile.
      this.dirty.clear();
      this.fullPending = false;
      return;
    }
    const full = this.fullPending;
    const keys = [...this.dirty];
    this.fullPending = false;
    this.dirty.clear();
    const timer = metrics.reconcileDuration.startTimer({ scope: full ? 'full' : 'service' });
    try {
      const ok = full ? await this.reconcileAll(keys) : await this.reconcileKeys(keys);
      if (ok) {
        this.backoff.reset();
        this.firstReconcileDone ||= full;
        metrics.lastSuccessfulSync.set(Date.now() / 1000);
      }
    } catch (err) {
      // Consul read failures land here; writes report through `applyAndRecord`.
      this.onConsulError(err, full, keys);
    } finally {
      timer();
    }
  }

  /**
   * Reads Consul for our node and makes it equal to the desired state of every Service
   * (recomputed for the dirty keys and keys never seen, cached for the rest).
   */
  private async reconcileAll(dirty: readonly string[]): Promise<boolean> {
    const { config, consul, services } = this.options;
    const actual = await readActualState(consul, config.nodeName, this.tenancy);
    const other = nodeClaimedBy(actual.node, config.clusterId);
    if (other !== undefined) throw new NodeClaimedError(config.nodeName, other, config.clusterId);
    this.mirror.replace(actual);
    const stale = new Set(dirty);
    const keys = new Set<string>(this.desiredByService.keys());
    for (const service of services.list())
      keys.add(objectKey(service.metadata?.namespace, service.metadata?.name ?? ''));
    const instances: Instance[] = [];
    for (const key of keys) {
      const cached = stale.has(key) ? undefined : this.desiredByService.get(key);
      instances.push(...(cached ?? this.desiredFor(key)));
    }
    const result = diff(
      { node: desiredNode(config.nodeName, config.clusterId), instances },
      actual,
      config.clusterId,
    );
    this.reportConflicts(result.conflicts);
    return this.applyAndRecord(this.withoutHeld(result.ops), undefined);
  }

  /** Diffs only these Services against the mirror (no Consul read). */
  private async reconcileKeys(keys: readonly string[]): Promise<boolean> {
    const { config } = this.options;
    const instances: Instance[] = [];
    const ids = new Set<string>();
    for (const key of keys) {
      for (const previous of this.desiredByService.get(key) ?? [])
        ids.add(instanceKey(previous.id, previous.namespace));
      for (const instance of this.desiredFor(key)) {
        instances.push(instance);
        ids.add(instanceKey(instance.id, instance.namespace));
      }
    }
    const result = diff(
      { node: desiredNode(config.nodeName, config.clusterId), instances },
      this.mirror.subset(ids),
      config.clusterId,
    );
    this.reportConflicts(result.conflicts);
    return this.applyAndRecord(this.withoutHeld(result.ops), keys);
  }

  /** Desired instances of one Service key; caches them and reports invalid annotations. */
  private desiredFor(key: string): readonly Instance[] {
    const { config, services, endpointSlices, nodes } = this.options;
    const [namespace, name] = splitKey(key);
    const service = services.get(namespace, name);
    let instances: readonly Instance[] = [];
    if (service) {
      const analysis = analyzeService(service, { syncTag: config.syncTag });
      const slices: SliceObject[] = [];
      for (const sliceKey of this.slices.slicesOf(key)) {
        const [sliceNamespace, sliceName] = splitKey(sliceKey);
        const slice = endpointSlices.get(sliceNamespace, sliceName);
        if (slice) slices.push(slice);
      }
      const result = desiredForService(
        {
          service,
          intent: analysis.intent,
          endpointSlices: slices,
          nodeByName: (nodeName) => nodes.get(undefined, nodeName),
          ingressAddresses: this.ingressAddressesOf(key, name),
        },
        config,
      );
      if (result.sync) instances = placeInstances(result.instances, namespace ?? '', this.tenancy);
      if (annotationFindingsMatter(service, analysis.intent, analysis.findings, config))
        this.reportFindings(service, analysis.findings);
    }
    const previous = this.desiredByService.get(key);
    this.desiredCount += instances.length - (previous?.length ?? 0);
    for (const instance of instances) this.keyOfInstance.set(instance.id, key);
    if (service) this.desiredByService.set(key, instances);
    else {
      this.desiredByService.delete(key);
      if (this.refusals.clear(key)) this.updateRefusalMetrics();
    }
    this.options.metrics.desiredInstances.set(this.desiredCount);
    return instances;
  }

  private async applyAndRecord(ops: Op[], keys: readonly string[] | undefined): Promise<boolean> {
    const { config, consul, metrics, logger } = this.options;
    if (ops.length === 0) {
      this.ownedCount = this.mirror.ownedCount(config.clusterId);
      metrics.registeredInstances.set(this.ownedCount);
      return true;
    }
    // Leadership can move during a long pass: every transaction asks again, so a former leader stops.
    const outcome = await applyOps(ops, {
      consul,
      nodeName: config.nodeName,
      ...(this.tenancy.partition !== undefined ? { partition: this.tenancy.partition } : {}),
      ...(this.namespaceCreator ? { namespaces: this.namespaceCreator } : {}),
      mayWrite: () => this.writeBudget(),
    });
    this.mirror.record(outcome.applied);
    for (const op of outcome.applied) {
      metrics.operations.inc({ kind: op.kind });
      if (op.kind === 'delete') this.keyOfInstance.delete(op.serviceId);
    }
    metrics.transactions.inc(outcome.transactions);
    metrics.singleCalls.inc(outcome.singleCalls);
    this.ownedCount = this.mirror.ownedCount(config.clusterId);
    metrics.registeredInstances.set(this.ownedCount);
    this.recordRefusals(outcome.applied, outcome.rejected);
    logger.debug(
      { applied: outcome.applied.length, transactions: outcome.transactions },
      'applied catalog changes',
    );
    if (outcome.error) {
      this.onConsulError(outcome.error, keys === undefined, keys);
      return false;
    }
    // Stopped because leadership was lost: the next pass sees it and writes nothing.
    return !outcome.stopped;
  }

  private onConsulError(err: unknown, full: boolean, keys: readonly string[] | undefined): void {
    const { metrics, logger } = this.options;
    const kind = (err as { kind?: string }).kind ?? 'transient';
    metrics.consulErrors.inc({ class: kind });
    const delayMs = this.backoff.next();
    const message = err instanceof Error ? err.message : String(err);
    const hint =
      kind === 'auth' ? ' (check the ACL token: it needs node:write on the sync node and service:write)' : '';
    (kind === 'node-claimed' ? logger.error.bind(logger) : logger.warn.bind(logger))(
      { class: kind, retryInMs: delayMs, scope: full ? 'full' : 'service' },
      `Consul request failed${hint}: ${message}`,
    );
    // After a failure our mirror may be behind: the retry reads Consul again.
    this.fullPending = true;
    for (const key of keys ?? []) this.dirty.add(key);
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule(0);
    }, delayMs);
  }

  /**
   * Whether the next write may start, and how long it may take: never past the time another
   * replica could take the Lease over, so a demoted leader's write cannot land after the new
   * leader's.
   */
  private writeBudget(): boolean | number {
    if (!this.leading()) return false;
    const left = this.options.leaseRemainingMs?.();
    if (left === undefined) return WRITE_TIMEOUT_MS;
    return Math.min(WRITE_TIMEOUT_MS, left - LEASE_SAFETY_MS);
  }

  /** The Service key an operation belongs to (refusals are per Service), else its instance. */
  private groupOf(op: Op): string {
    const subject = opSubject(op);
    return this.keyOfInstance.get(subject) ?? subject;
  }

  /** Drops the writes of Services waiting for their refusal retry. */
  private withoutHeld(ops: Op[]): Op[] {
    if (this.refusals.size === 0) return ops;
    return ops.filter((op) => !this.refusals.held(this.groupOf(op)));
  }

  /**
   * Refused Services: one log line, metric and Warning Event each, and a retry of their own that
   * backs off to minutes. Services written without a refusal are forgotten.
   */
  private recordRefusals(applied: readonly Op[], rejected: readonly RejectedOp[]): void {
    const { metrics, logger } = this.options;
    const refused = new Map<string, RejectedOp>();
    for (const rejection of rejected) {
      const group = this.groupOf(rejection.op);
      metrics.rejectedOperations.inc({ kind: rejection.op.kind });
      metrics.refusedOperations.inc({ reason: rejection.cause });
      if (!refused.has(group)) refused.set(group, rejection);
    }
    let changed = false;
    for (const op of applied) {
      const group = this.groupOf(op);
      if (!refused.has(group) && this.refusals.clear(group)) changed = true;
    }
    for (const [group, { op, reason, cause }] of refused) {
      changed = true;
      const { delayMs } = this.refusals.refuse(group, cause, reason);
      metrics.consulErrors.inc({ class: cause === 'permission' ? 'auth' : 'bad-request' });
      const consulName = consulServiceOf(op);
      logger.warn(
        {
          class: cause === 'permission' ? 'auth' : 'bad-request',
          service: group,
          consulService: consulName,
          retryInMs: delayMs,
        },
        `Consul refused the registration of ${group}: ${reason}; the other Services are written, this one is retried with backoff`,
      );
      this.reportRefusal(group, consulName, cause, reason);
    }
    if (changed) this.updateRefusalMetrics();
    this.scheduleRefusalRetry();
  }

  private updateRefusalMetrics(): void {
    const { refusedServices } = this.options.metrics;
    refusedServices.set({ reason: 'permission' }, this.refusals.count('permission'));
    refusedServices.set({ reason: 'invalid' }, this.refusals.count('invalid'));
  }

  /** Wakes up for the next refused Service due for its retry. */
  private scheduleRefusalRetry(): void {
    clearTimeout(this.refusalTimer);
    const inMs = this.refusals.nextRetryInMs();
    if (inMs === undefined || this.stopped) return;
    this.refusalTimer = setTimeout(() => {
      this.refusalTimer = undefined;
      for (const key of this.refusals.takeDue()) {
        if (this.desiredByService.has(key)) this.markDirty(key);
        else {
          // Not a Service we know (an instance left from a deleted one): a full pass retries it.
          this.fullPending = true;
          this.schedule(0);
        }
      }
      this.scheduleRefusalRetry();
    }, inMs + 1);
    this.refusalTimer.unref();
  }

  private reportRefusal(key: string, consulName: string, cause: RejectedOp['cause'], reason: string): void {
    const { events, services } = this.options;
    if (!events || !this.desiredByService.has(key)) return;
    const [namespace, name] = splitKey(key);
    const service = services.get(namespace, name);
    if (!service) return;
    const permission = cause === 'permission' ? missingPermission(reason) : undefined;
    const message =
      cause === 'permission'
        ? `Consul refused to register "${consulName}": the registrar's ACL token lacks ${permission ?? 'a permission'} (add it to the token's policy); other Services are not affected, this one is retried with backoff`
        : `Consul refused the registration of "${consulName}" as invalid: ${reason}; other Services are not affected`;
    void events.warning(involvedService(service), CONSUL_REFUSED_REASON, message);
  }

  private reportConflicts(conflicts: readonly string[]): void {
    if (conflicts.length === 0) return;
    this.options.logger.warn(
      { count: conflicts.length, first: conflicts.slice(0, 5) },
      'instance IDs we want are held by registrations we do not own; left untouched',
    );
  }

  /** Errors, and the consul-k8s readings that decide the port, in one Warning Event. */
  private reportFindings(service: ServiceObject, findings: readonly Finding[]): void {
    const errors = findings.filter((finding) => finding.severity === 'error');
    const readings = findings.filter((finding) =>
      CONSUL_K8S_READINGS.some((rule) => rule.id === finding.rule),
    );
    if ((errors.length === 0 && readings.length === 0) || !this.options.events) return;
    const parts = [
      ...(errors.length > 0
        ? [`ignored invalid annotations: ${errors.map((f) => f.message).join('; ')}`]
        : []),
      ...(readings.length > 0
        ? [`read as consul-k8s reads them: ${readings.map((f) => f.message).join('; ')}`]
        : []),
    ];
    const reason = errors.length > 0 ? INVALID_ANNOTATIONS_REASON : CONSUL_K8S_READING_REASON;
    void this.options.events.warning(involvedService(service), reason, parts.join('; '));
  }
}

function involvedService(service: ServiceObject) {
  return {
    kind: 'Service',
    apiVersion: 'v1',
    name: service.metadata?.name ?? '',
    namespace: service.metadata?.namespace ?? '',
    ...(service.metadata?.uid ? { uid: service.metadata.uid } : {}),
  };
}

/** The Consul service name an operation writes (check deletes: unknown, so the instance ID). */
function consulServiceOf(op: Op): string {
  switch (op.kind) {
    case 'service':
    case 'check':
      return op.instance.service;
    case 'delete':
      return op.service;
    case 'delete-check':
      return op.serviceId;
    case 'node':
      return op.node.name;
    case 'delete-node':
      return op.node;
  }
}
