/**
 * The Kubernetes permissions the generator's code uses (checked against deploy/ by test/deploy).
 * Keep in step with cluster.ts (`--check-cluster`: listNamespacedService in the write namespace,
 * read-only) and watch-main.ts (`--leader-elect`: the Lease in the generator's own namespace).
 * The generator never writes anything else to the cluster: its output goes to Git.
 */
import { type ComponentRbac, leaderElectionRules, type PolicyRule } from '../core/kube/rbac';

/**
 * The Lease the manifests pass as --leader-elect-lease-name. Not DEFAULT_LEASE_NAME: that equals
 * a settings ConfigMap's name, and kustomize rewrites matching Role resourceNames to the
 * ConfigMap's hashed name.
 */
const MANIFEST_LEASE_NAME = 'consul-k8s-gitops-generator-leader-election';

export const rbacRules: ComponentRbac & {
  /** Granted by a Role in --k8s-write-namespace (GENERATOR_WRITE_NAMESPACE). */
  writeNamespace: PolicyRule[];
} = {
  // Nothing cluster-wide: --check-cluster reads one namespace.
  cluster: [],
  writeNamespace: [
    // cluster.ts: listNamespacedService({ namespace: the write namespace }).
    { apiGroups: [''], resources: ['services'], verbs: ['list'] },
  ],
  namespaced: leaderElectionRules(MANIFEST_LEASE_NAME),
};
