/**
 * The Kubernetes permissions the registrar's code uses (checked against deploy/ by test/deploy).
 * Keep in step with main.ts: informers (list + watch) on Services, EndpointSlices, Nodes and
 * (with --enable-ingress) Ingresses; the
 * Event recorder; the leader-election Lease in the registrar's own namespace.
 */
import { type ComponentRbac, leaderElectionRules } from '../core/kube/rbac';

/**
 * The Lease the manifests pass as --leader-elect-lease-name. Not DEFAULT_LEASE_NAME: that equals
 * a settings ConfigMap's name, and kustomize rewrites matching Role resourceNames to the
 * ConfigMap's hashed name.
 */
const MANIFEST_LEASE_NAME = 'consul-k8s-gitops-registrar-leader-election';

export const rbacRules: ComponentRbac = {
  cluster: [
    // KubeInformer: listServiceForAllNamespaces / listNode + watch.
    { apiGroups: [''], resources: ['services', 'nodes'], verbs: ['list', 'watch'] },
    // KubeInformer: listEndpointSliceForAllNamespaces + watch.
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    // KubeInformer with --enable-ingress: listIngressForAllNamespaces + watch. Granted always, as
    // consul-k8s's chart does, so turning Ingress sync on needs no RBAC change.
    { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['list', 'watch'] },
    // EventRecorder: createNamespacedEvent; patchNamespacedEvent to aggregate a repeat (count).
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ],
  namespaced: leaderElectionRules(MANIFEST_LEASE_NAME),
};
