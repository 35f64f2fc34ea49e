/** Data shapes shared by the generator's pure modules (no I/O here). */

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
  /** The inventory ConfigMap's name (default `consul-k8s-gitops-inventory`). */
  inventoryName?: string;
  /** `--owner-id`: written into the ownership marker (none when undefined). */
  owner?: string;
  /**
   * `--shard-size`: more Services than this are rendered into shard directories (see layout.ts);
   * undefined or 0: one directory at any size.
   */
  shardSize?: number;
  /** The shard count the committed tree uses (1 or undefined: one directory). Resolved per run. */
  committedShards?: number;
}
