/**
 * NetworkPolicies as the CNI evaluates them (policies are additive: a pod may send or receive
 * what the union of the policies selecting it allows): the webhook accepts its serving port
 * only and opens no connection, not even DNS; the registrar and generator reach Consul only at
 * the address set once in deploy/base, and Prometheus scrapes them from its namespace only.
 */
import {
  field,
  flagValue,
  generatedConfigMap,
  ofKind,
  selects,
  workloads,
  type LabelSelector,
} from './inspect';
import { renderOverlay, renderOverlayWith, type K8sObject } from './render';

interface Port {
  protocol?: string;
  port?: number | string;
}
interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string };
}
interface Rule {
  ports?: Port[];
  to?: Peer[];
  from?: Peer[];
}

const renders: [string, K8sObject[]][] = [];

beforeAll(async () => {
  renders.push(['overlays/dev', await renderOverlay('overlays/dev')]);
  renders.push(['overlays/production', await renderOverlay('overlays/production')]);
  renders.push([
    'overlays/production + generator-cronjob',
    await renderOverlayWith('overlays/production', ['generator-cronjob']),
  ]);
}, 60_000);

/** The rules of one direction that apply to a pod with `labels`, with their policy's name. */
function rulesFor(objects: K8sObject[], labels: Record<string, string>, direction: 'ingress' | 'egress') {
  return ofKind(objects, 'NetworkPolicy')
    .filter((p) => selects(field<LabelSelector>(p, 'spec', 'podSelector'), labels))
    .flatMap((p) =>
      (field<Rule[]>(p, 'spec', direction) ?? []).map((rule) => ({ policy: p.metadata.name, rule })),
    );
}

const podLabels = (objects: K8sObject[], name: string) =>
  workloads(objects).find((w) => w.object.metadata.name === name)?.template.metadata?.labels ?? {};

const portsOf = (rule: Rule) => (rule.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`);

test('the webhook accepts only its serving port and has no egress at all (no DNS)', () => {
  for (const [label, objects] of renders) {
    const labels = podLabels(objects, 'consul-k8s-gitops-webhook');
    expect(Object.keys(labels).length).toBeGreaterThan(0);
    const container = workloads(objects).find((w) => w.object.metadata.name === 'consul-k8s-gitops-webhook')
      ?.template.spec.containers[0];
    const ingress = rulesFor(objects, labels, 'ingress').flatMap((r) => portsOf(r.rule));
    expect({ label, ingress }).toEqual({
      label,
      ingress: [`TCP/${flagValue(container ?? { name: '' }, '--port')}`],
    });
    expect({ label, egress: rulesFor(objects, labels, 'egress') }).toEqual({ label, egress: [] });
  }
});

test('registrar and generator reach Consul only at the one address, on the port CONSUL_HTTP_ADDR names', () => {
  for (const [label, objects] of renders) {
    const address =
      field<string>(generatedConfigMap(objects, 'consul-k8s-gitops-consul'), 'data', 'CONSUL_HTTP_ADDR') ??
      '';
    const url = new URL(address);
    const consulPort = `TCP/${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
    const consulPolicies = new Set<string>();
    for (const part of ['consul-k8s-gitops-registrar', 'consul-k8s-gitops-generator']) {
      const labels = podLabels(objects, part);
      if (Object.keys(labels).length === 0) continue;
      const egress = rulesFor(objects, labels, 'egress');
      // Consul's ports are open only towards a destination, never to any address.
      for (const { policy, rule } of egress) {
        const consulPorts = portsOf(rule).filter((p) => p === 'TCP/8500' || p === 'TCP/8501');
        if (consulPorts.length === 0) continue;
        expect({ label, part, policy, to: rule.to ?? 'anywhere' }).toEqual({
          label,
          part,
          policy,
          to: [expect.objectContaining({ namespaceSelector: expect.anything() })],
        });
        consulPolicies.add(policy);
      }
      const toConsul = egress
        .filter(({ policy }) => consulPolicies.has(policy))
        .flatMap((r) => portsOf(r.rule));
      expect({ label, part, allowsConsulPort: toConsul.includes(consulPort) }).toEqual({
        label,
        part,
        allowsConsulPort: true,
      });
    }
    expect({ label, consulPolicies: [...consulPolicies] }).toEqual({
      label,
      consulPolicies: ['consul-k8s-gitops-allow-consul'],
    });
  }
});

test('registrar and generator reach the Kubernetes API and DNS; only the generator reaches Git', () => {
  const objects = renders[1]?.[1] ?? [];
  const egressPorts = (part: string) =>
    new Set(rulesFor(objects, podLabels(objects, part), 'egress').flatMap((r) => portsOf(r.rule)));
  for (const part of ['consul-k8s-gitops-registrar', 'consul-k8s-gitops-generator'])
    for (const port of ['TCP/443', 'TCP/6443', 'UDP/53', 'TCP/53'])
      expect({ part, port, allowed: egressPorts(part).has(port) }).toEqual({ part, port, allowed: true });
  expect(egressPorts('consul-k8s-gitops-generator').has('TCP/22')).toBe(true);
  expect(egressPorts('consul-k8s-gitops-registrar').has('TCP/22')).toBe(false);
});

test('registrar and generator metrics are open to the monitoring namespace only', () => {
  const objects = renders[1]?.[1] ?? [];
  for (const part of ['consul-k8s-gitops-registrar', 'consul-k8s-gitops-generator']) {
    const ingress = rulesFor(objects, podLabels(objects, part), 'ingress');
    expect(ingress.map((r) => portsOf(r.rule))).toEqual([['TCP/8080']]);
    expect(ingress[0]?.rule.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
  }
});

test('label selectors follow Kubernetes semantics (the matcher itself works)', () => {
  const labels = { 'app.kubernetes.io/component': 'webhook' };
  const key = 'app.kubernetes.io/component';
  expect(selects({}, labels)).toBe(true);
  expect(
    selects({ matchExpressions: [{ key, operator: 'In', values: ['registrar', 'generator'] }] }, labels),
  ).toBe(false);
  expect(selects({ matchExpressions: [{ key, operator: 'NotIn', values: ['registrar'] }] }, labels)).toBe(
    true,
  );
  expect(selects({ matchLabels: { [key]: 'webhook' } }, labels)).toBe(true);
  expect(selects({ matchExpressions: [{ key: 'other', operator: 'Exists' }] }, labels)).toBe(false);
});
