/**
 * The Kubernetes permissions each component's code needs, compared with the RBAC rendered in
 * deploy/. The source of truth is meant to live next to the code: `<component>/rbac.ts`
 * exporting `rbacRules: { cluster: PolicyRule[]; namespaced: PolicyRule[] }` (namespaced =
 * the component's own namespace, e.g. its leader-election Lease).
 *
 * NOTE for the lead: until registrar/rbac.ts and generator/rbac.ts exist, the lists below are
 * the expectation, derived from the calls the code makes today (core/kube: informers list +
 * watch; Events create + patch as issue 6 specifies (today's EventRecorder only creates: drop
 * `patch` here and in deploy/ if it never aggregates); LeaderElector read/create/replaceNamespacedLease;
 * generator --check-cluster: read-only Services). Once a component exports its rules, the test
 * uses them and these fallbacks can be deleted.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PolicyRule } from './inspect';
import { REPO_ROOT } from './render';

export interface ComponentRbac {
  cluster: PolicyRule[];
  namespaced: PolicyRule[];
}

const LEASE_RULES: PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

const FALLBACK: Record<'registrar' | 'generator', ComponentRbac> = {
  registrar: {
    cluster: [
      { apiGroups: [''], resources: ['services', 'nodes'], verbs: ['list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ],
    namespaced: LEASE_RULES,
  },
  generator: {
    cluster: [{ apiGroups: [''], resources: ['services'], verbs: ['get', 'list'] }],
    namespaced: LEASE_RULES,
  },
};

/** The declared rules of a component: its own rbac.ts when present, else the fallback above. */
export function declaredRbac(component: 'registrar' | 'generator'): { rules: ComponentRbac; source: string } {
  const file = path.join(REPO_ROOT, component, 'rbac.ts');
  if (existsSync(file)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as { rbacRules?: ComponentRbac };
    if (!mod.rbacRules) throw new Error(`${component}/rbac.ts does not export rbacRules`);
    return { rules: mod.rbacRules, source: `${component}/rbac.ts` };
  }
  return { rules: FALLBACK[component], source: 'test/deploy/rbac-expectations.ts (fallback)' };
}
