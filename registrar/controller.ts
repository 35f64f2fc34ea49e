/**
 * The registrar's controller: informer changes -> event mapping -> dirty Service keys in a work
 * queue -> (debounced, batched) reconciler passes. A full pass (read Consul for our node, diff
 * everything) runs first, after every leadership gain and every `--resync-period`, and repairs
 * drift. Nothing runs before all caches have synced; only the leader writes; stopping never
 * deregisters anything.
 */
import type { Logger } from 'pino';
import type { ConsulClient } from '../core/consul';
import { NamespaceCreator } from '../core/consul/namespaces';
import type { BackoffOptions } from '../core/kube/backoff';
import { BatchWorkQueue } from '../core/kube/work-queue';
import { applyOps } from './apply';
import type { RegistrarConfig } from './config';
import { readActualState } from './consul-state';
import { EventMapper, type RegistrarCaches } from './event-mapping';
import type { RegistrarMetrics } from './metrics';
import type { Tenancy } from './namespaces';
import type { CatalogPort } from './catalog-port';
import { CatalogReconciler } from './reconciler';
import type { RefusalRetry } from './refusals';
import type { WarningRecorder } from './warnings';

export interface ControllerOptions extends RegistrarCaches {
  config: RegistrarConfig;
  consul: ConsulClient;
  /** Consul Enterprise namespaces and partition (default: none, as OSS). */
  tenancy?: Tenancy;
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

/** Our node in Consul, read and written through the catalog API. */
function consulCatalog(options: ControllerOptions): CatalogPort {
  const { consul, config } = options;
  const tenancy = options.tenancy ?? { requestedBy: [] };
  const namespaces = tenancy.namespaces?.create
    ? new NamespaceCreator(consul, tenancy.namespaces.crossNamespaceAclPolicy)
    : undefined;
  return {
    readNode: (known) => readActualState(consul, config.nodeName, tenancy, undefined, known),
    apply: (ops, mayWrite) =>
      applyOps(ops, {
        consul,
        nodeName: config.nodeName,
        ...(tenancy.partition !== undefined ? { partition: tenancy.partition } : {}),
        ...(namespaces ? { namespaces } : {}),
        mayWrite,
      }),
  };
}

export class RegistrarController {
  private readonly mapper: EventMapper;
  private readonly queue: BatchWorkQueue<string>;
  private readonly reconciler: CatalogReconciler;
  private unsubscribe: (() => void) | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private synced = false;
  private stopped = false;

  constructor(private readonly options: ControllerOptions) {
    this.mapper = new EventMapper(options);
    this.queue = new BatchWorkQueue<string>((batch) => this.reconciler.reconcile(batch), {
      debounceMs: options.debounceMs ?? 50,
      backoff: { initialMs: 200, maxMs: 10_000, ...options.retry },
      onRetry: (error, delayMs, batch) => this.reconciler.passFailed(error, delayMs, batch),
    });
    this.reconciler = new CatalogReconciler({
      config: options.config,
      catalog: consulCatalog(options),
      caches: options,
      mapper: this.mapper,
      ...(options.tenancy ? { tenancy: options.tenancy } : {}),
      requeue: this.queue,
      logger: options.logger,
      metrics: options.metrics,
      ...(options.events ? { events: options.events } : {}),
      ...(options.isLeader ? { isLeader: options.isLeader } : {}),
      ...(options.leaseRemainingMs ? { leaseRemainingMs: options.leaseRemainingMs } : {}),
      ...(options.refusalRetry ? { refusalRetry: options.refusalRetry } : {}),
    });
  }

  /** Waits for every cache, then starts reconciling (a full pass first). */
  async start(): Promise<void> {
    const { services, endpointSlices, nodes, ingresses } = this.options;
    this.unsubscribe = this.mapper.subscribe({
      enqueue: (key) => this.queue.add(key),
      serviceChanged: (key) => this.reconciler.serviceChanged(key),
    });
    await Promise.all([
      services.waitForSync(),
      endpointSlices.waitForSync(),
      nodes.waitForSync(),
      ingresses?.waitForSync(),
    ]);
    if (this.stopped) return;
    this.mapper.prime();
    this.synced = true;
    this.options.logger.info('caches synced; reconciling');
    this.scheduleResync();
    this.queue.addFull();
    this.queue.start();
  }

  /** Stops reconciling (after the pass in flight). Registrations stay in Consul. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.resyncTimer);
    this.reconciler.stop();
    this.unsubscribe?.();
    await this.queue.stop();
  }

  /** Ready once caches synced and, when leading, the first full pass succeeded. */
  isReady(): boolean {
    return this.synced && this.reconciler.isReady();
  }

  /** Call when leadership changes: a new leader starts with a full pass. */
  leadershipChanged(): void {
    this.queue.addFull();
  }

  /** Resolves when no change is pending or being applied (for tests and the benchmark). */
  whenIdle(): Promise<void> {
    return this.queue.whenIdle();
  }

  private scheduleResync(): void {
    clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => {
      this.queue.addFull();
      this.scheduleResync();
    }, this.options.config.resyncPeriodMs);
    this.resyncTimer.unref();
  }
}
