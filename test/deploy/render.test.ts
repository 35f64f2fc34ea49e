/**
 * Every overlay and every combination of components renders with `kubectl kustomize`, every
 * rendered object validates against its schema, and references between objects hold in any
 * namespace (the overlay-namespace trap: strings and selector values kustomize does not
 * rewrite).
 */
import {
  componentCombinations,
  mapLimited,
  OVERLAYS,
  renderCombination,
  renderOverlay,
  type Component,
  type K8sObject,
} from './render';
import { field, find, generatedConfigMap, ofKind, workloads } from './inspect';
import { unknownFieldProblems } from './strict-fields';
import { validateObject } from './validate';

/** A namespace different from the default, so forgotten rewrites show. */
const COMBO_NAMESPACE = 'team-consul';

interface Rendering {
  label: string;
  namespace: string;
  objects: K8sObject[];
}

const renderings: Rendering[] = [];
const combos = componentCombinations();

beforeAll(async () => {
  const overlays = await mapLimited(OVERLAYS, 2, async (overlay) => {
    const objects = await renderOverlay(overlay);
    const namespace = ofKind(objects, 'Namespace')[0]?.metadata.name ?? '';
    return { label: overlay, namespace, objects };
  });
  const combinations = await mapLimited(combos, 2, async (parts: Component[]) => ({
    label: `base + ${parts.join(' + ')} in ${COMBO_NAMESPACE}`,
    namespace: COMBO_NAMESPACE,
    objects: await renderCombination(parts, COMBO_NAMESPACE),
  }));
  renderings.push(...overlays, ...combinations);
}, 120_000);

test('every overlay and component combination renders', () => {
  expect(combos.length).toBe(23);
  expect(renderings).toHaveLength(OVERLAYS.length + combos.length);
  for (const r of renderings)
    expect({ label: r.label, empty: r.objects.length === 0 }).toEqual({ label: r.label, empty: false });
});

test('every rendered object validates against its schema', () => {
  const problems = renderings.flatMap((r) =>
    r.objects.flatMap((o) => validateObject(o).map((p) => `${r.label}: ${p}`)),
  );
  expect(problems).toEqual([]);
});

test('no built-in object carries a field the Kubernetes API does not define', () => {
  // Distinct objects across all renderings, checked in one compiler run.
  const distinct = new Map<string, K8sObject>();
  for (const r of renderings) for (const o of r.objects) distinct.set(JSON.stringify(o), o);
  expect(unknownFieldProblems([...distinct.values()])).toEqual([]);
});

test('reports fields that built-in kinds do not define (misspelt safety settings)', () => {
  const pdb = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'x', namespace: 'ns' },
    spec: { maxUnavailable: 1, unhealthyPodEvictionPolicyy: 'AlwaysAllow' },
  } as K8sObject;
  const [problem, ...rest] = unknownFieldProblems([pdb]);
  expect(rest).toEqual([]);
  expect(problem).toMatch(/^PodDisruptionBudget\/x: .*'"unhealthyPodEvictionPolicyy"' does not exist/);
  expect(unknownFieldProblems([{ ...pdb, spec: { maxUnavailable: 1 } }])).toEqual([]);
});

test('object identities are unique and namespaced objects sit in the overlay namespace', () => {
  const problems: string[] = [];
  for (const r of renderings) {
    const seen = new Set<string>();
    for (const o of r.objects) {
      const id = `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      if (seen.has(id)) problems.push(`${r.label}: duplicate ${id}`);
      seen.add(id);
      // The one exception: the generator's --check-cluster Role (and binding) in its write namespace.
      const writeNamespace = field<string>(
        generatedConfigMap(r.objects, 'consul-k8s-gitops-generator'),
        'data',
        'GENERATOR_WRITE_NAMESPACE',
      );
      const inWriteNamespace =
        ['Role', 'RoleBinding'].includes(o.kind) &&
        o.metadata.name === 'consul-k8s-gitops-generator' &&
        o.metadata.namespace === writeNamespace;
      if (o.metadata.namespace !== undefined && o.metadata.namespace !== r.namespace && !inWriteNamespace)
        problems.push(`${r.label}: ${o.kind}/${o.metadata.name} in ${o.metadata.namespace}`);
    }
  }
  expect(problems).toEqual([]);
});

test('namespace references inside strings and selectors follow the overlay namespace', () => {
  const problems: string[] = [];
  for (const r of renderings) {
    const ns = r.namespace;
    const note = (msg: string) => problems.push(`${r.label}: ${msg}`);
    for (const vwc of ofKind(r.objects, 'ValidatingWebhookConfiguration')) {
      const inject = vwc.metadata.annotations?.['cert-manager.io/inject-ca-from'] ?? '';
      const [certNs, certName] = inject.split('/');
      if (certNs !== ns || !find(r.objects, 'Certificate', certName ?? ''))
        note(`inject-ca-from "${inject}" does not name a Certificate in ${ns}`);
      for (const hook of field<Record<string, unknown>[]>(vwc, 'webhooks') ?? []) {
        const svc = field<{ name: string; namespace: string }>(hook, 'clientConfig', 'service');
        if (svc?.namespace !== ns || !find(r.objects, 'Service', svc.name))
          note(`webhook service ${JSON.stringify(svc)} not rendered in ${ns}`);
        const excluded = (
          field<{ key: string; operator: string; values: string[] }[]>(
            hook,
            'namespaceSelector',
            'matchExpressions',
          ) ?? []
        )
          .filter((e) => e.key === 'kubernetes.io/metadata.name' && e.operator === 'NotIn')
          .flatMap((e) => e.values);
        if (!excluded.includes(ns))
          note(`webhook namespaceSelector does not exclude its own namespace ${ns}: ${excluded.join(',')}`);
      }
    }
    for (const cert of ofKind(r.objects, 'Certificate').filter((c) => field(c, 'spec', 'dnsNames'))) {
      const dnsNames = field<string[]>(cert, 'spec', 'dnsNames') ?? [];
      for (const dns of dnsNames)
        if (dns.split('.')[1] !== ns)
          note(`Certificate ${cert.metadata.name} dnsName ${dns} is not in ${ns}`);
    }
    for (const sm of ofKind(r.objects, 'ServiceMonitor')) {
      for (const ep of field<{ tlsConfig?: { serverName?: string } }[]>(sm, 'spec', 'endpoints') ?? []) {
        const server = ep.tlsConfig?.serverName;
        if (server !== undefined && server.split('.')[1] !== ns)
          note(`ServiceMonitor ${sm.metadata.name} serverName ${server} is not in ${ns}`);
      }
    }
    for (const binding of [...ofKind(r.objects, 'RoleBinding'), ...ofKind(r.objects, 'ClusterRoleBinding')]) {
      for (const s of field<{ kind: string; name: string; namespace?: string }[]>(binding, 'subjects') ??
        []) {
        const sa = r.objects.find(
          (o) =>
            o.kind === 'ServiceAccount' && o.metadata.name === s.name && o.metadata.namespace === s.namespace,
        );
        if (s.kind === 'ServiceAccount' && !sa)
          note(`${binding.kind} ${binding.metadata.name} binds ${s.namespace}/${s.name}, not rendered`);
      }
      const ref = field<{ kind: string; name: string }>(binding, 'roleRef');
      if (!ref || !find(r.objects, ref.kind, ref.name))
        note(`${binding.kind} ${binding.metadata.name} refers to missing ${JSON.stringify(ref)}`);
    }
  }
  expect(problems).toEqual([]);
});

test('ConfigMaps, Secrets and ServiceAccounts used by pods exist or are documented user inputs', () => {
  // Created by the user (docs/install.md) or by cert-manager from a rendered Certificate.
  const external = new Set([
    'consul-k8s-gitops-registrar-consul',
    'consul-k8s-gitops-generator-consul',
    'consul-k8s-gitops-generator-git',
  ]);
  const problems: string[] = [];
  for (const r of renderings) {
    const certSecrets = new Set(
      ofKind(r.objects, 'Certificate').map((c) => field<string>(c, 'spec', 'secretName')),
    );
    const exists = (kind: string, name: string) =>
      find(r.objects, kind, name) !== undefined ||
      (kind === 'Secret' && (external.has(name) || certSecrets.has(name)));
    for (const w of workloads(r.objects)) {
      const id = `${r.label}: ${w.object.kind}/${w.object.metadata.name}`;
      const spec = w.template.spec;
      if (spec.serviceAccountName && !exists('ServiceAccount', spec.serviceAccountName))
        problems.push(`${id}: ServiceAccount ${spec.serviceAccountName}`);
      for (const v of spec.volumes ?? []) {
        const secret = field<string>(v, 'secret', 'secretName');
        const configMap = field<string>(v, 'configMap', 'name');
        if (secret && !exists('Secret', secret)) problems.push(`${id}: Secret ${secret}`);
        if (configMap && !exists('ConfigMap', configMap)) problems.push(`${id}: ConfigMap ${configMap}`);
      }
      for (const c of spec.containers) {
        for (const from of c.envFrom ?? []) {
          if (from.configMapRef && !exists('ConfigMap', from.configMapRef.name))
            problems.push(`${id}: ConfigMap ${from.configMapRef.name}`);
          if (from.secretRef && !exists('Secret', from.secretRef.name))
            problems.push(`${id}: Secret ${from.secretRef.name}`);
        }
        for (const e of c.env ?? []) {
          const cm = e.valueFrom?.configMapKeyRef;
          if (cm?.name && field(find(r.objects, 'ConfigMap', cm.name), 'data', cm.key ?? '') === undefined)
            problems.push(`${id}: ConfigMap key ${cm.name}/${cm.key}`);
        }
      }
    }
  }
  expect(problems).toEqual([]);
});
