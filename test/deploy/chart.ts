/**
 * Renders deploy/chart with a real `helm` binary (the real tier's, built from helm.sh/helm/v3)
 * and puts chart and overlay renders side by side: objects keyed by identity, with the one
 * difference that is by design, the content hash in the settings ConfigMaps' names (kustomize's
 * configMapGenerator and the chart each hash the data their own way), taken out of both.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REAL_BIN } from '../real/servers/process';
import { DEPLOY_DIR, parseObjects, type K8sObject } from './render';

const execFileAsync = promisify(execFile);

export const HELM = path.join(REAL_BIN, 'helm');
export const CHART_DIR = path.join(DEPLOY_DIR, 'chart');

/** Runs helm; throws with its stderr (a missing binary fails, it is never skipped). */
export async function helm(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(HELM, args, {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 60_000,
      // No repositories, plugins or caches of the user's: the chart has no dependencies.
      env: {
        ...process.env,
        HELM_CACHE_HOME: '/tmp/ckg-helm/cache',
        HELM_CONFIG_HOME: '/tmp/ckg-helm/config',
        HELM_DATA_HOME: '/tmp/ckg-helm/data',
      },
    });
    return stdout;
  } catch (err) {
    const e = err as { code?: string; stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') throw new Error(`helm not found at ${HELM} (set CKG_REAL_BIN)`);
    throw new Error(
      `helm ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || (e.stdout ?? '').trim() || String(err)}`,
    );
  }
}

/** `helm template` of the chart into `namespace` with `--set` pairs. */
export async function renderChart(namespace: string, set: Record<string, string> = {}): Promise<K8sObject[]> {
  const sets = Object.entries(set).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  // Without a cluster, `helm template` assumes Kubernetes 1.20; the chart requires 1.30+.
  const args = [
    'template',
    'consul-k8s-gitops',
    CHART_DIR,
    '--namespace',
    namespace,
    '--kube-version',
    '1.30.0',
  ];
  return parseObjects(await helm([...args, ...sets]));
}

const SETTINGS_HASH = /\b(consul-k8s-gitops-(?:consul|registrar|generator))-[a-z0-9]{10}\b/g;

/** Objects by `apiVersion/kind/namespace/name`, settings ConfigMap hashes taken out. */
export function byIdentity(objects: readonly K8sObject[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of objects) {
    const normal = JSON.parse(JSON.stringify(o).replace(SETTINGS_HASH, '$1')) as K8sObject;
    out[`${normal.apiVersion}/${normal.kind}/${normal.metadata.namespace ?? ''}/${normal.metadata.name}`] =
      normal;
  }
  return out;
}
