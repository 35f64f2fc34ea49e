/**
 * Ingress sync and --k8s-source-namespace end to end: the Kubernetes and Consul doubles, the real
 * clients, the real controller.
 */
import { converged, endpointSlice, Harness, ingress, service } from '../test/support/registrar/harness';
import { eventually } from '../test/support/wait';

jest.setTimeout(20_000);

let h: Harness;
beforeEach(async () => {
  h = await Harness.start();
});
afterEach(async () => {
  await h.close();
});

const ingressRequests = () => h.kube.requests.filter((r) => r.resource === 'ingresses');

describe('--enable-ingress', () => {
  test('a Service an Ingress routes "/" to registers at the host, 443 for a TLS host; back to its endpoints when the Ingress goes', async () => {
    const { kube } = h;
    kube.create(service('web', { type: 'ClusterIP' }));
    kube.create(endpointSlice('web', [{ ip: '10.1.0.1' }, { ip: '10.1.0.2' }]));
    kube.create(service('api', { type: 'ClusterIP' }));
    kube.create(endpointSlice('api', [{ ip: '10.2.0.1' }]));
    const created = kube.create(ingress('site', [{ host: 'web.example.com', service: 'web' }]));
    const registrar = await h.registrar({ enableIngress: true });
    await converged(registrar);
    expect(h.addresses('web')).toEqual(['web.example.com:80']);
    expect(h.addresses('api')).toEqual(['10.2.0.1:8080']);
    expect(
      h
        .checks()
        .filter((c) => c.ServiceName === 'web')
        .map((c) => c.Status),
    ).toEqual(['passing']);

    // Level-based: the Ingress now routes to api over TLS; web is recomputed from its endpoints.
    kube.update({
      ...ingress('site', [{ host: 'api.example.com', service: 'api' }], ['api.example.com']),
      metadata: { ...(created.metadata ?? {}), resourceVersion: undefined },
    });
    await eventually(() => expect(h.addresses('api')).toEqual(['api.example.com:443']));
    await eventually(() => expect(h.addresses('web')).toEqual(['10.1.0.1:8080', '10.1.0.2:8080']));

    kube.delete('ingresses', 'default', 'site');
    await eventually(() => expect(h.addresses('api')).toEqual(['10.2.0.1:8080']));
  });

  test('only the path "/" counts', async () => {
    const { kube } = h;
    kube.create(service('web', { type: 'ClusterIP' }));
    kube.create(endpointSlice('web', [{ ip: '10.1.0.1' }]));
    kube.create(ingress('site', [{ host: 'web.example.com', service: 'web', path: '/web' }]));
    const registrar = await h.registrar({ enableIngress: true });
    await converged(registrar);
    expect(h.addresses('web')).toEqual(['10.1.0.1:8080']);
  });

  test('--loadBalancer-ips: the Ingress load-balancer IP once its controller sets one', async () => {
    const { kube } = h;
    kube.create(service('web', { type: 'ClusterIP' }));
    kube.create(endpointSlice('web', [{ ip: '10.1.0.1' }]));
    const created = kube.create(ingress('site', [{ host: 'web.example.com', service: 'web' }]));
    const registrar = await h.registrar({ enableIngress: true, loadBalancerIps: true });
    await converged(registrar);
    expect(h.addresses('web')).toEqual(['10.1.0.1:8080']);
    kube.updateStatus({ ...created, status: { loadBalancer: { ingress: [{ ip: '34.1.2.3' }] } } });
    await eventually(() => expect(h.addresses('web')).toEqual(['34.1.2.3:80']));
  });

  test('off (the default): Ingresses are neither watched nor applied', async () => {
    const { kube } = h;
    kube.create(service('web', { type: 'ClusterIP' }));
    kube.create(endpointSlice('web', [{ ip: '10.1.0.1' }]));
    kube.create(ingress('site', [{ host: 'web.example.com', service: 'web' }]));
    const registrar = await h.registrar();
    await converged(registrar);
    expect(h.addresses('web')).toEqual(['10.1.0.1:8080']);
    expect(ingressRequests()).toEqual([]);
  });
});

describe('--k8s-source-namespace', () => {
  test('watches only that namespace (namespaced list and watch), replacing the allow list', async () => {
    const { kube } = h;
    for (const namespace of ['apps', 'other']) {
      kube.create(service('web', { type: 'ClusterIP' }, {}, namespace));
      kube.create(endpointSlice('web', [{ ip: namespace === 'apps' ? '10.1.0.1' : '10.9.0.1' }], namespace));
      kube.create(ingress('site', [{ host: `${namespace}.example.com`, service: 'web' }], [], namespace));
    }
    const registrar = await h.registrar({
      k8sSourceNamespace: 'apps',
      allowK8sNamespace: ['other'],
      enableIngress: true,
    });
    await converged(registrar);
    expect(h.addresses('web')).toEqual(['apps.example.com:80']);
    const namespaced = h.kube.requests.filter(
      (r) => ['services', 'endpointslices', 'ingresses'].includes(r.resource ?? '') && r.verb !== 'discovery',
    );
    expect(namespaced.length).toBeGreaterThan(0);
    expect(namespaced.filter((r) => r.namespace !== 'apps')).toEqual([]);
  });

  test('the deny list still applies to it', async () => {
    const { kube } = h;
    kube.create(service('web', { type: 'ClusterIP' }, {}, 'apps'));
    kube.create(endpointSlice('web', [{ ip: '10.1.0.1' }], 'apps'));
    const registrar = await h.registrar({ k8sSourceNamespace: 'apps', denyK8sNamespace: ['apps'] });
    await converged(registrar);
    expect(h.instances()).toEqual([]);
  });
});
