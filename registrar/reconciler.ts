/**
 * The registrar's reconciler: takes a batch of Service keys (or "everything"), reads the caches,
 * computes the instances that should exist, diffs them against what Consul holds for our node,
 * applies the difference and says whether the pass is done or must be retried. A full pass reads
 * Consul for our node and repairs drift; a keyed pass diffs against the in-memory mirror of our
 * own writes. Only the leader writes. Timing, batching and retry delays are the work queue's.
 */
import type { Logger } from 'pino';
import { analyzeService } from '../core/annotations';
import { objectKey } from '../core/kube/informer';
import type { Batch, PassResult } from '../core/kube/work-queue';
import type { ApplyOutcome } from './apply';
import { desiredNode, type Instance } from './catalog';
import { type CatalogPort, NodeClaimedError, writeBudget } from './catalog-port';
import type { RegistrarConfig } from './config';
import { CatalogMirror } from './consul-state';
import { desiredForService } from './desired';
import { diff, nodeClaimedBy, type Op } from './diff';
import type { EventMapper, RegistrarCaches } from './event-mapping';
import { serviceIngressAddresses } from './ingress';
import type { RegistrarMetrics } from './metrics';
import { instanceKey, placeInstances, type Tenancy } from './namespaces';
import { RefusedServices, type Requeue } from './refused-services';
import type { RefusalRetry } from './refusals';
import { annotationFindingsMatter } from './sync-decision';
import { splitKey } from './watch-index';
import { findingsWarning, involvedService, type WarningRecorder } from './warnings';

export interface ReconcilerOptions {
  config: RegistrarConfig;
  catalog: CatalogPort;
  caches: RegistrarCaches;
  mapper: EventMapper;
  /** Consul Enterprise namespaces and partition (default: none, as OSS). */
  tenancy?: Tenancy;
  /** Where a refused Service's retry asks for another look (the work queue). */
  requeue: Requeue;
  logger: Logger;
  metrics: RegistrarMetrics;
  events?: WarningRecorder;
  /** Leader election; absent means this replica always writes. */
  isLeader?: () => boolean;
  /** Time left before another replica could take the Lease over (ms); bounds every write. */
  leaseRemainingMs?: () => number;
  /** Retry delays of Services Consul refuses (default 1 s growing to 5 minutes). */
  refusalRetry?: RefusalRetry;
}

export class CatalogReconciler {
  private readonly mirror = new CatalogMirror();
  /**
   * Desired instances per Service key, as last computed. A pure function of the caches, so it
   * stays valid until an informer marks the key dirty; it also says which IDs a Service had, to
   * remove what it no longer wants.
   */
  private readonly desiredByService = new Map<string, readonly Instance[]>();
  private readonly refused: RefusedServices;
  private readonly tenancy: Tenancy;
  private ownedCount = 0;
  private desiredCount = 0;
  private firstFullPassDone = false;
  private wasLeader = false;

  constructor(private readonly options: ReconcilerOptions) {
    const { caches, requeue, logger, metrics, events, refusalRetry } = options;
    this.refused = new RefusedServices({
      caches,
      requeue,
      logger,
      metrics,
      ...(events ? { events } : {}),
      ...(refusalRetry ? { refusalRetry } : {}),
      isKnown: (serviceKey) => this.desiredByService.has(serviceKey),
    });
    this.tenancy = options.tenancy ?? { requestedBy: [] };
  }

  /**
   * Ready when not leading, or when the first full pass succeeded. Services Consul refuses do not
   * count against it unless nothing of ours could be written at all. /readyz applies the standby
   * rule again (the component kit's `addReadinessCheck`); it stays here too because in-process
   * callers read `RegistrarController.isReady()` without the kit and must get the same answer.
   */
  isReady(): boolean {
    if (!this.leading()) return true;
    return this.firstFullPassDone && !(this.refused.size > 0 && this.ownedCount === 0);
  }

  /** The Service's owner may have fixed what Consul refused: its next pass retries it. */
  serviceChanged(serviceKey: string): void {
    this.refused.serviceChanged(serviceKey);
  }

  stop(): void {
    this.refused.stop();
  }

  async reconcile(batch: Batch<string>): Promise<PassResult> {
    const { metrics } = this.options;
    const leader = this.leading();
    metrics.leader.set(leader ? 1 : 0);
    // Another writer may have changed Consul while we were not leading, and our desired state
    // missed the changes we skipped as a standby: a new leader starts over with a full pass.
    const gained = leader && !this.wasLeader;
    this.wasLeader = leader;
    if (gained) {
      this.desiredByService.clear();
      this.desiredCount = 0;
    }
    if (!leader) return { done: true }; // standby: writes nothing
    const full = batch.full || gained;
    const timer = metrics.reconcileDuration.startTimer({ scope: full ? 'full' : 'service' });
    try {
      const outcome = full ? await this.reconcileAll(batch.keys) : await this.reconcileKeys(batch.keys);
      if (outcome.error) return { done: false, error: outcome.error, retryFull: true };
      // Stopped because leadership was lost: the next pass sees it and writes nothing.
      if (!outcome.stopped) {
        this.firstFullPassDone ||= full;
        metrics.lastSuccessfulSync.set(Date.now() / 1000);
      }
      return { done: true };
    } catch (error) {
      // Consul read failures; after any failure the mirror may be behind, so the retry reads again.
      return { done: false, error, retryFull: true };
    } finally {
      timer();
    }
  }

  /** Logs and counts a failed pass; the work queue retries it after `delayMs`. */
  passFailed(error: unknown, delayMs: number, batch: Batch<string>): void {
    const { metrics, logger } = this.options;
    const kind = (error as { kind?: string }).kind ?? 'transient';
    metrics.consulErrors.inc({ class: kind });
    const message = error instanceof Error ? error.message : String(error);
    const hint =
      kind === 'auth' ? ' (check the ACL token: it needs node:write on the sync node and service:write)' : '';
    (kind === 'node-claimed' ? logger.error.bind(logger) : logger.warn.bind(logger))(
      { class: kind, retryInMs: delayMs, scope: batch.full ? 'full' : 'service' },
      `Consul request failed${hint}: ${message}`,
    );
  }

  private leading(): boolean {
    return this.options.isLeader?.() ?? true;
  }

  /**
   * Reads Consul for our node and makes it equal to the desired state of every Service
   * (recomputed for the dirty keys and keys never seen, cached for the rest).
   */
  private async reconcileAll(dirty: readonly string[]): Promise<Pick<ApplyOutcome, 'error' | 'stopped'>> {
    const { config, catalog, caches } = this.options;
    const actual = await catalog.readNode(this.mirror);
    const other = nodeClaimedBy(actual.node, config.clusterId);
    if (other !== undefined) throw new NodeClaimedError(config.nodeName, other, config.clusterId);
    this.mirror.replace(actual);
    const stale = new Set(dirty);
    const keys = new Set<string>(this.desiredByService.keys());
    for (const service of caches.services.list())
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
    return this.applyAndRecord(this.refused.withoutHeld(result.ops));
  }

  /** Diffs only these Services against the mirror (no Consul read). */
  private async reconcileKeys(keys: readonly string[]): Promise<Pick<ApplyOutcome, 'error' | 'stopped'>> {
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
    return this.applyAndRecord(this.refused.withoutHeld(result.ops));
  }

  /** Desired instances of one Service key; caches them and reports invalid annotations. */
  private desiredFor(key: string): readonly Instance[] {
    const { config, caches, mapper } = this.options;
    const [namespace, name] = splitKey(key);
    const service = caches.services.get(namespace, name);
    let instances: readonly Instance[] = [];
    if (service) {
      const analysis = analyzeService(service, { syncTag: config.syncTag });
      const result = desiredForService(
        {
          service,
          intent: analysis.intent,
          endpointSlices: mapper.slicesOf(key),
          nodeByName: (nodeName) => caches.nodes.get(undefined, nodeName),
          ingressAddresses: caches.ingresses
            ? serviceIngressAddresses(mapper.ingressesOf(key), name, config.syncLoadBalancerIPs)
            : [],
        },
        config,
      );
      if (result.sync) instances = placeInstances(result.instances, namespace ?? '', this.tenancy);
      if (annotationFindingsMatter(service, analysis.intent, analysis.findings, config)) {
        const warning = findingsWarning(analysis.findings);
        if (warning)
          void this.options.events?.warning(involvedService(service), warning.reason, warning.message);
      }
    }
    const previous = this.desiredByService.get(key);
    this.desiredCount += instances.length - (previous?.length ?? 0);
    this.refused.track(key, instances);
    if (service) this.desiredByService.set(key, instances);
    else {
      this.desiredByService.delete(key);
      this.refused.serviceGone(key);
    }
    this.options.metrics.desiredInstances.set(this.desiredCount);
    return instances;
  }

  private async applyAndRecord(ops: Op[]): Promise<Pick<ApplyOutcome, 'error' | 'stopped'>> {
    const { config, catalog, metrics, logger } = this.options;
    if (ops.length === 0) {
      this.ownedCount = this.mirror.ownedCount(config.clusterId);
      metrics.registeredInstances.set(this.ownedCount);
      return {};
    }
    // Leadership can move during a long pass: every transaction asks again, so a former leader stops.
    const outcome = await catalog.apply(ops, () =>
      writeBudget(this.leading(), this.options.leaseRemainingMs),
    );
    this.mirror.record(outcome.applied);
    for (const op of outcome.applied) metrics.operations.inc({ kind: op.kind });
    metrics.transactions.inc(outcome.transactions);
    metrics.singleCalls.inc(outcome.singleCalls);
    this.ownedCount = this.mirror.ownedCount(config.clusterId);
    metrics.registeredInstances.set(this.ownedCount);
    this.refused.recordWrites(outcome.applied, outcome.rejected);
    logger.debug(
      { applied: outcome.applied.length, transactions: outcome.transactions },
      'applied catalog changes',
    );
    return outcome;
  }

  private reportConflicts(conflicts: readonly string[]): void {
    if (conflicts.length === 0) return;
    this.options.logger.warn(
      { count: conflicts.length, first: conflicts.slice(0, 5) },
      'instance IDs we want are held by registrations we do not own; left untouched',
    );
  }
}
