/**
 * Desired vs actual for our node: the minimal catalog operations that make Consul match.
 * Pure. Only instances carrying our cluster's ownership marker are ever changed or removed;
 * anything else on the node (another cluster, another tool) is left alone.
 */
import {
  type SyncNode,
  DEFAULT_WEIGHTS,
  type Instance,
  isOwnedBy,
  READINESS_CHECK_NAME,
  READINESS_CHECK_TYPE,
  type ReadinessCheck,
  type InstanceWeights,
} from './catalog';
import { EXTERNAL_SOURCE_KUBERNETES, META_EXTERNAL_SOURCE, META_K8S_CLUSTER_ID } from '../core/consul/meta';
import { instanceKey } from './namespaces';

/** An instance as read back from Consul (`/v1/catalog/node-services/:node`); checks come separately. */
export type ActualInstance = Omit<Instance, 'check'>;

/** A check as read back from Consul. */
export interface ActualCheck {
  id: string;
  serviceId: string;
  name: string;
  type?: string;
  status: string;
  output: string;
  /** Consul Enterprise: the namespace of the check (its service's). */
  namespace?: string;
}

export interface ActualState {
  /** Undefined when the node is not registered. */
  node?: { address: string; meta: Record<string, string> };
  instances: readonly ActualInstance[];
  checks: readonly ActualCheck[];
}

export interface DesiredState {
  node: SyncNode;
  instances: readonly Instance[];
}

type InstanceWithCheck = Instance & { check: ReadinessCheck };

export type Op =
  | { kind: 'node'; node: SyncNode }
  | { kind: 'service'; instance: Instance }
  | { kind: 'check'; instance: InstanceWithCheck }
  | { kind: 'delete-check'; checkId: string; serviceId: string; namespace?: string }
  | { kind: 'delete'; serviceId: string; service: string; namespace?: string }
  | { kind: 'delete-node'; node: string };

interface DiffResult {
  ops: Op[];
  /** Desired IDs already taken by an instance we do not own: left alone, reported. */
  conflicts: string[];
}

export function diff(desired: DesiredState, actual: ActualState, clusterId: string): DiffResult {
  const ops: Op[] = [];
  const conflicts: string[] = [];
  // A node that exists and is not ours (by its meta) is never modified: our instances go on it
  // as consul-k8s puts them, with node updates skipped (catalog/to-consul/syncer.go SkipNodeUpdate).
  const foreignNode = actual.node !== undefined && !isOwnedBy(actual.node.meta, clusterId);
  if (!foreignNode && !nodeMatches(desired.node, actual.node)) ops.push({ kind: 'node', node: desired.node });

  // Keyed by namespace and ID: with namespaces an ID may exist in several (a moved Service).
  const actualByKey = new Map(
    actual.instances.map((instance) => [instanceKey(instance.id, instance.namespace), instance]),
  );
  const checksByServiceKey = new Map<string, ActualCheck[]>();
  for (const check of actual.checks) {
    const key = instanceKey(check.serviceId, check.namespace);
    const list = checksByServiceKey.get(key);
    if (list) list.push(check);
    else checksByServiceKey.set(key, [check]);
  }

  const desiredKeys = new Set<string>();
  for (const instance of desired.instances) {
    const key = instanceKey(instance.id, instance.namespace);
    desiredKeys.add(key);
    const current = actualByKey.get(key);
    if (current && !isOwnedBy(current.meta, clusterId)) {
      conflicts.push(instance.id);
      continue;
    }
    if (!current || !instanceMatches(instance, current)) ops.push({ kind: 'service', instance });
    const checks = checksByServiceKey.get(key) ?? [];
    if (instance.check) {
      const wanted = instance.check;
      const existing = checks.find((check) => check.id === wanted.id);
      if (!current || !existing || !checkMatches(wanted, existing)) {
        ops.push({ kind: 'check', instance: instance as InstanceWithCheck });
      }
    }
    for (const stale of checks) {
      if (stale.type === READINESS_CHECK_TYPE && stale.id !== instance.check?.id && current) {
        ops.push(
          withNamespace({ kind: 'delete-check', checkId: stale.id, serviceId: instance.id }, instance),
        );
      }
    }
  }

  for (const current of actual.instances) {
    if (!desiredKeys.has(instanceKey(current.id, current.namespace)) && isOwnedBy(current.meta, clusterId))
      ops.push(deleteOp(current));
  }
  return { ops, conflicts };
}

function withNamespace<T extends Op>(op: T, instance: { namespace?: string }): T {
  return instance.namespace === undefined ? op : { ...op, namespace: instance.namespace };
}

function deleteOp(instance: ActualInstance): Op {
  return withNamespace({ kind: 'delete', serviceId: instance.id, service: instance.service }, instance);
}

function nodeMatches(wanted: SyncNode, actual: ActualState['node']): boolean {
  if (!actual || actual.address !== wanted.address) return false;
  return Object.entries(wanted.meta).every(([key, value]) => actual.meta[key] === value);
}

/** Whether Consul's instance is what `wanted` registers (the diff's one rule of equality). */
export function instanceMatches(wanted: Instance, actual: ActualInstance): boolean {
  return (
    wanted.service === actual.service &&
    wanted.address === actual.address &&
    wanted.port === actual.port &&
    sameList(wanted.tags, actual.tags) &&
    sameRecord(wanted.meta, actual.meta) &&
    sameWeights(wanted.weights ?? DEFAULT_WEIGHTS, actual.weights ?? DEFAULT_WEIGHTS)
  );
}

function checkMatches(wanted: ReadinessCheck, actual: ActualCheck): boolean {
  return (
    actual.status === wanted.status &&
    actual.output === wanted.output &&
    actual.name === READINESS_CHECK_NAME &&
    (actual.type === undefined || actual.type === '' || actual.type === READINESS_CHECK_TYPE)
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => b[key] === a[key]);
}

function sameWeights(a: InstanceWeights, b: InstanceWeights): boolean {
  return a.passing === b.passing && a.warning === b.warning;
}

/**
 * The cluster id of another registrar whose node this is (node meta `external-source=kubernetes`
 * with a different `external-k8s-cluster-id`), else undefined. Two clusters on one node would
 * fight over it, so the second one refuses to run.
 */
export function nodeClaimedBy(node: ActualState['node'], clusterId: string): string | undefined {
  const other = node?.meta[META_K8S_CLUSTER_ID];
  if (node?.meta[META_EXTERNAL_SOURCE] !== EXTERNAL_SOURCE_KUBERNETES || !other || other === clusterId)
    return undefined;
  return other;
}

/**
 * `--purge`: remove every instance we own on the node, then the node itself when it is ours and
 * nothing else is left on it (deleting a node deletes all its services, so never otherwise).
 */
/**
 * `--purge`: delete every instance of ours in `actual`, and the node when nothing else is on it.
 * `partial`: `actual` holds only some of the node's instances (a `--filter`), so the node stays.
 */
export function purgeOps(actual: ActualState, nodeName: string, clusterId: string, partial = false): Op[] {
  const ops: Op[] = [];
  let foreign = 0;
  for (const instance of actual.instances) {
    if (isOwnedBy(instance.meta, clusterId)) ops.push(deleteOp(instance));
    else foreign++;
  }
  if (!partial && actual.node && foreign === 0 && isOwnedBy(actual.node.meta, clusterId))
    ops.push({ kind: 'delete-node', node: nodeName });
  return ops;
}
