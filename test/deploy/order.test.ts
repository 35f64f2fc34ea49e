/**
 * First install and upgrades in order: the ValidatingWebhookConfiguration (failurePolicy Fail)
 * is applied only after its Certificates are Ready and the webhook pods are rolled out.
 * Argo CD: sync waves (each wave is applied, then waited on until healthy, before the next:
 * gitops-engine pkg/sync). Flux: the example's two Kustomizations over the same path, the
 * second `dependsOn` the first, which waits for its objects' health (`wait: true`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { field, ofKind } from './inspect';
import { parseObjects, renderOverlay, renderTempOverlay, REPO_ROOT, type K8sObject } from './render';

const WAVE = 'argocd.argoproj.io/sync-wave';
const id = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;

/** Argo CD's apply order as waves: `[wave, ids][]`, lowest wave first (default wave 0). */
function argoWaves(objects: readonly K8sObject[]): [number, string[]][] {
  const waves = new Map<number, string[]>();
  for (const o of objects) {
    const wave = Number(o.metadata.annotations?.[WAVE] ?? '0');
    if (!Number.isInteger(wave)) throw new Error(`${id(o)}: ${WAVE} is not an integer`);
    waves.set(wave, [...(waves.get(wave) ?? []), id(o)].sort());
  }
  return [...waves.entries()].sort(([a], [b]) => a - b);
}

const waveOf = (waves: [number, string[]][], objectId: string) =>
  waves.find(([, ids]) => ids.includes(objectId))?.[0];

let production: K8sObject[] = [];
const flux = parseObjects(
  readFileSync(path.join(REPO_ROOT, 'examples', 'gitops', 'flux', 'consul-k8s-gitops.yaml'), 'utf8'),
);
/** What each Flux Kustomization applies: the production overlay with its `spec.patches`. */
const fluxApplies = new Map<string, K8sObject[]>();

beforeAll(async () => {
  production = await renderOverlay('overlays/production');
  for (const ks of ofKind(flux, 'Kustomization'))
    fluxApplies.set(
      ks.metadata.name,
      await renderTempOverlay((rel) => ({
        resources: [rel('overlays/production')],
        patches: field<unknown[]>(ks, 'spec', 'patches') ?? [],
      })),
    );
}, 60_000);

test('Argo CD: the webhook configuration is alone in the last wave, after its certificates and pods', () => {
  const waves = argoWaves(production);
  // The rendered order, wave by wave (kinds and names), is what this test pins.
  expect(waves.map(([wave]) => wave)).toEqual([-1, 0, 1]);
  expect(waves.at(-1)).toEqual([1, ['ValidatingWebhookConfiguration/consul-k8s-gitops']]);
  const before = waves.slice(0, -1).flatMap(([, ids]) => ids);
  for (const needed of [
    'Certificate/consul-k8s-gitops-webhook-ca',
    'Certificate/consul-k8s-gitops-webhook',
    'Issuer/consul-k8s-gitops-webhook-ca',
    'Deployment/consul-k8s-gitops-webhook',
    'Service/consul-k8s-gitops-webhook',
    'NetworkPolicy/consul-k8s-gitops-webhook',
  ])
    expect(before).toContain(needed);
  // The PriorityClass the webhook pods name exists before they are created.
  const priority = waveOf(waves, 'PriorityClass/consul-k8s-gitops-webhook') ?? 0;
  expect(priority).toBeLessThan(waveOf(waves, 'Deployment/consul-k8s-gitops-webhook') ?? 0);
});

test('Argo CD: dev and every other rendering keep the webhook configuration last', async () => {
  const dev = argoWaves(await renderOverlay('overlays/dev'));
  expect(dev.at(-1)).toEqual([1, ['ValidatingWebhookConfiguration/consul-k8s-gitops-dev']]);
});

test('the wave reader orders by wave and rejects a malformed wave (the check itself works)', () => {
  const o = (name: string, wave?: string): K8sObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(wave === undefined ? {} : { annotations: { [WAVE]: wave } }) },
  });
  expect(argoWaves([o('c', '1'), o('b'), o('a', '-2')])).toEqual([
    [-2, ['ConfigMap/a']],
    [0, ['ConfigMap/b']],
    [1, ['ConfigMap/c']],
  ]);
  expect(() => argoWaves([o('x', 'late')])).toThrow(/not an integer/);
});

test('Flux: everything but the webhook configuration first, waited on; the configuration after it', () => {
  const kustomizations = ofKind(flux, 'Kustomization');
  expect(kustomizations.map((k) => k.metadata.name)).toEqual([
    'consul-k8s-gitops',
    'consul-k8s-gitops-webhook-configuration',
  ]);
  const [first, second] = kustomizations as [K8sObject, K8sObject];
  expect(field(first, 'spec', 'wait')).toBe(true);
  expect(field(second, 'spec', 'dependsOn')).toEqual([{ name: first.metadata.name }]);
  expect(field(second, 'spec', 'path')).toBe(field(first, 'spec', 'path'));
  const firstIds = (fluxApplies.get(first.metadata.name) ?? []).map(id);
  const secondIds = (fluxApplies.get(second.metadata.name) ?? []).map(id);
  expect(secondIds).toEqual(['ValidatingWebhookConfiguration/consul-k8s-gitops']);
  expect(firstIds).not.toContain('ValidatingWebhookConfiguration/consul-k8s-gitops');
  // Together they apply exactly the overlay: nothing lost, nothing owned twice.
  expect([...firstIds, ...secondIds].sort()).toEqual(production.map(id).sort());
});
