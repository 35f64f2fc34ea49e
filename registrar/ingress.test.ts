import { desiredSettings } from '../test/support/registrar/settings';
import { analyzeService } from '../core/annotations';
import { type DesiredSettings, desiredForService } from './desired';
import type { EndpointSliceLike, SyncedService } from './kube-objects';
import {
  type IngressAddress,
  type IngressLike,
  ingressAddresses,
  routedServices,
  serviceIngressAddresses,
} from './ingress';

type Rule = NonNullable<NonNullable<IngressLike['spec']>['rules']>[number];

const rule = (host: string | undefined, ...paths: Array<[string, string | undefined]>): Rule => ({
  ...(host !== undefined ? { host } : {}),
  http: {
    paths: paths.map(([path, service]) => ({
      path,
      backend: service ? { service: { name: service } } : {},
    })),
  },
});

const ingress = (
  rules: Rule[],
  extra: { tls?: string[][]; lb?: Array<{ ip?: string; hostname?: string }> } = {},
): IngressLike => ({
  metadata: { name: 'ing', namespace: 'shop' },
  spec: { rules, ...(extra.tls ? { tls: extra.tls.map((hosts) => ({ hosts })) } : {}) },
  ...(extra.lb ? { status: { loadBalancer: { ingress: extra.lb } } } : {}),
});

describe('which rules count (consul-k8s serviceIngressResource.Upsert)', () => {
  test.each<[string, IngressLike, string, IngressAddress[]]>([
    [
      'a rule routing "/" to the Service: its host, port 80',
      ingress([rule('web.example.com', ['/', 'web'])]),
      'web',
      [{ address: 'web.example.com', port: 80 }],
    ],
    ['only the path "/" counts, not "/api"', ingress([rule('web.example.com', ['/api', 'web'])]), 'web', []],
    ['"/" to another Service', ingress([rule('web.example.com', ['/', 'api'])]), 'web', []],
    [
      'of two "/" paths in one rule the last wins',
      ingress([rule('a.example.com', ['/', 'web'], ['/', 'api'])]),
      'web',
      [],
    ],
    ['a rule without host registers nothing', ingress([rule(undefined, ['/', 'web'])]), 'web', []],
    ['a resource backend is no Service', ingress([rule('a.example.com', ['/', undefined])]), 'web', []],
    [
      'a TLS host: port 443',
      ingress([rule('web.example.com', ['/', 'web'])], { tls: [['other.example.com', 'web.example.com']] }),
      'web',
      [{ address: 'web.example.com', port: 443 }],
    ],
    [
      'a wildcard TLS host does not match (string compare)',
      ingress([rule('web.example.com', ['/', 'web'])], { tls: [['*.example.com']] }),
      'web',
      [{ address: 'web.example.com', port: 80 }],
    ],
    [
      'every rule to the Service, in order',
      ingress([rule('a.example.com', ['/', 'web']), rule('b.example.com', ['/', 'web'])], {
        tls: [['b.example.com']],
      }),
      'web',
      [
        { address: 'a.example.com', port: 80 },
        { address: 'b.example.com', port: 443 },
      ],
    ],
  ])('%s', (_name, object, service, expected) => {
    expect(ingressAddresses(object, service, false)).toEqual(expected);
  });

  test('spec.defaultBackend is not looked at', () => {
    const object: IngressLike = { metadata: { name: 'ing', namespace: 'shop' }, spec: {} };
    (object.spec as Record<string, unknown>).defaultBackend = { service: { name: 'web' } };
    expect(routedServices(object)).toEqual([]);
  });

  test('routedServices: every Service a counting rule names, address or not', () => {
    const object = ingress([
      rule(undefined, ['/', 'web']),
      rule('a.example.com', ['/', 'api'], ['/x', 'db']),
    ]);
    expect(routedServices(object)).toEqual(['web', 'api']);
  });
});

describe('--loadBalancer-ips', () => {
  const routed = (lb?: Array<{ ip?: string; hostname?: string }>, tls?: string[][]) =>
    ingressAddresses(
      ingress([rule('web.example.com', ['/', 'web'])], { ...(lb ? { lb } : {}), ...(tls ? { tls } : {}) }),
      'web',
      true,
    );

  test("the first load-balancer entry's IP, the port still by the rule's host", () => {
    expect(routed([{ ip: '34.1.1.1' }, { ip: '34.2.2.2' }])).toEqual([{ address: '34.1.1.1', port: 80 }]);
    expect(routed([{ ip: '34.1.1.1' }], [['web.example.com']])).toEqual([{ address: '34.1.1.1', port: 443 }]);
  });

  test('no IP yet, or a hostname only: nothing', () => {
    expect(routed()).toEqual([]);
    expect(routed([])).toEqual([]);
    expect(routed([{ hostname: 'lb.example.com' }, { ip: '34.2.2.2' }])).toEqual([]);
  });

  test('a rule without host counts with the IP', () => {
    const object = ingress([rule(undefined, ['/', 'web'])], { lb: [{ ip: '34.1.1.1' }] });
    expect(ingressAddresses(object, 'web', true)).toEqual([{ address: '34.1.1.1', port: 80 }]);
  });
});

test('serviceIngressAddresses: one entry per address, the first port seen', () => {
  const a = ingress([rule('a.example.com', ['/', 'web'])]);
  const b = ingress([rule('a.example.com', ['/', 'web']), rule('b.example.com', ['/', 'web'])], {
    tls: [['a.example.com']],
  });
  expect(serviceIngressAddresses([a, b], 'web', false)).toEqual([
    { address: 'a.example.com', port: 80 },
    { address: 'b.example.com', port: 80 },
  ]);
});

describe('desired instances of a Service an Ingress routes to', () => {
  const settings = desiredSettings();
  const service = (spec: SyncedService['spec']): SyncedService => ({
    metadata: {
      name: 'web',
      namespace: 'shop',
      annotations: { 'consul.hashicorp.com/service-port': '9000' },
    },
    spec: { ports: [{ name: 'http', port: 8080 }], ...spec },
  });
  const slice = (
    ...endpoints: Array<{ ip: string; ready?: boolean; terminating?: boolean }>
  ): EndpointSliceLike => ({
    metadata: { name: 'web-1', namespace: 'shop' },
    ports: [{ name: 'http', port: 8080 }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, terminating: e.terminating ?? false },
      targetRef: { kind: 'Pod', name: `pod-${e.ip}` },
      nodeName: 'n1',
    })),
  });
  const routes: IngressAddress[] = [
    { address: 'web.example.com', port: 443 },
    { address: 'alt.example.com', port: 80 },
  ];
  const desired = (
    spec: SyncedService['spec'],
    slices: EndpointSliceLike[],
    addresses: IngressAddress[] = routes,
    overrides: Partial<DesiredSettings> = {},
  ) => {
    const object = service(spec);
    const result = desiredForService(
      {
        service: object,
        intent: analyzeService(object, { syncTag: 'k8s' }).intent,
        endpointSlices: slices,
        nodeByName: () => ({ status: { addresses: [{ type: 'ExternalIP', address: '34.0.0.1' }] } }),
        ingressAddresses: addresses,
      },
      { ...settings, ...overrides },
    );
    if (!result.sync) throw new Error(result.reason);
    return result.instances;
  };

  test('ClusterIP: the Ingress addresses replace the endpoints; the port annotation does not apply', () => {
    const instances = desired({ type: 'ClusterIP' }, [
      slice({ ip: '10.0.0.1' }, { ip: '10.0.0.2', ready: false }),
    ]);
    expect(instances.map((i) => `${i.address}:${i.port}`).sort()).toEqual([
      'alt.example.com:80',
      'web.example.com:443',
    ]);
    for (const instance of instances) {
      expect(instance.check).toEqual({
        id: `shop/${instance.id}`,
        status: 'passing',
        output: 'Kubernetes health checks passing',
      });
      // The instance stands for the Ingress, not for one Pod.
      expect(instance.meta['external-k8s-ref-name']).toBeUndefined();
      expect(instance.meta['external-k8s-ns']).toBe('shop');
      expect(instance.tags).toEqual(['k8s']);
    }
  });

  test('critical when no endpoint is ready; none without (non-terminating) endpoints', () => {
    expect(
      desired({ type: 'ClusterIP' }, [slice({ ip: '10.0.0.1', ready: false })]).map((i) => i.check?.status),
    ).toEqual(['critical', 'critical']);
    expect(desired({ type: 'ClusterIP' }, [slice({ ip: '10.0.0.1', terminating: true })])).toEqual([]);
    expect(desired({ type: 'ClusterIP' }, [])).toEqual([]);
  });

  test('LoadBalancer with --sync-lb-services-endpoints takes the Ingress addresses too', () => {
    expect(
      desired({ type: 'LoadBalancer' }, [slice({ ip: '10.0.0.1' })], routes, {
        syncLoadBalancerEndpoints: true,
      }).map((i) => i.address),
    ).toEqual(expect.arrayContaining(['web.example.com', 'alt.example.com']));
  });

  test('NodePort, LoadBalancer ingress and external IPs are not affected (as consul-k8s)', () => {
    expect(
      desired({ type: 'ClusterIP', externalIPs: ['5.5.5.5'] }, [slice({ ip: '10.0.0.1' })]).map(
        (i) => i.address,
      ),
    ).toEqual(['5.5.5.5']);
    expect(desired({ type: 'NodePort' }, [slice({ ip: '10.0.0.1' })]).map((i) => i.address)).toEqual([
      '34.0.0.1',
    ]);
  });

  test('without Ingress addresses the endpoints register as before', () => {
    expect(
      desired({ type: 'ClusterIP' }, [slice({ ip: '10.0.0.1' })], []).map((i) => `${i.address}:${i.port}`),
    ).toEqual(['10.0.0.1:9000']);
  });
});
