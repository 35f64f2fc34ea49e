/** Data shapes shared by the generator's pure modules (no I/O here). */

/** One instance of a Consul service, as far as the generator cares: its service meta. */
export interface CatalogInstance {
  meta: Record<string, string>;
}

/** One Consul service name with the union of its tags and its instances' meta. */
export interface CatalogService {
  name: string;
  tags: string[];
  instances: CatalogInstance[];
}

/** What a source returned in one read. `index` is the Consul index (or a file fingerprint). */
export interface CatalogSnapshot {
  services: CatalogService[];
  index?: string;
  /** The datacenter that answered, when the source says (Consul: its nodes' datacenter). */
  datacenter?: string;
}

/** A Consul service that will be rendered, with its Kubernetes name decided. */
export interface SelectedService {
  consulName: string;
  k8sName: string;
  tags: string[];
}

/** A Consul service that is not rendered, and why (shown in the inventory and reports). */
export interface SkippedService {
  consulName: string;
  reason: string;
}

/** How Services are rendered (from flags). */
export interface RenderOptions {
  /** `--k8s-write-namespace`. */
  namespace: string;
  /** `--consul-domain`, e.g. `consul`. */
  domain: string;
  /** Datacenter put into `externalName` (`--consul-datacenter-dns`); undefined: none. */
  datacenter?: string;
  /**
   * `--consul-datacenter-dns` without a value or `--datacenter`: put the datacenter Consul
   * answered from (the agent's) into `externalName`. Resolved per run, before rendering.
   */
  datacenterFromCatalog?: boolean;
  /** Add the Consul tags as an annotation (`--annotate-consul-tags`). */
  annotateTags: boolean;
}
