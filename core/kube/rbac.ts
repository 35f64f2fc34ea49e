/**
 * The shape in which each component declares the Kubernetes permissions its code uses
 * (`registrar/rbac.ts`, `generator/rbac.ts`); test/deploy checks the manifests grant exactly those.
 */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  /** Only these objects (RBAC cannot restrict `create` or `list` by name). */
  resourceNames?: string[];
  verbs: string[];
}

export interface ComponentRbac {
  /** Granted by a ClusterRole. */
  cluster: PolicyRule[];
  /** Granted by a Role in the component's own namespace (e.g. its leader-election Lease). */
  namespaced: PolicyRule[];
}

/**
 * What LeaderElector does with its Lease, in the component's own namespace:
 * readNamespacedLease + replaceNamespacedLease on that Lease, createNamespacedLease when it is
 * missing (create cannot be restricted by name).
 */
export function leaderElectionRules(leaseName: string): PolicyRule[] {
  return [
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      resourceNames: [leaseName],
      verbs: ['get', 'update'],
    },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  ];
}
