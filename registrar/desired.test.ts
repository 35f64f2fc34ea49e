import { desiredSettings } from '../test/support/registrar/settings';
import { analyzeService } from '../core/annotations';
import type { SyncIntent } from '../core/annotations/types';
import { type DesiredSettings, desiredForService } from './desired';
import { instanceId } from './instance-fields';
import type { EndpointSliceLike, NodeLike, SyncedService } from './kube-objects';
import { annotationFindingsMatter } from './sync-decision';
import { desiredNode, isOwnedBy, type Instance } from './catalog';

const settings = desiredSettings({ denyNamespaces: ['kube-system', 'kube-public'] });

const nodes: Record<string, NodeLike> = {
  n1: {
    status: {
      addresses: [
        { type: 'InternalIP', address: '10.0.0.1' },
        { type: 'ExternalIP', address: '34.0.0.1' },
      ],
    },
  },
  n2: { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.2' }] } },
};

function svc(
  spec: SyncedService['spec'],
  annotations: Record<string, string> = {},
  extra: Partial<SyncedService> = {},
): SyncedService {
  return { metadata: { name: 'web', namespace: 'shop', annotations }, spec, ...extra };
}

const ports = [
  { name: 'http', port: 80, targetPort: 8080, nodePort: 30080 },
  { name: 'admin', port: 9000, targetPort: 9000, nodePort: 30900 },
];

function slice(
  name: string,
  endpoints: EndpointSliceLike['endpoints'],
  slicePorts = [
    { name: 'http', port: 8080 },
    { name: 'admin', port: 9001 },
  ],
): EndpointSliceLike {
  return {
    metadata: { name, namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    endpoints,
    ports: slicePorts,
  };
}

const twoPods = slice('web-abc', [
  {
    addresses: ['10.1.0.1'],
    nodeName: 'n1',
    zone: 'z1',
    conditions: { ready: true },
    targetRef: { kind: 'Pod', name: 'web-1' },
  },
  {
    addresses: ['10.1.0.2'],
    nodeName: 'n2',
    conditions: { ready: false },
    targetRef: { kind: 'Pod', name: 'web-2' },
  },
  {
    addresses: ['10.1.0.3'],
    nodeName: 'n2',
    conditions: { ready: false, terminating: true },
    targetRef: { kind: 'Pod', name: 'web-3' },
  },
]);

function run(
  service: SyncedService,
  slices: EndpointSliceLike[] = [twoPods],
  overrides: Partial<DesiredSettings> = {},
  intent?: SyncIntent,
) {
  const merged = { ...settings, ...overrides };
  const analyzed = intent ?? analyzeService(service, { syncTag: merged.syncTag }).intent;
  return desiredForService(
    { service, intent: analyzed, endpointSlices: slices, nodeByName: (n) => nodes[n] },
    merged,
  );
}

function instances(result: ReturnType<typeof run>): Instance[] {
  if (!result.sync) throw new Error(`not synced: ${result.reason}`);
  return result.instances;
}

const summary = (list: Instance[]) =>
  list.map((i) => `${i.address}:${i.port}${i.check ? `:${i.check.status}` : ''}`).sort();

describe('desiredForService: instances per Service type', () => {
  test.each([
    [
      'ClusterIP: one per endpoint at the endpoint port, terminating left out',
      svc({ type: 'ClusterIP', ports }),
      {},
      ['10.1.0.1:8080:passing', '10.1.0.2:8080:critical'],
    ],
    [
      'missing type defaults to ClusterIP',
      svc({ ports }),
      {},
      ['10.1.0.1:8080:passing', '10.1.0.2:8080:critical'],
    ],
    [
      'NodePort ExternalOnly: node ExternalIP at the node port, nodes without one skipped',
      svc({ type: 'NodePort', ports }),
      {},
      ['34.0.0.1:30080:passing'],
    ],
    [
      'NodePort InternalOnly',
      svc({ type: 'NodePort', ports }),
      { nodePortSyncType: 'InternalOnly' as const },
      ['10.0.0.1:30080:passing', '10.0.0.2:30080:critical'],
    ],
    [
      'NodePort ExternalFirst',
      svc({ type: 'NodePort', ports }),
      { nodePortSyncType: 'ExternalFirst' as const },
      ['10.0.0.2:30080:critical', '34.0.0.1:30080:passing'],
    ],
    [
      'LoadBalancer: one per ingress IP or hostname, deduplicated',
      svc(
        { type: 'LoadBalancer', ports },
        {},
        {
          status: {
            loadBalancer: {
              ingress: [{ ip: '1.2.3.4' }, { hostname: 'lb.example.com' }, { ip: '1.2.3.4' }, {}],
            },
          },
        },
      ),
      {},
      ['1.2.3.4:80', 'lb.example.com:80'],
    ],
    [
      'LoadBalancer with --sync-lb-services-endpoints: endpoints',
      svc(
        { type: 'LoadBalancer', ports },
        {},
        { status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } },
      ),
      { syncLoadBalancerEndpoints: true },
      ['10.1.0.1:8080:passing', '10.1.0.2:8080:critical'],
    ],
    [
      'externalIPs win for any type',
      svc({ type: 'NodePort', ports, externalIPs: ['5.5.5.5', '6.6.6.6'] }),
      {},
      ['5.5.5.5:30080', '6.6.6.6:30080'],
    ],
    [
      'externalIPs on ClusterIP use the Service port',
      svc({ type: 'ClusterIP', ports, externalIPs: ['5.5.5.5'] }),
      {},
      ['5.5.5.5:80'],
    ],
  ])('%s', (_name, service, overrides, expected) => {
    expect(summary(instances(run(service, [twoPods], overrides)))).toEqual(expected);
  });

  test('ExternalName Services are not synced', () => {
    expect(run(svc({ type: 'ExternalName', externalName: 'x.example.com' }))).toEqual({
      sync: false,
      reason: expect.stringContaining('ExternalName'),
    });
  });

  test('a ClusterIP endpoint without addresses uses its hostname; LB endpoints do not', () => {
    const hostOnly = slice('h', [{ addresses: [], hostname: 'pod-0', conditions: { ready: true } }]);
    expect(summary(instances(run(svc({ ports }), [hostOnly])))).toEqual(['pod-0:8080:passing']);
    expect(
      instances(run(svc({ type: 'LoadBalancer', ports }), [hostOnly], { syncLoadBalancerEndpoints: true })),
    ).toEqual([]);
  });

  test('the same address in two slices gives one instance', () => {
    const again = slice('web-def', [{ addresses: ['10.1.0.1'], conditions: { ready: true } }]);
    expect(instances(run(svc({ ports }), [twoPods, again]))).toHaveLength(2);
  });

  test('a NodePort endpoint whose Node is not cached yet is skipped', () => {
    const unknownNode = slice('u', [
      { addresses: ['10.1.0.9'], nodeName: 'n9', conditions: { ready: true } },
    ]);
    expect(instances(run(svc({ type: 'NodePort', ports }), [unknownNode]))).toEqual([]);
  });
});

describe('desiredForService: ports', () => {
  test.each([
    ['number annotation, ClusterIP endpoint', { type: 'ClusterIP' }, '7000', [7000]],
    ['name annotation, ClusterIP: that slice port', { type: 'ClusterIP' }, 'admin', [9001]],
    ['name annotation, NodePort: its node port', { type: 'NodePort' }, 'admin', [30900]],
    [
      'name annotation, externalIPs: its Service port',
      { type: 'ClusterIP', externalIPs: ['5.5.5.5'] },
      'admin',
      [9000],
    ],
    [
      'unknown name falls back to the first port',
      { type: 'LoadBalancer', externalIPs: ['5.5.5.5'] },
      'nope',
      [80],
    ],
  ])('%s', (_name, spec, annotation, expected) => {
    const service = svc({ ports, ...spec }, { 'consul.hashicorp.com/service-port': annotation });
    expect([...new Set(instances(run(service)).map((i) => i.port))]).toEqual(expected);
  });

  // Issue 11, finding 9: consul-k8s (control-plane/catalog/to-consul/resource.go) reads the value
  // with Go ParseInt base 0, keeps the first Service port for a name that matches nothing, and
  // gives endpoint instances their slice's first port by default.
  test.each([
    ['hex, ClusterIP: every endpoint instance', { type: 'ClusterIP' }, '0x2328', [9000]],
    ['leading-zero octal, NodePort', { type: 'NodePort' }, '010', [8]],
    ['hex, external IPs', { type: 'ClusterIP', externalIPs: ['5.5.5.5'] }, '0x1F90', [8080]],
    [
      'unknown name, ClusterIP: the first Service port, not the endpoint port',
      { type: 'ClusterIP' },
      'nope',
      [80],
    ],
    [
      'unknown name, LoadBalancer synced by endpoints: the first Service port',
      { type: 'LoadBalancer' },
      'nope',
      [80],
    ],
    ['unknown name, NodePort: the first node port', { type: 'NodePort' }, 'nope', [30080]],
  ])('consul-k8s reading: %s', (_name, spec, annotation, expected) => {
    const service = svc({ ports, ...spec }, { 'consul.hashicorp.com/service-port': annotation });
    const list = instances(run(service, [twoPods], { syncLoadBalancerEndpoints: true }));
    expect(list.length).toBeGreaterThan(0);
    expect([...new Set(list.map((i) => i.port))]).toEqual(expected);
  });

  test("several ports, no annotation: each slice's first port, as consul-k8s", () => {
    const adminFirst = slice(
      'web-admin-first',
      [{ addresses: ['10.1.0.5'], conditions: { ready: true } }],
      [
        { name: 'admin', port: 9001 },
        { name: 'http', port: 8080 },
      ],
    );
    expect(summary(instances(run(svc({ ports }), [twoPods, adminFirst])))).toEqual([
      '10.1.0.1:8080:passing',
      '10.1.0.2:8080:critical',
      '10.1.0.5:9001:passing',
    ]);
  });

  test('a named port missing from a slice: the Service port of that name, as consul-k8s', () => {
    const httpOnly = slice(
      'web-http',
      [{ addresses: ['10.1.0.5'], conditions: { ready: true } }],
      [{ name: 'http', port: 8080 }],
    );
    const service = svc({ ports }, { 'consul.hashicorp.com/service-port': 'admin' });
    expect(summary(instances(run(service, [httpOnly])))).toEqual(['10.1.0.5:9000:passing']);
  });

  test('a Service without ports: the annotation is ignored, the slice port is registered', () => {
    const service = svc({}, { 'consul.hashicorp.com/service-port': '7000' });
    expect(summary(instances(run(service, [twoPods])))).toEqual([
      '10.1.0.1:8080:passing',
      '10.1.0.2:8080:critical',
    ]);
  });

  test('a Service without ports registers port 0 on external IPs', () => {
    expect(instances(run(svc({ externalIPs: ['5.5.5.5'] })))[0]?.port).toBe(0);
  });
});

describe('desiredForService: filters', () => {
  test.each([
    ['denied namespace', svc({ ports }), { denyNamespaces: ['shop'] }, false],
    ['deny wins over allow', svc({ ports }), { allowNamespaces: ['shop'], denyNamespaces: ['shop'] }, false],
    ['not in the allow list', svc({ ports }), { allowNamespaces: ['other'] }, false],
    ['in the allow list', svc({ ports }), { allowNamespaces: ['shop'] }, true],
    ['default sync off', svc({ ports }), { defaultSync: false }, false],
    [
      'default sync off, service-sync true',
      svc({ ports }, { 'consul.hashicorp.com/service-sync': 'true' }),
      { defaultSync: false },
      true,
    ],
    ['service-sync false', svc({ ports }, { 'consul.hashicorp.com/service-sync': 'false' }), {}, false],
    [
      'invalid service-sync uses the default',
      svc({ ports }, { 'consul.hashicorp.com/service-sync': 'yes' }),
      { defaultSync: false },
      false,
    ],
    ['ClusterIP sync off', svc({ ports }), { syncClusterIPServices: false }, false],
    [
      'ClusterIP sync off: NodePort still synced',
      svc({ type: 'NodePort', ports }),
      { syncClusterIPServices: false },
      true,
    ],
    [
      'annotation cannot override the namespace deny list',
      svc({ ports }, { 'consul.hashicorp.com/service-sync': 'true' }),
      { denyNamespaces: ['shop'] },
      false,
    ],
  ])('%s', (_name, service, overrides, synced) => {
    expect(run(service, [twoPods], overrides).sync).toBe(synced);
  });

  test('an invalid service-name registers nothing', () => {
    expect(run(svc({ ports }, { 'consul.hashicorp.com/service-name': '   ' })).sync).toBe(false);
  });
});

describe('annotationFindingsMatter: which Services get a Warning Event for ignored annotations', () => {
  const badPort = { 'consul.hashicorp.com/service-port': 'no pe' };
  const badSync = { 'consul.hashicorp.com/service-sync': 'yes' };
  test.each([
    ['synced, invalid port', svc({ ports }, badPort), {}, true],
    [
      'invalid service-name keeps it out',
      svc({ ports }, { 'consul.hashicorp.com/service-name': ' ' }),
      {},
      true,
    ],
    ['invalid service-sync with default sync off', svc({ ports }, badSync), { defaultSync: false }, true],
    ['invalid service-sync, synced by default', svc({ ports }, badSync), {}, true],
    [
      'default sync off, no service-sync, invalid port',
      svc({ ports }, badPort),
      { defaultSync: false },
      false,
    ],
    [
      'valid service-sync false, invalid port',
      svc({ ports }, { ...badPort, 'consul.hashicorp.com/service-sync': 'false' }),
      {},
      false,
    ],
    ['denied namespace, invalid service-sync', svc({ ports }, badSync), { denyNamespaces: ['shop'] }, false],
    [
      'ClusterIP sync off, invalid service-sync',
      svc({ ports }, badSync),
      { defaultSync: false, syncClusterIPServices: false },
      false,
    ],
  ])('%s', (_name, service, overrides, expected) => {
    const merged = { ...settings, ...overrides };
    const { intent, findings } = analyzeService(service, { syncTag: merged.syncTag });
    expect(findings.some((finding) => finding.severity === 'error')).toBe(true);
    expect(annotationFindingsMatter(service, intent, findings, merged)).toBe(expected);
  });
});

describe('desiredForService: names, tags, meta, weights, checks', () => {
  test.each([
    ['plain', {}, {}, 'web'],
    ['prefix', {}, { servicePrefix: 'k-' }, 'k-web'],
    ['prefix and namespace suffix', {}, { servicePrefix: 'k-', addK8sNamespaceSuffix: true }, 'k-web-shop'],
    [
      'service-name annotation overrides both',
      { 'consul.hashicorp.com/service-name': ' api ' },
      { servicePrefix: 'k-', addK8sNamespaceSuffix: true },
      'api',
    ],
  ])('name: %s', (_name, annotations, overrides, expected) => {
    const list = instances(run(svc({ ports }, annotations), [twoPods], overrides));
    expect(new Set(list.map((i) => i.service))).toEqual(new Set([expected]));
    expect(list.every((i) => i.id.startsWith(`${expected}-east-`))).toBe(true);
  });

  test('tags: sync tag first, then annotation tags', () => {
    const list = instances(run(svc({ ports }, { 'consul.hashicorp.com/service-tags': 'a, b\\,c' })));
    expect(list[0]?.tags).toEqual(['k8s', 'a', 'b,c']);
  });

  test('meta: built-in keys, endpoint keys, annotation meta; ownership keys cannot be overridden', () => {
    const service = svc(
      { ports },
      {
        'consul.hashicorp.com/service-meta-team': 'blue',
        'consul.hashicorp.com/service-meta-external-source': 'evil',
      },
    );
    const ready = instances(run(service)).find((i) => i.check?.status === 'passing');
    expect(ready?.meta).toEqual({
      'external-source': 'kubernetes',
      'external-k8s-ns': 'shop',
      'external-k8s-cluster-id': 'east',
      'port-http': '80',
      'port-admin': '9000',
      team: 'blue',
      'external-k8s-ref-kind': 'Pod',
      'external-k8s-ref-name': 'web-1',
      'external-k8s-node-name': 'n1',
      'external-k8s-topology-zone': 'z1',
    });
    expect(isOwnedBy(ready?.meta, 'east')).toBe(true);
    expect(isOwnedBy(ready?.meta, 'west')).toBe(false);
  });

  test('ownership keys win even over an intent that carries them', () => {
    const intent: SyncIntent = {
      tags: [],
      meta: { 'external-k8s-cluster-id': 'west', 'external-source': 'x' },
    };
    const [first] = instances(run(svc({ ports, externalIPs: ['5.5.5.5'] }), [], {}, intent));
    expect(first?.meta['external-k8s-cluster-id']).toBe('east');
    expect(first?.meta['external-source']).toBe('kubernetes');
  });

  test.each([
    ['externalIPs take the weight', { externalIPs: ['5.5.5.5'] }, '5', { passing: 5, warning: 1 }],
    ['LoadBalancer ingress takes the weight', { type: 'LoadBalancer' }, '3', { passing: 3, warning: 1 }],
    ['weight 1 is the default: no weights', { externalIPs: ['5.5.5.5'] }, '1', undefined],
  ])('weights: %s', (_name, spec, weight, expected) => {
    const service = svc(
      { ports, ...spec },
      { 'consul.hashicorp.com/service-weight': weight },
      { status: { loadBalancer: { ingress: [{ ip: '1.1.1.1' }] } } },
    );
    expect(instances(run(service))[0]?.weights).toEqual(expected);
  });

  test('endpoint instances ignore weights', () => {
    const list = instances(run(svc({ ports }, { 'consul.hashicorp.com/service-weight': '5' })));
    expect(list.every((i) => i.weights === undefined)).toBe(true);
  });

  test('readiness check: consul-k8s ID form and outputs', () => {
    const list = instances(run(svc({ ports })));
    const ready = list.find((i) => i.address === '10.1.0.1')!;
    expect(ready.check).toEqual({
      id: `shop/${ready.id}`,
      status: 'passing',
      output: 'Kubernetes health checks passing',
    });
    expect(list.find((i) => i.address === '10.1.0.2')?.check?.output).toBe(
      'Kubernetes health checks failing',
    );
  });
});

describe('instance IDs', () => {
  const service = svc({ ports });
  test('deterministic', () => {
    expect(instances(run(service))).toEqual(instances(run(service)));
  });
  test('differ across clusters, Kubernetes Services and addresses', () => {
    const ids = new Set([
      instanceId('east', service, 'web', '10.0.0.1'),
      instanceId('west', service, 'web', '10.0.0.1'),
      instanceId('east', { metadata: { name: 'web', namespace: 'other' } }, 'web', '10.0.0.1'),
      instanceId('east', service, 'web', '10.0.0.2'),
    ]);
    expect(ids.size).toBe(4);
  });
  test('the node carries the cluster marker', () => {
    expect(desiredNode('k8s-sync-east', 'east')).toEqual({
      name: 'k8s-sync-east',
      address: '127.0.0.1',
      meta: { 'external-source': 'kubernetes', 'external-k8s-cluster-id': 'east' },
    });
  });
});

describe('readiness of endpoints', () => {
  test('a missing ready condition counts as ready (discovery/v1: unknown state is ready)', () => {
    const handWritten = slice('web-manual', [
      { addresses: ['10.1.0.7'] },
      { addresses: ['10.1.0.8'], conditions: {} },
      { addresses: ['10.1.0.9'], conditions: { ready: false } },
    ]);
    expect(summary(instances(run(svc({ type: 'ClusterIP', ports }), [handWritten])))).toEqual([
      '10.1.0.7:8080:passing',
      '10.1.0.8:8080:passing',
      '10.1.0.9:8080:critical',
    ]);
  });
});
