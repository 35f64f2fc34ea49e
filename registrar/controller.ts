/**
 * The reconcile loop: informer changes -> dirty Service keys -> (debounced) desired state for
 * those Services -> diff against our mirror of Consul -> minimal writes. A full reconcile (read
 * Consul for our node, diff everything) runs first, after every leadership gain and every
 * `--resync-period`, and repairs drift. Nothing runs before all caches have synced; only the
 * leader writes; stopping never deregisters anything.
 */
import type { Logger } from 'pino';
import { analyzeService } from '../core/annotations';
import type { Finding } from '../core/annotations/types';
import type { ConsulClient } from '../core/consul';
import { Backoff, type BackoffOptions } from '../core/kube/backoff';
import { objectKey, type ChangeListener } from '../core/kube/informer';
import { applyOps, opSubject } from './apply';
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
import { diff, type Op } from './diff';
import type { RegistrarMetrics } from './metrics';
import { NodeAddresses, SliceIndex, splitKey } from './watch-index';

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
  services: ObjectCache<ServiceObject>;
  endpointSlices: ObjectCache<SliceObject>;
  nodes: ObjectCache<NodeObject>;
  logger: Logger;
  metrics: RegistrarMetrics;
  events?: WarningRecorder;
  /** Leader election; absent means this replica always writes. */
  isLeader?: () => boolean;
  /** Quiet time that batches a burst of changes (ms). Default 50. */
  debounceMs?: number;
  /** Retry delays after Consul errors. */
  retry?: BackoffOptions;
}

export const INVALID_ANNOTATIONS_REASON = 'InvalidConsulAnnotations';

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
  private readonly dirty = new Set<string>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly backoff: Backoff;
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

  constructor(private readonly options: ControllerOptions) {
    this.backoff = new Backoff({ initialMs: 200, maxMs: 10_000, ...options.retry });
  }

  /** Waits for every cache, then starts reconciling. */
  async start(): Promise<void> {
    const { services, endpointSlices, nodes } = this.options;
    this.unsubscribe.push(
      services.onChange((key) => this.markDirty(key)),
      endpointSlices.onChange((key) => this.onSliceChange(key)),
      nodes.onChange((key) => this.onNodeChange(key)),
    );
    await Promise.all([services.waitForSync(), endpointSlices.waitForSync(), nodes.waitForSync()]);
    if (this.stopped) return;
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
    for (const off of this.unsubscribe.splice(0)) off();
    await this.running;
  }

  /** Ready once caches synced and, when leading, the first full reconcile succeeded. */
  isReady(): boolean {
    if (!this.synced) return false;
    return !this.leading() || this.firstReconcileDone;
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
    const actual = await readActualState(consul, config.nodeName);
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
    return this.applyAndRecord(result.ops, undefined);
  }

  /** Diffs only these Services against the mirror (no Consul read). */
  private async reconcileKeys(keys: readonly string[]): Promise<boolean> {
    const { config } = this.options;
    const instances: Instance[] = [];
    const ids = new Set<string>();
    for (const key of keys) {
      for (const previous of this.desiredByService.get(key) ?? []) ids.add(previous.id);
      for (const instance of this.desiredFor(key)) {
        instances.push(instance);
        ids.add(instance.id);
      }
    }
    const result = diff(
      { node: desiredNode(config.nodeName, config.clusterId), instances },
      this.mirror.subset(ids),
      config.clusterId,
    );
    this.reportConflicts(result.conflicts);
    return this.applyAndRecord(result.ops, keys);
  }

  /** Desired instances of one Service key; caches them and reports invalid annotations. */
  private desiredFor(key: string): readonly Instance[] {
    const { config, services, endpointSlices, nodes } = this.options;
    const [namespace, name] = splitKey(key);
    const service = services.get(namespace, name);
    let instances: Instance[] = [];
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
        },
        config,
      );
      if (result.sync) instances = result.instances;
      if (annotationFindingsMatter(service, analysis.intent, analysis.findings, config))
        this.reportFindings(service, analysis.findings);
    }
    const previous = this.desiredByService.get(key);
    this.desiredCount += instances.length - (previous?.length ?? 0);
    if (service) this.desiredByService.set(key, instances);
    else this.desiredByService.delete(key);
    this.options.metrics.desiredInstances.set(this.desiredCount);
    return instances;
  }

  private async applyAndRecord(ops: Op[], keys: readonly string[] | undefined): Promise<boolean> {
    const { config, consul, metrics, logger } = this.options;
    if (ops.length === 0) {
      metrics.registeredInstances.set(this.mirror.ownedCount(config.clusterId));
      return true;
    }
    // Leadership can move during a long pass: every transaction asks again, so a former leader stops.
    const outcome = await applyOps(ops, {
      consul,
      nodeName: config.nodeName,
      mayWrite: () => this.leading(),
    });
    this.mirror.record(outcome.applied);
    for (const op of outcome.applied) metrics.operations.inc({ kind: op.kind });
    metrics.transactions.inc(outcome.transactions);
    metrics.singleCalls.inc(outcome.singleCalls);
    metrics.registeredInstances.set(this.mirror.ownedCount(config.clusterId));
    for (const { op, reason } of outcome.rejected) {
      metrics.rejectedOperations.inc({ kind: op.kind });
      metrics.consulErrors.inc({ class: 'bad-request' });
      logger.warn(
        { op: op.kind, id: opSubject(op), reason },
        'Consul refused an operation; it is retried when the Service changes and at each resync',
      );
    }
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
    logger.warn(
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

  private reportConflicts(conflicts: readonly string[]): void {
    if (conflicts.length === 0) return;
    this.options.logger.warn(
      { count: conflicts.length, first: conflicts.slice(0, 5) },
      'instance IDs we want are held by registrations we do not own; left untouched',
    );
  }

  private reportFindings(service: ServiceObject, findings: readonly Finding[]): void {
    const errors = findings.filter((finding) => finding.severity === 'error');
    if (errors.length === 0 || !this.options.events) return;
    const message = `ignored invalid annotations: ${errors.map((finding) => finding.message).join('; ')}`;
    const involved = {
      kind: 'Service',
      apiVersion: 'v1',
      name: service.metadata?.name ?? '',
      namespace: service.metadata?.namespace ?? '',
      ...(service.metadata?.uid ? { uid: service.metadata.uid } : {}),
    };
    void this.options.events.warning(involved, INVALID_ANNOTATIONS_REASON, message);
  }
}
