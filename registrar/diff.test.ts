import { desiredNode, type Instance } from './catalog';
import { type ActualCheck, type ActualInstance, type ActualState, diff, type Op, purgeOps } from './diff';

const node = desiredNode('k8s-sync-east', 'east');
const ours = {
  'external-source': 'kubernetes',
  'external-k8s-ns': 'shop',
  'external-k8s-cluster-id': 'east',
};
const theirs = {
  'external-source': 'kubernetes',
  'external-k8s-ns': 'shop',
  'external-k8s-cluster-id': 'west',
};

function instance(id: string, extra: Partial<Instance> = {}): Instance {
  return { id, service: 'web', address: '10.0.0.1', port: 80, tags: ['k8s'], meta: { ...ours }, ...extra };
}

function actualOf(i: Instance): ActualInstance {
  const { check: _check, ...rest } = i;
  return rest;
}

function checkOf(i: Instance, status = i.check?.status ?? 'passing'): ActualCheck {
  return {
    id: i.check!.id,
    serviceId: i.id,
    name: 'Kubernetes Readiness Check',
    type: 'kubernetes-readiness',
    status,
    output: i.check!.output,
  };
}

const checked = (id: string, status: 'passing' | 'critical' = 'passing'): Instance =>
  instance(id, {
    check: {
      id: `shop/${id}`,
      status,
      output: status === 'passing' ? 'Kubernetes health checks passing' : 'Kubernetes health checks failing',
    },
  });

const registeredNode = { address: '127.0.0.1', meta: { ...node.meta } };

function state(
  instances: Instance[],
  checks: ActualCheck[] = instances.filter((i) => i.check).map((i) => checkOf(i)),
  extra: ActualInstance[] = [],
): ActualState {
  return { node: registeredNode, instances: [...instances.map(actualOf), ...extra], checks };
}

function label(op: Op): string {
  switch (op.kind) {
    case 'node':
      return 'node';
    case 'delete-node':
      return `delete-node:${op.node}`;
    case 'delete':
      return `delete:${op.serviceId}`;
    case 'delete-check':
      return `delete-check:${op.checkId}`;
    default:
      return `${op.kind}:${op.instance.id}`;
  }
}
const kinds = (ops: Op[]) => ops.map(label);

describe('diff', () => {
  const a = checked('a');
  const b = instance('b', { address: '5.5.5.5' });

  test.each<[string, Instance[], ActualState, string[]]>([
    ['nothing changed: no ops', [a, b], state([a, b]), []],
    [
      'empty Consul: node, services and checks',
      [a, b],
      { instances: [], checks: [] },
      ['node', 'service:a', 'check:a', 'service:b'],
    ],
    [
      'node with foreign meta only is left alone',
      [],
      { node: { address: '127.0.0.1', meta: { ...node.meta, extra: '1' } }, instances: [], checks: [] },
      [],
    ],
    [
      'node with a wrong address is rewritten',
      [],
      { node: { address: '10.9.9.9', meta: node.meta }, instances: [], checks: [] },
      ['node'],
    ],
    ['a new instance', [a, b], state([a]), ['service:b']],
    ['a removed instance', [a], state([a, b]), ['delete:b']],
    ['a changed port', [a, instance('b', { address: '5.5.5.5', port: 81 })], state([a, b]), ['service:b']],
    [
      'changed tags (order matters)',
      [a, instance('b', { address: '5.5.5.5', tags: ['x', 'k8s'] })],
      state([a, instance('b', { address: '5.5.5.5', tags: ['k8s', 'x'] })]),
      ['service:b'],
    ],
    [
      'changed meta',
      [a, instance('b', { address: '5.5.5.5', meta: { ...ours, team: 'x' } })],
      state([a, b]),
      ['service:b'],
    ],
    ['readiness flip: only the check', [checked('a', 'critical'), b], state([a, b]), ['check:a']],
    ['missing check is re-created', [a], state([a], []), ['check:a']],
    [
      'default weights equal no weights',
      [instance('b', { weights: { passing: 1, warning: 1 } })],
      state([instance('b')]),
      [],
    ],
    [
      'weights change',
      [instance('b', { weights: { passing: 5, warning: 1 } })],
      state([instance('b')]),
      ['service:b'],
    ],
  ])('%s', (_name, desired, actual, expected) => {
    expect(kinds(diff({ node, instances: desired }, actual, 'east').ops)).toEqual(expected);
  });

  test('never deletes or overwrites instances it does not own', () => {
    const foreign: ActualInstance[] = [
      { ...actualOf(instance('w')), meta: theirs },
      { ...actualOf(instance('x')), meta: { team: 'other-tool' } },
      { ...actualOf(instance('c')), meta: { 'external-source': 'kubernetes' } },
    ];
    const result = diff({ node, instances: [instance('c', { port: 99 })] }, state([], [], foreign), 'east');
    expect(result.ops).toEqual([]);
    expect(result.conflicts).toEqual(['c']);
  });

  test('a stale readiness check on a kept instance is removed', () => {
    const stale: ActualCheck = { ...checkOf(a), id: 'shop/old' };
    expect(kinds(diff({ node, instances: [a] }, state([a], [checkOf(a), stale]), 'east').ops)).toEqual([
      'delete-check:shop/old',
    ]);
  });

  test('checks of other types are not touched', () => {
    const other: ActualCheck = {
      id: 'serfHealth',
      serviceId: 'a',
      name: 'Serf',
      status: 'passing',
      output: '',
    };
    expect(diff({ node, instances: [a] }, state([a], [checkOf(a), other]), 'east').ops).toEqual([]);
  });

  test('a check without a stored type still matches', () => {
    const { type: _type, ...untyped } = checkOf(a);
    expect(diff({ node, instances: [a] }, state([a], [untyped]), 'east').ops).toEqual([]);
  });
});

describe('purgeOps', () => {
  const mine = actualOf(instance('a'));
  const west = { ...actualOf(instance('w')), meta: theirs };
  test.each<[string, ActualState, string[]]>([
    [
      'our instances, then our empty node',
      { node: registeredNode, instances: [mine], checks: [] },
      ['delete:a', 'delete-node:k8s-sync-east'],
    ],
    [
      'foreign instances keep the node',
      { node: registeredNode, instances: [mine, west], checks: [] },
      ['delete:a'],
    ],
    [
      'a node that is not ours is kept',
      { node: { address: '127.0.0.1', meta: {} }, instances: [mine], checks: [] },
      ['delete:a'],
    ],
    ['nothing registered', { instances: [], checks: [] }, []],
  ])('%s', (_name, actual, expected) => {
    expect(kinds(purgeOps(actual, 'k8s-sync-east', 'east'))).toEqual(expected);
  });
});

describe('diff with Consul Enterprise namespaces', () => {
  const base = { node: { address: node.address, meta: node.meta }, checks: [] };

  test('an instance is matched in its own namespace: moved means set in the new one, deleted in the old', () => {
    const wanted = instance('web-1', { namespace: 'shop' });
    const { ops } = diff(
      { node, instances: [wanted] },
      { ...base, instances: [actualOf(instance('web-1', { namespace: 'team' }))] },
      'east',
    );
    expect(ops).toEqual([
      { kind: 'service', instance: wanted },
      { kind: 'delete', serviceId: 'web-1', service: 'web', namespace: 'team' },
    ]);
  });

  test('checks are matched per namespace; purge deletes in each namespace', () => {
    const wanted = { ...checked('web-2'), namespace: 'shop' };
    const current: ActualState = {
      ...base,
      instances: [actualOf(wanted)],
      checks: [{ ...checkOf(wanted), namespace: 'shop' }],
    };
    expect(diff({ node, instances: [wanted] }, current, 'east').ops).toEqual([]);
    expect(purgeOps(current, 'k8s-sync-east', 'east')).toEqual([
      { kind: 'delete', serviceId: 'web-2', service: 'web', namespace: 'shop' },
      { kind: 'delete-node', node: 'k8s-sync-east' },
    ]);
  });
});
