/** AdmissionReview documents as the API server sends them, for tests and benchmarks. */

export interface ReviewFixture {
  uid?: string;
  operation?: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  name?: string;
  namespace?: string;
  annotations?: Record<string, string>;
  /** UPDATE/DELETE: the stored object's annotations. */
  oldAnnotations?: Record<string, string>;
  kind?: string;
  subResource?: string;
}

function serviceObject(
  name: string,
  namespace: string,
  annotations: Record<string, string>,
  resourceVersion = '1001',
): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace,
      uid: '4f9a2c1e-7d3b-4e8a-9c6f-0b1d2e3f4a5b',
      resourceVersion,
      creationTimestamp: '2026-01-10T09:30:00Z',
      labels: {
        'app.kubernetes.io/name': name,
        'app.kubernetes.io/instance': `${name}-prod`,
        'app.kubernetes.io/part-of': 'storefront',
        'app.kubernetes.io/managed-by': 'argocd',
      },
      annotations,
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.12.34',
      clusterIPs: ['10.96.12.34'],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
      sessionAffinity: 'None',
      selector: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': `${name}-prod` },
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
        { name: 'grpc', protocol: 'TCP', port: 9090, targetPort: 'grpc' },
        { name: 'metrics', protocol: 'TCP', port: 9102, targetPort: 9102 },
      ],
    },
    status: { loadBalancer: {} },
  };
}

/** An `admission.k8s.io/v1` AdmissionReview for a Service (or another kind). */
export function admissionReview(fixture: ReviewFixture = {}): Record<string, unknown> {
  const name = fixture.name ?? 'web';
  const namespace = fixture.namespace ?? 'shop';
  const operation = fixture.operation ?? 'CREATE';
  const kind = fixture.kind ?? 'Service';
  const object =
    operation === 'DELETE'
      ? null
      : { ...serviceObject(name, namespace, fixture.annotations ?? {}, '1002'), kind };
  const oldObject =
    operation === 'CREATE' || operation === 'CONNECT'
      ? null
      : { ...serviceObject(name, namespace, fixture.oldAnnotations ?? {}), kind };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: fixture.uid ?? '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: '', version: 'v1', kind },
      resource: {
        group: '',
        version: 'v1',
        resource: kind === 'Service' ? 'services' : `${kind.toLowerCase()}s`,
      },
      requestKind: { group: '', version: 'v1', kind },
      requestResource: { group: '', version: 'v1', resource: 'services' },
      ...(fixture.subResource ? { subResource: fixture.subResource } : {}),
      name,
      namespace,
      operation,
      userInfo: {
        username: 'system:serviceaccount:argocd:argocd-application-controller',
        uid: 'e1b2c3d4',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:argocd', 'system:authenticated'],
      },
      object,
      oldObject,
      dryRun: false,
      options: {
        apiVersion: 'meta.k8s.io/v1',
        kind: operation === 'CREATE' ? 'CreateOptions' : 'UpdateOptions',
        fieldManager: 'argocd-controller',
      },
    },
  };
}

/** Valid annotations a production Service typically carries. */
const TYPICAL_ANNOTATIONS: Record<string, string> = {
  'consul.hashicorp.com/service-sync': 'true',
  'consul.hashicorp.com/service-name': 'storefront-web',
  'consul.hashicorp.com/service-port': 'http',
  'consul.hashicorp.com/service-tags': 'frontend,v2,team-storefront',
  'consul.hashicorp.com/service-meta-team': 'storefront',
  'consul.hashicorp.com/service-meta-version': '2.14.3',
  'argocd.argoproj.io/tracking-id': 'storefront:/Service:shop/web',
  'kubectl.kubernetes.io/last-applied-configuration':
    '{"apiVersion":"v1","kind":"Service","metadata":{"annotations":{"consul.hashicorp.com/service-sync":"true","consul.hashicorp.com/service-name":"storefront-web","consul.hashicorp.com/service-port":"http"},"name":"web","namespace":"shop"},"spec":{"ports":[{"name":"http","port":80,"targetPort":8080},{"name":"grpc","port":9090,"targetPort":"grpc"},{"name":"metrics","port":9102,"targetPort":9102}],"selector":{"app.kubernetes.io/name":"web"}}}',
};

/** The benchmark's request: a realistic UPDATE (~4 KB) of a Service with valid consul annotations. */
export function realisticUpdateReview(uid?: string): Record<string, unknown> {
  return admissionReview({
    uid,
    operation: 'UPDATE',
    annotations: { ...TYPICAL_ANNOTATIONS, 'consul.hashicorp.com/service-meta-version': '2.15.0' },
    oldAnnotations: TYPICAL_ANNOTATIONS,
  });
}

/**
 * A hostile AdmissionReview of about `bytes` bytes: a Service carrying an array of empty objects
 * (`{}`), the shape that costs the most heap per byte to parse (issue 10, finding 2). `where`: in a
 * member the review never reads (`spec.junk`: scanned past), or in one it reads (`spec.ports`:
 * built, so only the worker's heap limit stops it).
 */
export function hostileReview(
  uid: string,
  bytes = Math.floor(3.9 * 1024 * 1024),
  where: 'junk' | 'ports' = 'junk',
): Buffer {
  const plain = JSON.stringify(admissionReview({ uid }));
  const count = Math.max(1, Math.floor((bytes - plain.length - 12) / 3));
  const pile = `[${'{},'.repeat(count - 1)}{}]`;
  return Buffer.from(
    where === 'junk'
      ? plain.replace('"spec":{', `"spec":{"junk":${pile},`)
      : plain.replace(/"ports":\[[^\]]*\]/, `"ports":${pile}`),
  );
}
