/**
 * Installs that live side by side in one cluster cannot overwrite each other: overlays that
 * install into different namespaces share no cluster-scoped object (webhook configurations,
 * ClusterRoles and their bindings, PriorityClasses, the Namespace itself) and no object in a
 * namespace outside their own (the generator's Role in its write namespace). Overlays into the
 * same namespace (dev and its one-part variants for `skaffold dev -p`) are one install.
 */
import { mapLimited, OVERLAYS, renderOverlay, type K8sObject } from './render';
import { sharedObjects, type Install } from './collision';
import { ofKind } from './inspect';

const installs: Install[] = [];

beforeAll(async () => {
  installs.push(
    ...(await mapLimited(OVERLAYS, 2, async (overlay) => {
      const objects = await renderOverlay(overlay);
      return { label: overlay, namespace: ofKind(objects, 'Namespace')[0]?.metadata.name ?? '', objects };
    })),
  );
}, 120_000);

test('overlays installing into different namespaces share no cluster-scoped name', () => {
  expect(new Set(installs.map((i) => i.namespace)).size).toBeGreaterThanOrEqual(2);
  expect(sharedObjects(installs)).toEqual([]);
});

test('a shared cluster-scoped name or a shared foreign-namespace object is reported (the check itself works)', () => {
  const role = (name: string, namespace?: string): K8sObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: namespace ? 'Role' : 'ClusterRole',
    metadata: { name, ...(namespace ? { namespace } : {}) },
  });
  const a = { label: 'a', namespace: 'ns-a', objects: [role('x'), role('own', 'ns-a'), role('w', 'shared')] };
  const b = { label: 'b', namespace: 'ns-b', objects: [role('x'), role('own', 'ns-b'), role('w', 'shared')] };
  const sameInstall = { label: 'a/part', namespace: 'ns-a', objects: [role('x')] };
  expect(sharedObjects([a, b, sameInstall])).toEqual([
    'a and b both install rbac.authorization.k8s.io/ClusterRole x',
    'a and b both install rbac.authorization.k8s.io/Role shared/w',
    'b and a/part both install rbac.authorization.k8s.io/ClusterRole x',
  ]);
});
