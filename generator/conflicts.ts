/**
 * Services defined elsewhere that a rendered Service would collide with: in the repository
 * outside the managed path, or (with --check-cluster) in the cluster without our label.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../core/annotations/keys';

interface ManifestLike {
  kind?: unknown;
  apiVersion?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; labels?: Record<string, unknown> | null };
  items?: unknown;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const MAX_MANIFEST_BYTES = 2 * 1024 * 1024;
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);

/**
 * Service names in `namespace` declared by the given manifest text (a Service without a
 * namespace counts: kustomize or kubectl may put it there). Unparseable text declares nothing.
 */
export function servicesDeclaredIn(text: string, namespace: string): string[] {
  if (!text.includes('Service')) return [];
  let documents: unknown[];
  try {
    documents = yaml.loadAll(text);
  } catch {
    return [];
  }
  const names: string[] = [];
  const visit = (doc: unknown): void => {
    if (doc === null || typeof doc !== 'object') return;
    const manifest = doc as ManifestLike;
    if (Array.isArray(manifest.items)) manifest.items.forEach(visit);
    if (manifest.kind !== 'Service' || manifest.apiVersion !== 'v1') return;
    const name = manifest.metadata?.name;
    const ns = manifest.metadata?.namespace;
    if (typeof name === 'string' && (ns === undefined || ns === null || ns === namespace)) names.push(name);
  };
  documents.forEach(visit);
  return names;
}

/** name -> "in <file>" for Services declared in the repository outside the managed path. */
export async function findRepositoryConflicts(
  repoDir: string,
  managedPath: string,
  namespace: string,
): Promise<Map<string, string>> {
  const conflicts = new Map<string, string>();
  const managedAbsolute = path.join(repoDir, managedPath);
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (SKIPPED_DIRECTORIES.has(entry.name) || full === managedAbsolute) continue;
        await walk(full);
      } else if (entry.isFile() && MANIFEST_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) {
        if ((await stat(full)).size > MAX_MANIFEST_BYTES) continue;
        const text = await readFile(full, 'utf8');
        const relative = path.relative(repoDir, full).split(path.sep).join('/');
        for (const name of servicesDeclaredIn(text, namespace)) {
          if (!conflicts.has(name)) conflicts.set(name, `in the repository at ${relative}`);
        }
      }
    }
  };
  await walk(repoDir);
  return conflicts;
}

/** Minimal read-only view of the cluster's Services in the write namespace. */
export interface ClusterServiceLister {
  listServices(namespace: string): Promise<{ name: string; labels: Record<string, string> }[]>;
}

/** name -> reason for cluster Services of that name that we do not manage. */
export async function findClusterConflicts(
  lister: ClusterServiceLister,
  namespace: string,
): Promise<Map<string, string>> {
  const conflicts = new Map<string, string>();
  for (const service of await lister.listServices(namespace)) {
    if (service.labels[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) {
      conflicts.set(
        service.name,
        `in the cluster (namespace ${namespace}) without label ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
      );
    }
  }
  return conflicts;
}
