import { ConsulConfigError } from '../core/consul/config';
import type { Instance } from './catalog';
import {
  consulNamespaceFor,
  instanceKey,
  placeInstances,
  resolveTenancy,
  type NamespaceFlags,
} from './namespaces';

const destination: NamespaceFlags = { destination: 'team', mirroring: false, mirroringPrefix: '' };
const mirroring: NamespaceFlags = { destination: 'default', mirroring: true, mirroringPrefix: 'k8s-' };

describe('consulNamespaceFor (consul-k8s namespaces.ConsulNamespace)', () => {
  test('the destination namespace for every Kubernetes namespace', () => {
    expect(consulNamespaceFor('shop', destination)).toBe('team');
    expect(consulNamespaceFor('default', destination)).toBe('team');
  });

  test('mirroring wins: <prefix><k8s namespace>', () => {
    expect(consulNamespaceFor('shop', mirroring)).toBe('k8s-shop');
    expect(consulNamespaceFor('shop', { ...mirroring, mirroringPrefix: '' })).toBe('shop');
  });
});

describe('resolveTenancy', () => {
  test('nothing asked: as OSS', () => {
    expect(resolveTenancy(undefined, {}, false)).toEqual({ requestedBy: [] });
  });

  test('the flags: namespaces created; the partition named by where it came from', () => {
    expect(resolveTenancy(destination, { partition: 'east' }, true)).toEqual({
      namespaces: { ...destination, create: true },
      partition: 'east',
      requestedBy: ['--enable-namespaces', '--partition'],
    });
    expect(resolveTenancy(undefined, { partition: 'east' }, false).requestedBy).toEqual(['CONSUL_PARTITION']);
  });

  test('CONSUL_NAMESPACE alone: every instance in it, never created', () => {
    expect(resolveTenancy(undefined, { namespace: 'ops' }, false)).toEqual({
      namespaces: { destination: 'ops', mirroring: false, mirroringPrefix: '', create: false },
      requestedBy: ['CONSUL_NAMESPACE'],
    });
  });

  test('CONSUL_NAMESPACE with --enable-namespaces is refused, naming the variable', () => {
    const call = () => resolveTenancy(destination, { namespace: 'ops' }, false);
    expect(call).toThrow(ConsulConfigError);
    expect(call).toThrow('CONSUL_NAMESPACE: "ops" is set together with --enable-namespaces');
  });
});

describe('placeInstances', () => {
  const instance: Instance = {
    id: 'web-1',
    service: 'web',
    address: '10.0.0.1',
    port: 80,
    tags: [],
    meta: {},
  };

  test('without namespaces: the same array, no copies', () => {
    const list = [instance];
    expect(placeInstances(list, 'shop', { requestedBy: [] })).toBe(list);
  });

  test('with namespaces: each instance carries its namespace; keys differ per namespace', () => {
    const [placed] = placeInstances([instance], 'shop', {
      namespaces: { ...mirroring, create: true },
      requestedBy: ['--enable-namespaces'],
    });
    expect(placed).toEqual({ ...instance, namespace: 'k8s-shop' });
    expect(instanceKey(placed!.id, placed!.namespace)).not.toBe(instanceKey(instance.id, 'default'));
    expect(instanceKey(instance.id, undefined)).toBe('web-1');
  });
});
