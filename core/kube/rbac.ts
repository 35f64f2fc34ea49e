/**
 * The shape in which each component declares the Kubernetes permissions its code uses
 * (`registrar/rbac.ts`, `generator/rbac.ts`); test/deploy checks the manifests grant exactly those.
 */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export interface ComponentRbac {
  /** Granted by a ClusterRole. */
  cluster: PolicyRule[];
  /** Granted by a Role in the component's own namespace (e.g. its leader-election Lease). */
  namespaced: PolicyRule[];
}
