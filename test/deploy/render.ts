/**
 * Renders deploy/ offline with the pinned kustomize that `npm run real:setup` builds (CI builds it
 * before the tests), or with the machine's `kubectl kustomize` where it has not been built.
 * Combinations of components are rendered through throw-away overlays in a temp directory,
 * the way a user's own overlay would reference this repository.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { REAL_BIN } from '../real/servers/process';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DEPLOY_DIR = path.join(REPO_ROOT, 'deploy');
/** Where `npm run real:setup` links the pinned kustomize (see test/real/setup.sh). */
export const PINNED_KUSTOMIZE = path.join(REAL_BIN, 'kustomize');

/** Named overlays shipped in deploy/overlays (relative to deploy/). */
export const OVERLAYS = [
  'overlays/dev',
  'overlays/dev/webhook',
  'overlays/dev/registrar',
  'overlays/dev/generator',
  'overlays/production',
] as const;

export type Component = 'webhook' | 'registrar' | 'generator' | 'generator-cronjob' | 'monitoring';

/** A Kubernetes object as rendered: only the envelope is typed, the rest is inspected ad hoc. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Renders one kustomization directory; throws with kubectl's message when it fails. */
export async function kustomize(dir: string): Promise<K8sObject[]> {
  const [command, args] = existsSync(PINNED_KUSTOMIZE)
    ? [PINNED_KUSTOMIZE, ['build', dir]]
    : ['kubectl', ['kustomize', dir]];
  try {
    const { stdout } = await execFileAsync(command, args, {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 60_000,
    });
    return parseObjects(stdout);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(
      `${path.basename(command)} ${args[0]} ${path.relative(REPO_ROOT, dir) || dir} failed: ${stderr.trim() || String(err)}`,
    );
  }
}

export function parseObjects(text: string): K8sObject[] {
  return yaml.loadAll(text).filter((doc): doc is K8sObject => doc !== null && typeof doc === 'object');
}

/**
 * Every valid choice of components: each part on or off, the generator as watch Deployment,
 * scheduled CronJob (generator + generator-cronjob) or absent, monitoring on or off. The empty
 * choice is left out (base alone installs nothing useful, but it is rendered by the overlays).
 */
export function componentCombinations(): Component[][] {
  const combos: Component[][] = [];
  for (const webhook of [false, true])
    for (const registrar of [false, true])
      for (const generator of ['none', 'watch', 'cronjob'] as const)
        for (const monitoring of [false, true]) {
          const parts: Component[] = [];
          if (webhook) parts.push('webhook');
          if (registrar) parts.push('registrar');
          if (generator !== 'none') parts.push('generator');
          if (generator === 'cronjob') parts.push('generator-cronjob');
          if (monitoring) parts.push('monitoring');
          if (parts.length > 0) combos.push(parts);
        }
  return combos;
}

/**
 * Writes a user-style overlay (base + the given components + the namespace transformer, in
 * `namespace`) into a temp directory, renders it and removes it.
 */
export function renderCombination(components: readonly Component[], namespace: string): Promise<K8sObject[]> {
  return renderTempOverlay((rel) => ({
    namespace,
    resources: [rel('base')],
    components: components.map((c) => rel(`components/${c}`)),
    transformers: [rel('transformers/namespace')],
  }));
}

/**
 * A shipped overlay with extra components, as a user enabling them in a copy of that overlay
 * would (listed in the same kustomization, so the overlay's images and namespace apply).
 */
export function renderOverlayWith(overlay: string, components: readonly Component[]): Promise<K8sObject[]> {
  const source = yaml.load(
    readFileSync(path.join(DEPLOY_DIR, overlay, 'kustomization.yaml'), 'utf8'),
  ) as Record<string, unknown>;
  return renderTempOverlay((rel) => {
    const fromOverlay = (list: unknown) =>
      ((list as string[] | undefined) ?? []).map((p) => rel(path.join(overlay, p)));
    if (source.patches || source.replacements)
      throw new Error(`${overlay}: patch files are not copied, extend renderOverlayWith`);
    return {
      ...source,
      resources: fromOverlay(source.resources),
      components: [...fromOverlay(source.components), ...components.map((c) => rel(`components/${c}`))],
      transformers: fromOverlay(source.transformers),
    };
  });
}

/** `body` gets a function that turns a deploy/-relative path into one relative to the overlay. */
export async function renderTempOverlay(
  body: (rel: (deployPath: string) => string) => object,
): Promise<K8sObject[]> {
  const root = mkdtempSync(path.join(tmpdir(), 'deploy-overlay-'));
  try {
    const dir = path.join(root, 'overlay');
    mkdirSync(dir);
    // kustomize refuses absolute paths: reference the repository relatively, as a fork would.
    const rel = (p: string) => path.relative(dir, path.join(DEPLOY_DIR, p));
    const kustomization = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      ...body(rel),
    };
    writeFileSync(path.join(dir, 'kustomization.yaml'), yaml.dump(kustomization));
    return await kustomize(dir);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Runs `tasks` with at most `limit` in flight (the machine is shared: keep kubectl calls few). */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const renderOverlay = (overlay: string): Promise<K8sObject[]> =>
  kustomize(path.join(DEPLOY_DIR, overlay));
