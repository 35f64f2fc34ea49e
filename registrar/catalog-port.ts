/**
 * The Consul side of the reconciler, as a port: reading our node and writing operations to it
 * (`CatalogPort`; the controller implements it with `readActualState` + `applyOps`, the unit
 * tests with an in-memory node). Also the rules every write through it obeys: how long one write
 * may take while leading (`writeBudget`), and the refusal to write a node another cluster's
 * registrar owns (`NodeClaimedError`).
 */
import type { ApplyOutcome } from './apply';
import type { CatalogMirror } from './consul-state';
import type { ActualState, Op } from './diff';

/** The Consul side of a pass: our node as Consul holds it, and writes. */
export interface CatalogPort {
  /** `known`: entries an equal read may return instead of a copy (the mirror). */
  readNode(known?: CatalogMirror): Promise<ActualState>;
  /** `mayWrite` is asked before every request (false: stop; a number: the request's deadline). */
  apply(ops: readonly Op[], mayWrite: () => boolean | number): Promise<ApplyOutcome>;
}

/** The longest a single Consul write may take. */
const WRITE_TIMEOUT_MS = 15_000;
/** Kept free at the end of the lease for clock-rate differences and the response's way back. */
const LEASE_SAFETY_MS = 1000;

/**
 * Whether the next write may start, and how long it may take: never past the time another
 * replica could take the Lease over (`leaseRemainingMs`, absent without leader election), so a
 * demoted leader's write cannot land after the new leader's.
 */
export function writeBudget(leading: boolean, leaseRemainingMs?: () => number): boolean | number {
  if (!leading) return false;
  const left = leaseRemainingMs?.();
  if (left === undefined) return WRITE_TIMEOUT_MS;
  return Math.min(WRITE_TIMEOUT_MS, left - LEASE_SAFETY_MS);
}

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
