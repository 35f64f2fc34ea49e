/** The double's pure parts; its HTTP behaviour is covered by test/contract/kube.test.ts. */
import { applyPatch, PatchError } from './patch';
import { findResource } from './resources';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors';
import { parseRoute } from './server';
import { Store } from './store';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front' };
  test.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=api', false],
    ['app!=api', true],
    ['missing!=x', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app in (api, web)', true],
    ['app notin (api,web)', false],
    ['missing notin (a)', true],
    ['app=web,tier=front', true],
    ['app in (web),tier=back', false],
    ['example.com/owner', false],
  ])('%p matches: %p', (selector, expected) => {
    expect(parseLabelSelector(selector)(labels)).toBe(expected);
  });

  test.each(['app in ()', 'app=web=x', '=web', 'bad key!'])('%p is rejected', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(SelectorError);
  });
});

describe('field selectors', () => {
  const obj = { metadata: { name: 'web', namespace: 'shop' }, involvedObject: { name: 'api' } };
  test('supported paths, = == !=', () => {
    const fields = ['metadata.name', 'metadata.namespace', 'involvedObject.name'];
    expect(parseFieldSelector('metadata.name=web,metadata.namespace==shop', fields)(obj)).toBe(true);
    expect(parseFieldSelector('metadata.name!=web', fields)(obj)).toBe(false);
    expect(parseFieldSelector('involvedObject.name=api', fields)(obj)).toBe(true);
  });
  test("unsupported path: the server's message", () => {
    expect(() => parseFieldSelector('spec.type=x', ['metadata.name'])).toThrow(
      'field label not supported: spec.type',
    );
  });
});

describe('patches', () => {
  const svc = {
    metadata: { name: 'web', labels: { a: '1' } },
    spec: { ports: [{ port: 80, name: 'http' }] },
  };
  test('merge patch: null deletes, objects merge, lists replace', () => {
    const out = applyPatch('application/merge-patch+json', svc, {
      metadata: { labels: { a: null, b: '2' } },
      spec: { ports: [{ port: 443 }] },
    });
    expect(out).toEqual({ metadata: { name: 'web', labels: { b: '2' } }, spec: { ports: [{ port: 443 }] } });
  });
  test('strategic merge: ports merge by port; $patch: delete removes one', () => {
    const added = applyPatch('application/strategic-merge-patch+json', svc, {
      spec: {
        ports: [
          { port: 443, name: 'https' },
          { port: 80, name: 'web' },
        ],
      },
    });
    expect((added.spec as { ports: unknown[] }).ports).toEqual([
      { port: 80, name: 'web' },
      { port: 443, name: 'https' },
    ]);
    const removed = applyPatch('application/strategic-merge-patch+json', added, {
      spec: { ports: [{ port: 80, $patch: 'delete' }] },
    });
    expect((removed.spec as { ports: unknown[] }).ports).toEqual([{ port: 443, name: 'https' }]);
  });
  test('JSON patch: add, replace, remove, test; failures are PatchErrors', () => {
    const out = applyPatch('application/json-patch+json', svc, [
      { op: 'test', path: '/metadata/name', value: 'web' },
      { op: 'add', path: '/metadata/labels/b', value: '2' },
      { op: 'replace', path: '/spec/ports/0/port', value: 8080 },
      { op: 'remove', path: '/metadata/labels/a' },
    ]);
    expect(out).toEqual({
      metadata: { name: 'web', labels: { b: '2' } },
      spec: { ports: [{ port: 8080, name: 'http' }] },
    });
    expect(svc.metadata.labels).toEqual({ a: '1' }); // the input is not modified
    expect(() =>
      applyPatch('application/json-patch+json', svc, [{ op: 'test', path: '/metadata/name', value: 'x' }]),
    ).toThrow(PatchError);
    expect(() => applyPatch('application/json-patch+json', svc, [{ op: 'remove', path: '/nope' }])).toThrow(
      PatchError,
    );
    expect(() => applyPatch('text/plain', svc, {})).toThrow(PatchError);
  });
});

describe('routes', () => {
  test.each([
    ['/api/v1/services', 'services', undefined, undefined],
    ['/api/v1/namespaces/shop/services', 'services', 'shop', undefined],
    ['/api/v1/namespaces/shop/services/web', 'services', 'shop', 'web'],
    ['/api/v1/namespaces/shop', 'namespaces', undefined, 'shop'],
    ['/api/v1/nodes/node-1', 'nodes', undefined, 'node-1'],
    ['/apis/discovery.k8s.io/v1/endpointslices', 'endpointslices', undefined, undefined],
    ['/apis/networking.k8s.io/v1/namespaces/shop/ingresses', 'ingresses', 'shop', undefined],
    [
      '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/registrar',
      'leases',
      'kube-system',
      'registrar',
    ],
  ])('%s', (path, plural, namespace, name) => {
    const route = parseRoute(path);
    expect([route.resource.plural, route.namespace, route.name]).toEqual([plural, namespace, name]);
  });
  test('status subresource and unknown paths', () => {
    expect(parseRoute('/api/v1/namespaces/shop/services/web/status').subresource).toBe('status');
    expect(() => parseRoute('/api/v1/pods')).toThrow('the server could not find the requested resource');
    expect(() => parseRoute('/apis/apps/v1/deployments')).toThrow('could not find');
    expect(() => parseRoute('/api/v1/services/web')).toThrow('could not find'); // namespaced type, no namespace
  });
});

describe('store', () => {
  const services = findResource('services');
  if (!services) throw new Error('services resource missing');
  const svc = (name: string) => ({ metadata: { name }, spec: { ports: [{ port: 80 }] } });

  test('every write bumps one global resourceVersion; a no-op update does not', () => {
    const store = new Store(100);
    const rv0 = store.resourceVersion;
    const created = store.create(services, 'shop', svc('web'));
    expect(created.metadata?.resourceVersion).toBe(String(rv0 + 1));
    const same = store.update(services, 'shop', 'web', created);
    expect(same.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    const deleted = store.delete(services, 'shop', 'web');
    expect(deleted.metadata?.resourceVersion).toBe(String(rv0 + 2));
  });

  test('history is bounded: resuming from before it is refused', () => {
    const store = new Store(4);
    const start = store.resourceVersion;
    for (let i = 0; i < 10; i++) store.create(services, 'shop', svc(`s${i}`));
    expect(store.changesSince(start)).toBeUndefined();
    const resumable = store.oldestResumableVersion;
    expect(store.changesSince(resumable)?.map((c) => c.rv)).toEqual(
      Array.from({ length: store.resourceVersion - resumable }, (_, i) => resumable + 1 + i),
    );
  });

  test('Services get cluster IPs, target ports and (for NodePort) node ports; clusterIP survives updates', () => {
    const store = new Store(10);
    const created = store.create(services, 'shop', {
      metadata: { name: 'np' },
      spec: { type: 'NodePort', ports: [{ port: 80 }] },
    });
    const spec = created.spec as {
      clusterIP: string;
      ports: Array<{ targetPort: number; nodePort: number; protocol: string }>;
    };
    expect(spec.clusterIP).toMatch(/^10\.96\./);
    expect(spec.ports[0]).toMatchObject({ targetPort: 80, protocol: 'TCP' });
    expect(spec.ports[0]?.nodePort).toBeGreaterThanOrEqual(30000);
    const updated = store.update(services, 'shop', 'np', {
      metadata: { name: 'np', labels: { a: 'b' } },
      spec: { type: 'NodePort', ports: [{ port: 80 }] },
    });
    expect((updated.spec as { clusterIP: string }).clusterIP).toBe(spec.clusterIP);
    expect((updated.spec as { ports: Array<{ nodePort: number }> }).ports[0]?.nodePort).toBe(
      spec.ports[0]?.nodePort,
    );
    expect(() => store.create(services, 'shop', svc('Bad_Name'))).toThrow('is invalid');
  });

  test('Ingresses are validated as ValidateIngressSpec does and get an empty load-balancer status', () => {
    const ingresses = findResource('ingresses', 'networking.k8s.io');
    if (!ingresses) throw new Error('ingresses resource missing');
    const store = new Store(10);
    const path = (name: string, extra: Record<string, unknown>) => ({
      metadata: { name },
      spec: { rules: [{ host: 'web.example.com', http: { paths: [{ path: '/', ...extra }] } }] },
    });
    const backend = { service: { name: 'web', port: { number: 80 } } };
    const created = store.create(ingresses, 'shop', path('web', { pathType: 'Prefix', backend }));
    expect(created.status).toEqual({ loadBalancer: {} });
    expect(() => store.create(ingresses, 'shop', { metadata: { name: 'empty' }, spec: {} })).toThrow(
      'either `defaultBackend` or `rules` must be specified',
    );
    expect(() => store.create(ingresses, 'shop', path('no-type', { backend }))).toThrow(
      'pathType: Required value',
    );
    expect(() =>
      store.create(
        ingresses,
        'shop',
        path('no-port', { pathType: 'Prefix', backend: { service: { name: 'web' } } }),
      ),
    ).toThrow('port name or number is required');
  });
});
