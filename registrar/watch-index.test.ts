import type { EndpointSliceLike } from './kube-objects';
import type { IngressLike } from './ingress';
import { IngressIndex, NodeAddresses, SliceIndex, splitKey } from './watch-index';

const slice = (service: string | undefined): EndpointSliceLike => {
  const labels: Record<string, string> = service ? { 'kubernetes.io/service-name': service } : {};
  return { metadata: { name: 's1', namespace: 'shop', labels } };
};

describe('SliceIndex', () => {
  test.each<[string, Array<string | undefined | null>, string[][]]>([
    ['a new slice dirties its Service', ['web'], [['shop/web']]],
    ['a deleted slice still finds its Service', ['web', null], [['shop/web'], ['shop/web']]],
    ['a relabelled slice dirties both Services', ['web', 'api'], [['shop/web'], ['shop/web', 'shop/api']]],
    ['a slice without the label belongs to nobody', [undefined], [[]]],
    ['deleting an unknown slice dirties nothing', [null], [[]]],
  ])('%s', (_name, steps, expected) => {
    const index = new SliceIndex();
    const results = steps.map((service) =>
      index.update('shop/s1', service === null ? undefined : slice(service)),
    );
    expect(results).toEqual(expected);
  });

  test('slicesOf follows additions and deletions', () => {
    const index = new SliceIndex();
    index.update('shop/s1', slice('web'));
    index.update('shop/s2', {
      metadata: { name: 's2', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    });
    expect([...index.slicesOf('shop/web')]).toEqual(['shop/s1', 'shop/s2']);
    index.update('shop/s1', undefined);
    expect([...index.slicesOf('shop/web')]).toEqual(['shop/s2']);
    expect([...index.slicesOf('shop/other')]).toEqual([]);
  });
});

describe('NodeAddresses', () => {
  const node = (address: string) => ({ status: { addresses: [{ type: 'InternalIP', address }] } });
  test('only address changes count', () => {
    const nodes = new NodeAddresses();
    expect(nodes.update('n1', node('10.0.0.1'))).toBe(true);
    expect(nodes.update('n1', node('10.0.0.1'))).toBe(false); // a status heartbeat
    expect(nodes.update('n1', node('10.0.0.2'))).toBe(true);
    expect(nodes.update('n1', undefined)).toBe(true);
    expect(nodes.update('n1', undefined)).toBe(false);
  });
});

test('splitKey', () => {
  expect(splitKey('shop/web')).toEqual(['shop', 'web']);
  expect(splitKey('node-1')).toEqual([undefined, 'node-1']);
});

describe('IngressIndex', () => {
  const routing = (...services: string[]): IngressLike => ({
    metadata: { name: 'ing', namespace: 'shop' },
    spec: {
      rules: services.map((name) => ({
        host: `${name}.example.com`,
        http: { paths: [{ path: '/', backend: { service: { name } } }] },
      })),
    },
  });

  test('a change dirties the Services it routed to and routes to now; deletion finds them', () => {
    const index = new IngressIndex();
    expect(index.update('shop/ing', routing('web', 'api'))).toEqual(['shop/web', 'shop/api']);
    expect(index.update('shop/ing', routing('api', 'db'))).toEqual(['shop/web', 'shop/api', 'shop/db']);
    expect(index.ingressesOf('shop/web')).toEqual([]);
    expect(index.ingressesOf('shop/db')).toEqual(['shop/ing']);
    expect(index.update('shop/ing', undefined)).toEqual(['shop/api', 'shop/db']);
    expect(index.ingressesOf('shop/db')).toEqual([]);
  });

  test('ingressesOf lists every Ingress routing to the Service, sorted', () => {
    const index = new IngressIndex();
    index.update('shop/b', routing('web'));
    index.update('shop/a', routing('web'));
    index.update('other/a', routing('web'));
    expect(index.ingressesOf('shop/web')).toEqual(['shop/a', 'shop/b']);
  });
});
