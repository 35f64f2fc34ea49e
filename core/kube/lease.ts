import { V1MicroTime, type V1LeaseSpec } from '@kubernetes/client-node';

/**
 * Leader election rules over a coordination.k8s.io/v1 Lease (pure: no I/O, the clock is a
 * parameter). Same model as client-go's leaderelection: the holder renews `renewTime`; anyone may
 * take the Lease once it is expired or released (empty holder). Expiry is judged by our clock
 * only: the record has not changed (no renewal) for the lease duration since we last saw it change.
 * No wall clock is compared across machines, so clock skew neither steals a live Lease nor delays
 * taking over a dead one.
 */
type LeaseDecision =
  | { action: 'create'; spec: V1LeaseSpec }
  | { action: 'renew'; spec: V1LeaseSpec }
  | { action: 'take'; spec: V1LeaseSpec }
  | { action: 'wait'; holder: string };

interface LeaseSituation {
  /** The Lease spec as read, or undefined when the Lease does not exist. */
  current: V1LeaseSpec | undefined;
  identity: string;
  leaseDurationSeconds: number;
  /** Our clock for durations (monotonic in production). */
  nowMs: number;
  /** Wall-clock time for the timestamps written (default `nowMs`). */
  wallMs?: number;
  /** Local time (same clock as `nowMs`) at which we first saw the current record (its resourceVersion). */
  observedAtMs: number;
}

export function decideLease(situation: LeaseSituation): LeaseDecision {
  const { current, identity, leaseDurationSeconds, nowMs } = situation;
  const now = new V1MicroTime(situation.wallMs ?? nowMs);
  if (!current) {
    return {
      action: 'create',
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      },
    };
  }
  const holder = current.holderIdentity ?? '';
  if (holder === identity) {
    return {
      action: 'renew',
      spec: { ...current, holderIdentity: identity, leaseDurationSeconds, renewTime: now },
    };
  }
  if (holder !== '' && !isExpired(situation)) return { action: 'wait', holder };
  return {
    action: 'take',
    spec: {
      ...current,
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: (current.leaseTransitions ?? 0) + 1,
    },
  };
}

/** The spec written on release: no holder and a 1 s duration, so a standby takes over at once. */
export function releasedSpec(current: V1LeaseSpec, nowMs: number): V1LeaseSpec {
  const now = new V1MicroTime(nowMs);
  return { ...current, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now };
}

/**
 * Expired when we have not seen the Lease change for its duration. Only our own clock counts (as in
 * client-go): the holder's renewTime comes from its clock, and a holder whose clock runs ahead must
 * not delay the takeover.
 */
function isExpired({ current, leaseDurationSeconds, nowMs, observedAtMs }: LeaseSituation): boolean {
  const durationMs = (current?.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
  return observedAtMs + durationMs <= nowMs;
}

/** client-node hands MicroTime fields back as strings (its serializer does not know the type). */
export function toMillis(value: Date | string | undefined): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
