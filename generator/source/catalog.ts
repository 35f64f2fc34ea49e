/** What a catalog source reads: Consul service names with their tags and instance facts. */

/**
 * Where a service's Kubernetes instances came from: none; this cluster (its cluster ID, none
 * said, or any cluster without --cluster-id); only other clusters.
 */
export type KubernetesOrigin = 'none' | 'this-cluster' | 'other-cluster';

/** One Consul service name with the union of its tags and what its instances' meta say. */
export interface CatalogService {
  name: string;
  tags: string[];
  /** Some instance opts out (meta `k8s-sync` set to a Go false). */
  optedOut: boolean;
  fromKubernetes: KubernetesOrigin;
}

/**
 * A read that could not see everything: what was missing and why. A run given one changes
 * nothing the missing part could affect (it removes no Service) and says so.
 */
export interface CatalogGap {
  /** What could not be read, e.g. `/v1/catalog/services`. */
  what: string;
  /** Why, e.g. `filtered by ACLs (X-Consul-Results-Filtered-By-ACLs: true)`. */
  reason: string;
}

/** What a source returned in one read. `index` is the Consul index (or a file fingerprint). */
export interface CatalogSnapshot {
  services: CatalogService[];
  index?: string;
  /** The datacenter that answered, when the source says (Consul: its nodes' datacenter). */
  datacenter?: string;
  /** Present when the read was partial (filtered by ACLs). */
  gaps?: CatalogGap[];
}
