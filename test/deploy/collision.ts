/** Objects two installs would both own: the overlay-collision rule behind collision.test.ts. */
import type { K8sObject } from './render';

export interface Install {
  label: string;
  /** The namespace the install lives in; installs into one namespace are the same install. */
  namespace: string;
  objects: K8sObject[];
}

/**
 * Identities an install owns outside its own namespace: cluster-scoped objects (rendered
 * without a namespace) and namespaced objects placed in another namespace.
 */
function foreignIdentities(install: Install): Set<string> {
  const ids = new Set<string>();
  for (const o of install.objects) {
    const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : 'core';
    const ns = o.metadata.namespace;
    if (ns === install.namespace) continue;
    ids.add(`${group}/${o.kind} ${ns === undefined ? '' : `${ns}/`}${o.metadata.name}`);
  }
  return ids;
}

/** `"<a> and <b> both install <id>"` for every pair of installs in different namespaces. */
export function sharedObjects(installs: readonly Install[]): string[] {
  const problems: string[] = [];
  installs.forEach((a, i) => {
    const ours = foreignIdentities(a);
    for (const b of installs.slice(i + 1)) {
      if (a.namespace === b.namespace) continue;
      for (const id of foreignIdentities(b))
        if (ours.has(id)) problems.push(`${a.label} and ${b.label} both install ${id}`);
    }
  });
  return problems.sort();
}
