import type { CoordinationV1Api, V1Lease, V1LeaseSpec } from '@kubernetes/client-node';
import { sleep } from './backoff';
import { describeKubeError, isAlreadyExists, isConflict, isNotFound } from './errors';
import { decideLease, releasedSpec } from './lease';

/**
 * Lease-based leader election (coordination.k8s.io/v1), shared by the registrar and the generator.
 * Every write is a compare-and-swap on metadata.resourceVersion (a 409 means someone else won).
 * The leader renews every `retryPeriodMs`; if it cannot renew for `renewDeadlineMs` it stops
 * leading. `stop()` releases the Lease (empty holder) so a standby takes over immediately.
 * Durations (renew deadline, expiry, what is left of our lease) are judged on a monotonic clock,
 * so a wall-clock step (NTP, a VM resume) neither makes a standby steal a live Lease nor lets a
 * demoted leader believe it still leads; only the timestamps written into the Lease use the wall clock.
 */
interface LeaderElectionOptions {
  coordination: CoordinationV1Api;
  namespace: string;
  name: string;
  /** Unique per replica, e.g. the Pod name. */
  identity: string;
  /** Default 15 s (client-go's default). */
  leaseDurationSeconds?: number;
  /** Default 10 s; must be shorter than the lease duration. */
  renewDeadlineMs?: number;
  /** Default 2 s. */
  retryPeriodMs?: number;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes (empty string: nobody). */
  onNewLeader?: (identity: string) => void;
  onError?: (error: unknown, description: string) => void;
  /**
   * Clock for durations, injectable for tests; default monotonic (`performance.now()`). When
   * given without `wallClock`, it is also used for the timestamps written.
   */
  now?: () => number;
  /** Clock for the Lease's acquireTime/renewTime; default `Date.now`. */
  wallClock?: () => number;
}

export class LeaderElector {
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;
  private readonly wallClock: () => number;
  private leading = false;
  private lastRenewMs = 0;
  private observedVersion: string | undefined;
  private observedAtMs = 0;
  private observedHolder: string | undefined;
  private lastLease: V1Lease | undefined;
  private loop: Promise<void> | undefined;
  private abort: AbortController | undefined;

  constructor(private readonly options: LeaderElectionOptions) {
    this.leaseDurationSeconds = options.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.now = options.now ?? (() => performance.now());
    this.wallClock = options.wallClock ?? options.now ?? Date.now;
    if (!Number.isInteger(this.leaseDurationSeconds) || this.leaseDurationSeconds < 1) {
      throw new RangeError(
        `leaseDurationSeconds must be a positive integer, got ${this.leaseDurationSeconds}`,
      );
    }
    if (!(this.renewDeadlineMs < this.leaseDurationSeconds * 1000)) {
      throw new RangeError(
        `renewDeadlineMs (${this.renewDeadlineMs}) must be shorter than the lease duration (${this.leaseDurationSeconds} s)`,
      );
    }
    if (!(this.retryPeriodMs > 0 && this.retryPeriodMs < this.renewDeadlineMs)) {
      throw new RangeError(
        `retryPeriodMs (${this.retryPeriodMs}) must be positive and shorter than renewDeadlineMs (${this.renewDeadlineMs})`,
      );
    }
  }

  /** True while this replica holds a Lease it renewed within the renew deadline. */
  isLeader(): boolean {
    return this.leading && this.now() - this.lastRenewMs < this.renewDeadlineMs;
  }

  /**
   * How long this replica may still act as leader (ms): until another replica could take the
   * Lease over, counted from the start of our last successful renewal (the others count from when
   * they saw it, which is later). 0 when not leading. Writes bounded by it cannot land after a
   * takeover.
   */
  leaseRemainingMs(): number {
    if (!this.isLeader()) return 0;
    return Math.max(0, this.lastRenewMs + this.leaseDurationSeconds * 1000 - this.now());
  }

  /** The holder last seen on the Lease ('' when released, undefined before the first read). */
  holder(): string | undefined {
    return this.observedHolder;
  }

  /** Starts the acquire/renew loop in the background. */
  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    const signal = this.abort.signal;
    this.loop = (async () => {
      while (!signal.aborted) {
        await this.tryAcquireOrRenew();
        // Contenders spread their attempts a little, as client-go does.
        const delay = this.leading ? this.retryPeriodMs : this.retryPeriodMs * (1 + Math.random() * 0.2);
        await sleep(delay, signal);
      }
    })();
  }

  /** Stops the loop and, when leading, releases the Lease. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.loop = undefined;
    if (this.leading) {
      await this.release();
      this.setLeading(false);
    }
  }

  /** One round: read the Lease, then create, renew or take it when allowed. Resolves isLeader(). */
  async tryAcquireOrRenew(): Promise<boolean> {
    const startedMs = this.now();
    try {
      const won = await this.round();
      if (won) {
        // From before the request: the renewal may have been stored any time after this.
        this.lastRenewMs = startedMs;
        this.setLeading(true);
      } else if (this.leading && this.observedHolder !== this.options.identity) {
        this.setLeading(false);
      }
    } catch (error) {
      this.options.onError?.(
        error,
        `lease ${this.options.namespace}/${this.options.name}: ${describeKubeError(error)}`,
      );
    }
    if (this.leading && this.now() - this.lastRenewMs >= this.renewDeadlineMs) this.setLeading(false);
    return this.leading;
  }

  private async round(): Promise<boolean> {
    const { coordination, namespace, name, identity } = this.options;
    let lease: V1Lease | undefined;
    try {
      lease = await coordination.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const nowMs = this.now();
    if (lease) this.observe(lease, nowMs);
    const decision = decideLease({
      current: lease ? (lease.spec ?? {}) : undefined,
      identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      nowMs,
      wallMs: this.wallClock(),
      observedAtMs: this.observedAtMs,
    });
    if (decision.action === 'wait') return false;
    try {
      const written =
        decision.action === 'create'
          ? await coordination.createNamespacedLease({
              namespace,
              body: this.leaseBody(undefined, decision.spec),
            })
          : await coordination.replaceNamespacedLease({
              name,
              namespace,
              body: this.leaseBody(lease, decision.spec),
            });
      this.observe(written, this.now());
      this.lastLease = written;
      return true;
    } catch (error) {
      // Another replica wrote first: not an error, just not our turn.
      if (isConflict(error) || isAlreadyExists(error)) return false;
      throw error;
    }
  }

  private async release(): Promise<void> {
    const lease = this.lastLease;
    if (!lease?.spec) return;
    try {
      const { name, namespace } = this.options;
      await this.options.coordination.replaceNamespacedLease({
        name,
        namespace,
        body: this.leaseBody(lease, releasedSpec(lease.spec, this.wallClock())),
      });
    } catch (error) {
      // A conflict means someone else already holds it; anything else: the Lease simply expires.
      if (!isConflict(error))
        this.options.onError?.(
          error,
          `releasing lease ${this.options.namespace}/${this.options.name}: ${describeKubeError(error)}`,
        );
    }
  }

  private leaseBody(current: V1Lease | undefined, spec: V1LeaseSpec): V1Lease {
    const metadata: V1Lease['metadata'] = { name: this.options.name, namespace: this.options.namespace };
    if (current?.metadata?.resourceVersion) metadata.resourceVersion = current.metadata.resourceVersion;
    if (current?.metadata?.labels) metadata.labels = current.metadata.labels;
    if (current?.metadata?.annotations) metadata.annotations = current.metadata.annotations;
    return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata, spec };
  }

  private observe(lease: V1Lease, nowMs: number): void {
    const version = lease.metadata?.resourceVersion;
    if (version !== this.observedVersion) {
      this.observedVersion = version;
      this.observedAtMs = nowMs;
    }
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      this.options.onNewLeader?.(holder);
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    const callback = leading ? this.options.onStartedLeading : this.options.onStoppedLeading;
    try {
      callback?.();
    } catch (error) {
      this.options.onError?.(error, `leader callback failed: ${describeKubeError(error)}`);
    }
  }
}
