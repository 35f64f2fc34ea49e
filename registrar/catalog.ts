/**
 * The Consul catalog layout the registrar writes: meta keys, the readiness check, the synthetic
 * node. Shared by `desired.ts` (what we want) and `diff.ts` (what we own), so both agree.
 */

import { EXTERNAL_SOURCE_KUBERNETES, META_EXTERNAL_SOURCE, META_K8S_CLUSTER_ID } from '../core/consul/meta';

/** consul-k8s's readiness check for endpoint-based instances. */
export const READINESS_CHECK_TYPE = 'kubernetes-readiness';
export const READINESS_CHECK_NAME = 'Kubernetes Readiness Check';
export const READINESS_PASSING_OUTPUT = 'Kubernetes health checks passing';
export const READINESS_CRITICAL_OUTPUT = 'Kubernetes health checks failing';

/** consul-k8s registers its synthetic node at this address. */
export const NODE_ADDRESS = '127.0.0.1';

type ReadinessStatus = 'passing' | 'critical';

export interface ReadinessCheck {
  /** `<k8s namespace>/<service id>`, as consul-k8s builds it. */
  id: string;
  status: ReadinessStatus;
  output: string;
}

/** One service instance as the registrar wants it in the catalog. */
export interface Instance {
  id: string;
  service: string;
  address: string;
  port: number;
  tags: readonly string[];
  meta: Record<string, string>;
  /** Set only when the instance carries a weight other than Consul's default. */
  weights?: InstanceWeights;
  /** Endpoint-based instances carry the readiness check. */
  check?: ReadinessCheck;
  /** Consul Enterprise: the Consul namespace (set only with namespaces, see namespaces.ts). */
  namespace?: string;
}

export interface InstanceWeights {
  passing: number;
  warning: number;
}

/** Consul's default weights for an instance registered without any. */
export const DEFAULT_WEIGHTS: InstanceWeights = { passing: 1, warning: 1 };

/** The synthetic node every instance sits on. */
export interface SyncNode {
  name: string;
  address: string;
  meta: Record<string, string>;
}

export function desiredNode(nodeName: string, clusterId: string): SyncNode {
  return {
    name: nodeName,
    address: NODE_ADDRESS,
    meta: { [META_EXTERNAL_SOURCE]: EXTERNAL_SOURCE_KUBERNETES, [META_K8S_CLUSTER_ID]: clusterId },
  };
}

/** True when the instance meta marks it as written by the registrar of `clusterId`. */
export function isOwnedBy(meta: Record<string, string> | null | undefined, clusterId: string): boolean {
  return (
    meta?.[META_EXTERNAL_SOURCE] === EXTERNAL_SOURCE_KUBERNETES && meta[META_K8S_CLUSTER_ID] === clusterId
  );
}
