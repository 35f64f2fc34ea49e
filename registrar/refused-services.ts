/**
 * The reconciler's bookkeeping of the Services Consul refuses: it traces every refused write to
 * its Service (refusals are per Service), leaves that Service's writes out of passes until its own
 * retry is due (the delays are `RefusalTracker`'s, refusals.ts), reports each refusal (a log line,
 * metrics, a Warning Event on the Service) and asks the work queue for the retry when it is due.
 */
import type { Logger } from 'pino';
import type { RejectedOp } from './apply';
import { opSubject } from './catalog-requests';
import type { Instance } from './catalog';
import type { Op } from './diff';
import type { RegistrarCaches } from './event-mapping';
import type { RegistrarMetrics } from './metrics';
import { type RefusalRetry, RefusalTracker } from './refusals';
import { splitKey } from './watch-index';
import {
  CONSUL_REFUSED_REASON,
  consulServiceOf,
  involvedService,
  refusalMessage,
  type WarningRecorder,
} from './warnings';

/** Where a due retry asks for another look (the work queue). */
export interface Requeue {
  add(serviceKey: string): void;
  addFull(): void;
}

interface RefusedServicesOptions {
  caches: Pick<RegistrarCaches, 'services'>;
  requeue: Requeue;
  logger: Logger;
  metrics: RegistrarMetrics;
  events?: WarningRecorder;
  /** Retry delays (default 1 s growing to 5 minutes). */
  refusalRetry?: RefusalRetry;
  /** True for a Service key the reconciler holds desired state for. */
  isKnown(serviceKey: string): boolean;
}

export class RefusedServices {
  private readonly refusals: RefusalTracker;
  /** Service key of every instance ID we computed, so a refused write is traced to its Service. */
  private readonly keyOfInstance = new Map<string, string>();
  private refusalTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: RefusedServicesOptions) {
    this.refusals = new RefusalTracker(options.refusalRetry);
  }

  /** How many Services (or instances of unknown ones) are refused. */
  get size(): number {
    return this.refusals.size;
  }

  /** Remembers that these instances belong to `serviceKey`. */
  track(serviceKey: string, instances: readonly Instance[]): void {
    for (const instance of instances) this.keyOfInstance.set(instance.id, serviceKey);
  }

  /** The Service's owner may have fixed what Consul refused: its next pass retries it. */
  serviceChanged(serviceKey: string): void {
    this.refusals.clear(serviceKey);
  }

  /** The Service is gone: its refusal is forgotten. */
  serviceGone(serviceKey: string): void {
    if (this.refusals.clear(serviceKey)) this.updateRefusalMetrics();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.refusalTimer);
  }

  /** Drops the writes of Services waiting for their refusal retry. */
  withoutHeld(ops: Op[]): Op[] {
    if (this.refusals.size === 0) return ops;
    return ops.filter((op) => !this.refusals.held(this.groupOf(op)));
  }

  /**
   * After a write: deleted instances are forgotten; refused Services get one log line, metric and
   * Warning Event each, and a retry of their own that backs off to minutes. Services written
   * without a refusal are forgotten.
   */
  recordWrites(applied: readonly Op[], rejected: readonly RejectedOp[]): void {
    for (const op of applied) if (op.kind === 'delete') this.keyOfInstance.delete(op.serviceId);
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
      const errorClass = cause === 'permission' ? 'auth' : 'bad-request';
      metrics.consulErrors.inc({ class: errorClass });
      const consulName = consulServiceOf(op);
      logger.warn(
        { class: errorClass, service: group, consulService: consulName, retryInMs: delayMs },
        `Consul refused the registration of ${group}: ${reason}; the other Services are written, this one is retried with backoff`,
      );
      this.reportRefusal(group, consulName, cause, reason);
    }
    if (changed) this.updateRefusalMetrics();
    this.scheduleRefusalRetry();
  }

  /** The Service key an operation belongs to (refusals are per Service), else its instance. */
  private groupOf(op: Op): string {
    const subject = opSubject(op);
    return this.keyOfInstance.get(subject) ?? subject;
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
        // Not a Service we know (an instance left from a deleted one): a full pass retries it.
        if (this.options.isKnown(key)) this.options.requeue.add(key);
        else this.options.requeue.addFull();
      }
      this.scheduleRefusalRetry();
    }, inMs + 1);
    this.refusalTimer.unref();
  }

  private reportRefusal(key: string, consulName: string, cause: RejectedOp['cause'], reason: string): void {
    const { events, caches } = this.options;
    if (!events || !this.options.isKnown(key)) return;
    const service = caches.services.get(...splitKey(key));
    if (!service) return;
    void events.warning(
      involvedService(service),
      CONSUL_REFUSED_REASON,
      refusalMessage(consulName, cause, reason),
    );
  }
}
