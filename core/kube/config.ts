import * as fs from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * Where Kubernetes access comes from, in the usual order: an explicit `--kubeconfig`, else
 * $KUBECONFIG, ~/.kube/config, the in-cluster service account (client-node's `loadFromDefault`).
 * client-node silently falls back to http://localhost:8080 when it finds nothing; we refuse that
 * with a message that says what was tried.
 */
interface LoadKubeConfigOptions {
  /** Path from `--kubeconfig`; when given, only this file is used. */
  kubeconfig?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
}

export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

const NOTHING_FOUND =
  'no Kubernetes configuration found: pass --kubeconfig, set $KUBECONFIG, create ~/.kube/config, ' +
  'or run in a Pod with a service account token';

export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  if (options.kubeconfig !== undefined) {
    const file = options.kubeconfig;
    if (file.trim() === '') throw new KubeConfigError('--kubeconfig: the path is empty');
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch (error) {
      throw new KubeConfigError(`--kubeconfig ${file}: cannot read the file (${errnoCode(error)})`);
    }
    loadOrExplain(() => kc.loadFromFile(file), `--kubeconfig ${file}`);
  } else {
    loadOrExplain(
      () => kc.loadFromDefault(),
      process.env.KUBECONFIG ? `$KUBECONFIG (${process.env.KUBECONFIG})` : 'kubeconfig',
    );
    if (isLocalhostFallback(kc)) throw new KubeConfigError(NOTHING_FOUND);
  }
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeConfigError(
        `--context ${options.context}: no such context (known: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new KubeConfigError(
      'kubeconfig: the current context names no cluster (set current-context or pass --context)',
    );
  }
  return kc;
}

/** What `loadFromDefault` produces when every source was missing. */
function isLocalhostFallback(kc: KubeConfig): boolean {
  const cluster = kc.getCurrentCluster();
  return (
    kc.getCurrentContext() === 'loaded-context' &&
    cluster?.name === 'cluster' &&
    cluster.server === 'http://localhost:8080'
  );
}

/** Parse errors can quote file content (tokens!), so only the reason and line are kept. */
function loadOrExplain(load: () => void, source: string): void {
  try {
    load();
  } catch (error) {
    const yaml = error as { name?: string; reason?: string; mark?: { line?: number } };
    if (yaml.name === 'YAMLException') {
      const line = typeof yaml.mark?.line === 'number' ? ` at line ${yaml.mark.line + 1}` : '';
      throw new KubeConfigError(`${source}: not valid YAML: ${yaml.reason ?? 'parse error'}${line}`);
    }
    const code = errnoCode(error);
    if (code !== 'error') throw new KubeConfigError(`${source}: cannot read (${code})`);
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw new KubeConfigError(`${source}: invalid kubeconfig: ${message}`);
  }
}

function errnoCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}
