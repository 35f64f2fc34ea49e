import { desiredSettings } from '../test/support/registrar/settings';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { analyzeService } from '../core/annotations';
import { LAST_APPLIED_ANNOTATION, slimEndpointSlice, slimNode, slimService } from './cache-shape';
import { desiredForService } from './desired';

const settings = desiredSettings({ nodePortSyncType: 'ExternalFirst' });

const managedFields = [
  {
    manager: 'kubectl-client-side-apply',
    operation: 'Update',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:spec': {} },
  },
];

/** Objects as a real API server serves them: server-set metadata and fields the registrar never reads. */
function serviceAsServed(type: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: '5f1c',
      resourceVersion: '42',
      creationTimestamp: new Date('2026-12-01T00:00:00Z'),
      labels: { app: 'web' },
      annotations: {
        'consul.hashicorp.com/service-tags': 'blue,v2',
        'consul.hashicorp.com/service-port': 'http',
        'consul.hashicorp.com/service-meta-team': 'shop',
        [LAST_APPLIED_ANNOTATION]: '{"apiVersion":"v1","kind":"Service"}\n',
      },
      managedFields,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Foo', name: 'x', uid: 'y' }],
    },
    spec: {
      type,
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      selector: { app: 'web' },
      sessionAffinity: 'None',
      externalIPs: ['100.0.0.1'],
      ports: [
        { name: 'grpc', port: 9090, targetPort: 9091, nodePort: 30001, protocol: 'TCP', appProtocol: 'grpc' },
        { name: 'http', port: 80, targetPort: 'web', nodePort: 30002, protocol: 'TCP' },
      ],
    },
    status: { loadBalancer: { ingress: [{ ip: '200.0.0.1', ipMode: 'VIP' }, { hostname: 'lb.example' }] } },
  };
}

const slice: V1EndpointSlice = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  addressType: 'IPv4',
  metadata: {
    name: 'web-x',
    namespace: 'shop',
    resourceVersion: '43',
    labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'x' },
    managedFields,
  },
  ports: [
    { name: 'grpc', port: 9091, protocol: 'TCP' },
    { name: 'http', port: 8080, protocol: 'TCP' },
  ],
  endpoints: [
    {
      addresses: ['10.0.0.5'],
      nodeName: 'n1',
      zone: 'a',
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', name: 'web-0', namespace: 'shop', uid: 'p0', resourceVersion: '7' },
      deprecatedTopology: { zone: 'a' },
    },
    { addresses: ['10.0.0.6'], nodeName: 'n1', conditions: { ready: false } },
  ],
};

const node: V1Node = {
  metadata: { name: 'n1', resourceVersion: '9', labels: { zone: 'a' }, managedFields },
  status: {
    addresses: [
      { type: 'InternalIP', address: '10.0.0.1' },
      { type: 'ExternalIP', address: '34.0.0.1' },
    ],
    capacity: { cpu: '4' },
    images: [{ names: ['registry.example/web:1'], sizeBytes: 1 }],
  },
};

function desired(service: V1Service, slices: V1EndpointSlice[], nodes: V1Node[]) {
  return desiredForService(
    {
      service,
      intent: analyzeService(service).intent,
      endpointSlices: slices,
      nodeByName: (name) => nodes.find((candidate) => candidate.metadata?.name === name),
    },
    settings,
  );
}

test.each(['ClusterIP', 'NodePort', 'LoadBalancer'])(
  '%s: the slimmed objects give the same desired state as the objects as served',
  (type) => {
    const served = serviceAsServed(type);
    const full = desired(served, [slice], [node]);
    expect(full.sync).toBe(true);
    expect(desired(slimService(served), [slimEndpointSlice(slice)], [slimNode(node)])).toEqual(full);
  },
);

test('what the caches drop: managedFields, last-applied-configuration and unread fields', () => {
  const service = slimService(serviceAsServed('NodePort'));
  expect(service.metadata).toEqual({
    name: 'web',
    namespace: 'shop',
    uid: '5f1c',
    resourceVersion: '42',
    labels: { app: 'web' },
    annotations: {
      'consul.hashicorp.com/service-tags': 'blue,v2',
      'consul.hashicorp.com/service-port': 'http',
      'consul.hashicorp.com/service-meta-team': 'shop',
    },
  });
  expect(Object.keys(service.spec ?? {}).sort()).toEqual(['externalIPs', 'ports', 'type']);
  expect(service.spec?.ports?.[0]).toEqual({
    name: 'grpc',
    port: 9090,
    targetPort: 9091,
    nodePort: 30001,
    protocol: 'TCP',
  });
  expect(service.status).toEqual({
    loadBalancer: { ingress: [{ ip: '200.0.0.1' }, { hostname: 'lb.example' }] },
  });

  const endpoints = slimEndpointSlice(slice);
  expect(endpoints.metadata).toEqual({
    name: 'web-x',
    namespace: 'shop',
    resourceVersion: '43',
    labels: slice.metadata?.labels,
  });
  expect(endpoints.endpoints[0]).toEqual({
    addresses: ['10.0.0.5'],
    nodeName: 'n1',
    zone: 'a',
    conditions: { ready: true, serving: true, terminating: false },
    targetRef: { kind: 'Pod', name: 'web-0' },
  });
  expect(slimNode(node)).toEqual({
    metadata: { name: 'n1', resourceVersion: '9', labels: { zone: 'a' } },
    status: { addresses: node.status?.addresses },
  });
});

test('objects without optional parts stay valid', () => {
  expect(slimService({ metadata: { name: 'bare', namespace: 'x' } })).toEqual({
    metadata: { name: 'bare', namespace: 'x' },
  });
  expect(slimEndpointSlice({ addressType: 'IPv4', endpoints: [] })).toEqual({
    addressType: 'IPv4',
    metadata: {},
    endpoints: [],
  });
});
