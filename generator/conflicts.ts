/**
 * Services defined elsewhere that a rendered Service would collide with: in the repository
 * outside the managed path, or (with --check-cluster) in the cluster without our label (unless
 * --adopt-consul-k8s and consul-k8s's to-k8s sync wrote it).
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
function servicesDeclaredIn(text: string, namespace: string): string[] {
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

/** name -> "in the repository at <file>" for the Services the given manifests declare. */
export function conflictsInManifests(
  manifests: Iterable<[string, string]>,
  namespace: string,
): Map<string, string> {
  const conflicts = new Map<string, string>();
  for (const [file, text] of manifests) {
    for (const name of servicesDeclaredIn(text, namespace)) {
      if (!conflicts.has(name)) conflicts.set(name, `in the repository at ${file}`);
    }
  }
  return conflicts;
}

/** Is this repository file one that may hold manifests (and not inside the managed path)? */
export function isCandidateManifest(file: string, size: number, managedPath: string): boolean {
  const segments = file.split('/');
  return (
    !file.startsWith(`${managedPath}/`) &&
    !segments.some((segment) => SKIPPED_DIRECTORIES.has(segment)) &&
    MANIFEST_EXTENSIONS.has(path.posix.extname(file).toLowerCase()) &&
    size <= MAX_MANIFEST_BYTES
  );
}

/** Manifests in a work tree on disk, outside the managed path: [relative path, text]. */
export async function manifestsOnDisk(repoDir: string, managedPath: string): Promise<[string, string][]> {
  const manifests: [string, string][] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(repoDir, full).split(path.sep).join('/');
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name) && relative !== managedPath) await walk(full);
      } else if (entry.isFile() && isCandidateManifest(relative, (await stat(full)).size, managedPath)) {
        manifests.push([relative, await readFile(full, 'utf8')]);
      }
    }
  };
  await walk(repoDir);
  return manifests;
}

/** What `--check-cluster` reads of one cluster Service. */
export interface ClusterService {
  name: string;
  labels: Record<string, string>;
  type?: string;
  externalName?: string;
}

/** Minimal read-only view of the cluster's Services in the write namespace. */
export interface ClusterServiceLister {
  listServices(namespace: string): Promise<ClusterService[]>;
}

/** `--adopt-consul-k8s`: what a Service written by consul-k8s's to-k8s sync looks like here. */
interface AdoptOptions {
  /** `--k8s-service-prefix` (consul-k8s's `-k8s-service-prefix`). */
  prefix: string;
  /** `--consul-domain`, without a trailing dot. */
  domain: string;
}

/** consul-k8s's to-k8s label on the Services it writes (and the only thing that marks them). */
const CONSUL_K8S_LABEL = 'consul';

/**
 * Whether a cluster Service is one consul-k8s's to-k8s sync wrote: label `consul: "true"`, type
 * ExternalName, name `<prefix><consul name>` and externalName `<consul name>.service.<domain>`
 * (both lowercased, the domain as given to consul-k8s, so with or without its trailing dot).
 */
export function writtenByConsulK8s(service: ClusterService, adopt: AdoptOptions): boolean {
  if (service.labels[CONSUL_K8S_LABEL] !== 'true' || service.type !== 'ExternalName') return false;
  const suffix = `.service.${adopt.domain}`;
  const target = (service.externalName ?? '').replace(/\.$/, '');
  if (!target.endsWith(suffix)) return false;
  return service.name === `${adopt.prefix}${target.slice(0, -suffix.length)}`;
}

/** Why a cluster Service takes its name from us, or undefined when the name is ours to write. */
export function clusterConflict(
  service: ClusterService,
  namespace: string,
  adopt?: AdoptOptions,
): string | undefined {
  if (service.labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE) return undefined;
  if (adopt && writtenByConsulK8s(service, adopt)) return undefined;
  const where = `in the cluster (namespace ${namespace}) without label ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
  if (adopt && service.labels[CONSUL_K8S_LABEL] === 'true') {
    return `${where}, labelled ${CONSUL_K8S_LABEL}=true but not adopted: not what consul-k8s writes with this --k8s-service-prefix and --consul-domain (type ExternalName, externalName <consul name>.service.${adopt.domain})`;
  }
  return where;
}

/**
 * name -> reason for cluster Services of that name that we do not manage. With `adopt`, Services
 * consul-k8s's to-k8s sync wrote are ours to replace (listed in `adopted`).
 */
export async function findClusterConflicts(
  lister: ClusterServiceLister,
  namespace: string,
  adopt?: AdoptOptions,
): Promise<{ conflicts: Map<string, string>; adopted: string[] }> {
  const conflicts = new Map<string, string>();
  const adopted: string[] = [];
  for (const service of await lister.listServices(namespace)) {
    const reason = clusterConflict(service, namespace, adopt);
    if (reason !== undefined) conflicts.set(service.name, reason);
    else if (service.labels[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) adopted.push(service.name);
  }
  return { conflicts, adopted: adopted.sort() };
}
