/**
 * The Consul catalog layout the registrar writes: meta keys, the readiness check, the synthetic
 * node. Shared by `desired.ts` (what we want) and `diff.ts` (what we own), so both agree.
 */

/** consul-k8s keys and values (control-plane/catalog/to-consul). */
export const META_EXTERNAL_SOURCE = 'external-source';
export const EXTERNAL_SOURCE_KUBERNETES = 'kubernetes';
export const META_K8S_NAMESPACE = 'external-k8s-ns';
export const META_K8S_REF_KIND = 'external-k8s-ref-kind';
export const META_K8S_REF_NAME = 'external-k8s-ref-name';
export const META_K8S_NODE_NAME = 'external-k8s-node-name';
export const META_K8S_TOPOLOGY_ZONE = 'external-k8s-topology-zone';
export const META_PORT_PREFIX = 'port-';

/** Ours: which cluster's registrar owns a node or an instance (service meta and node meta). */
export const META_K8S_CLUSTER_ID = 'external-k8s-cluster-id';

/** consul-k8s's readiness check for endpoint-based instances. */
export const READINESS_CHECK_TYPE = 'kubernetes-readiness';
export const READINESS_CHECK_NAME = 'Kubernetes Readiness Check';
export const READINESS_PASSING_OUTPUT = 'Kubernetes health checks passing';
export const READINESS_CRITICAL_OUTPUT = 'Kubernetes health checks failing';

/** consul-k8s registers its synthetic node at this address. */
export const NODE_ADDRESS = '127.0.0.1';

export type CheckStatus = 'passing' | 'critical';

export interface ReadinessCheck {
  /** `<k8s namespace>/<service id>`, as consul-k8s builds it. */
  id: string;
  status: CheckStatus;
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
  weights?: Weights;
  /** Endpoint-based instances carry the readiness check. */
  check?: ReadinessCheck;
}

export interface Weights {
  passing: number;
  warning: number;
}

/** Consul's default weights for an instance registered without any. */
export const DEFAULT_WEIGHTS: Weights = { passing: 1, warning: 1 };

/** The synthetic node every instance sits on. */
export interface CatalogNode {
  name: string;
  address: string;
  meta: Record<string, string>;
}

export function desiredNode(nodeName: string, clusterId: string): CatalogNode {
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
