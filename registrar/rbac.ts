/**
 * The Kubernetes permissions the registrar's code uses (checked against deploy/ by test/deploy).
 * Keep in step with main.ts: informers (list + watch) on Services, EndpointSlices and Nodes; the
 * Event recorder; the leader-election Lease in the registrar's own namespace.
 */
import type { ComponentRbac } from '../core/kube/rbac';

export const rbacRules: ComponentRbac = {
  cluster: [
    // KubeInformer: listServiceForAllNamespaces / listNode + watch.
    { apiGroups: [''], resources: ['services', 'nodes'], verbs: ['list', 'watch'] },
    // KubeInformer: listEndpointSliceForAllNamespaces + watch.
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    // EventRecorder: createNamespacedEvent; patchNamespacedEvent to aggregate a repeat (count).
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ],
  namespaced: [
    // LeaderElector: readNamespacedLease, createNamespacedLease, replaceNamespacedLease.
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  ],
};
