/**
 * Service and node meta keys the sync writes (consul-k8s's names, plus our cluster marker).
 * One definition for the registrar (writes them), the annotation rules (refuse overrides, count
 * them towards Consul's 64-pair limit) and the generator (its loop guard reads them). Pure data.
 */
export const META_EXTERNAL_SOURCE = 'external-source';
export const EXTERNAL_SOURCE_KUBERNETES = 'kubernetes';
export const META_K8S_NAMESPACE = 'external-k8s-ns';
/** Ours: which cluster's registrar owns a node or an instance. */
export const META_K8S_CLUSTER_ID = 'external-k8s-cluster-id';
/** Endpoint-based instances only. */
export const META_K8S_REF_KIND = 'external-k8s-ref-kind';
export const META_K8S_REF_NAME = 'external-k8s-ref-name';
export const META_K8S_NODE_NAME = 'external-k8s-node-name';
export const META_K8S_TOPOLOGY_ZONE = 'external-k8s-topology-zone';
/** One `port-<port name>` per Service port. */
export const META_PORT_PREFIX = 'port-';

/** Every instance, as consul-k8s writes it: who owns it. */
export const CONSUL_K8S_OWNERSHIP_META_KEYS: readonly string[] = [META_EXTERNAL_SOURCE, META_K8S_NAMESPACE];
/** Every instance, as this registrar writes it: consul-k8s's keys plus the cluster marker. */
export const OWNERSHIP_META_KEYS: readonly string[] = [
  ...CONSUL_K8S_OWNERSHIP_META_KEYS,
  META_K8S_CLUSTER_ID,
];
/** Added to instances made from endpoints (ClusterIP, NodePort, LoadBalancer synced by endpoints). */
export const ENDPOINT_META_KEYS: readonly string[] = [
  META_K8S_REF_KIND,
  META_K8S_REF_NAME,
  META_K8S_NODE_NAME,
  META_K8S_TOPOLOGY_ZONE,
];

/** The family of keys the sync owns besides `external-source`: `external-k8s-*`. */
export const SYNC_OWNED_META_PREFIX = 'external-k8s-';

/** True for keys only the sync may set: `external-source` and the `external-k8s-*` family. */
export function isSyncOwnedMetaKey(key: string): boolean {
  return key === META_EXTERNAL_SOURCE || key.startsWith(SYNC_OWNED_META_PREFIX);
}
