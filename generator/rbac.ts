/**
 * The Kubernetes permissions the generator's code uses (checked against deploy/ by test/deploy).
 * Keep in step with cluster.ts (`--check-cluster`: listNamespacedService in the write namespace,
 * read-only) and watch-main.ts (`--leader-elect`: the Lease in the generator's own namespace).
 * The generator never writes anything else to the cluster: its output goes to Git.
 */
import type { ComponentRbac } from '../core/kube/rbac';

export const rbacRules: ComponentRbac = {
  cluster: [
    // cluster.ts: listNamespacedService (the write namespace may differ from our own).
    { apiGroups: [''], resources: ['services'], verbs: ['list'] },
  ],
  namespaced: [
    // LeaderElector: readNamespacedLease, createNamespacedLease, replaceNamespacedLease.
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  ],
};
