/** `audit` against the Kubernetes double, through the real client: paging, reports by namespace, PolicyReports. */
import { KubeDouble } from '../test/support/kube';
import { runAudit, type AuditFlags } from './main';
import { readServices } from './kube';
import { POLICY_REPORT_NAME, type PolicyReport } from './policy-report';

const flags = (extra: Partial<AuditFlags> = {}): AuditFlags => ({
  format: 'text',
  strict: false,
  writeReports: false,
  pageSize: 2,
  consulK8sTag: 'k8s',
  warnUnsynced: false,
  k8sDefaultSync: true,
  syncClusteripServices: true,
  syncLbServicesEndpoints: false,
  ...extra,
});

function service(namespace: string, name: string, annotations?: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    spec: { ports: [{ name: 'http', port: 80 }] },
  };
}

let double: KubeDouble;

beforeEach(async () => {
  double = await KubeDouble.start();
  double.create(service('apps', 'web', { 'consul.hashicorp.com/service-port': '0x10000' }));
  double.create(service('apps', 'api', { 'consul.hashicorp.com/service-tags': 'a,,b' }));
  double.create(service('apps', 'plain'));
  double.create(service('shop', 'cart', { 'consul.hashicorp.com/service-sync': 'true' }));
  double.create(service('default', 'kubernetes'));
});

afterEach(async () => {
  await double.close();
});

describe('consul-k8s-gitops audit', () => {
  it('reads every Service in pages and reports findings by namespace', async () => {
    const { output, exitCode } = await runAudit(double.kubeConfig(), flags());
    expect(output.split('\n')).toEqual([
      'apps: 1 error, 1 warning in 2 Services',
      '  api: warning: consul.hashicorp.com/service-tags: "a,,b" contains an empty tag; remove the extra comma [service-tags/empty-tag]',
      '  web: error: consul.hashicorp.com/service-port: "0x10000" is out of range (consul-k8s would register port 65536); use a port number 1-65535 or a port name [service-port/out-of-range]',
      'shop: 0 errors, 0 warnings in 1 Service',
      '1 error, 1 warning in 3 Services with consul.hashicorp.com/ annotations (5 Services read, 2 namespaces reported)',
      '',
    ]);
    expect(exitCode).toBe(1);
    // 5 Services at 2 per page: 3 chunked list calls, no unpaged one.
    const lists = double.requests.filter((r) => r.verb === 'list' && r.resource === 'services');
    expect(lists).toHaveLength(3);
  });

  it('prints JSON, limits itself to one namespace, and exits 0 without errors (1 with --strict on warnings)', async () => {
    const { output, exitCode } = await runAudit(
      double.kubeConfig(),
      flags({ format: 'json', namespace: 'shop' }),
    );
    const report = JSON.parse(output) as { namespaces: Array<{ namespace: string }>; summary: object };
    expect(report.namespaces.map((n) => n.namespace)).toEqual(['shop']);
    expect(report.summary).toEqual({ namespaces: 1, servicesRead: 1, services: 1, errors: 0, warnings: 0 });
    expect(exitCode).toBe(0);
    double.create(service('shop', 'basket', { 'consul.hashicorp.com/service-weight': '1' }));
    expect((await runAudit(double.kubeConfig(), flags({ namespace: 'shop' }))).exitCode).toBe(0);
    expect((await runAudit(double.kubeConfig(), flags({ namespace: 'shop', strict: true }))).exitCode).toBe(
      1,
    );
  });

  it('starts the list over when its continue token expires mid-way, counting nobody twice', async () => {
    const seen: string[] = [];
    let restarts = 0;
    let compacted = false;
    await readServices(
      double.kubeConfig(),
      { pageSize: 2 },
      (s) => {
        seen.push(`${s.metadata?.namespace}/${s.metadata?.name}`);
        if (!compacted) {
          compacted = true;
          // Another actor writes and etcd compacts before our second page: the token is too old.
          double.create(service('late', 'newcomer', { 'consul.hashicorp.com/service-sync': 'true' }));
          double.expireHistory();
        }
      },
      () => {
        restarts++;
        seen.length = 0;
      },
    );
    expect(restarts).toBe(1);
    expect(seen.sort()).toEqual([
      'apps/api',
      'apps/plain',
      'apps/web',
      'default/kubernetes',
      'late/newcomer',
      'shop/cart',
    ]);
  });

  it('fails with exit-worthy errors that name what could not be read, without a stack', async () => {
    double.failNext(1, { status: 500 });
    await expect(runAudit(double.kubeConfig(), flags())).rejects.toThrow(
      /^listing Services \(all namespaces\): HTTP 500/,
    );
  });

  it('writes one Kyverno-style PolicyReport per namespace, replaces it on re-runs and deletes stale ones', async () => {
    const now = () => new Date('2026-12-02T10:00:00Z');
    const first = await runAudit(double.kubeConfig(), flags({ writeReports: true }), now);
    expect(first.output).toContain('PolicyReports: 2 written, 0 stale deleted, 0 failed');
    const apps = double.get<PolicyReport>('policyreports', 'apps', POLICY_REPORT_NAME)!;
    expect(apps.metadata.labels['app.kubernetes.io/managed-by']).toBe('consul-k8s-gitops');
    expect(apps.summary).toEqual({ pass: 0, fail: 1, warn: 1, error: 0, skip: 0 });
    const web = double.get<{ metadata: { uid: string } }>('services', 'apps', 'web')!;
    expect(apps.results.find((r) => r.result === 'fail')).toEqual({
      policy: 'consul-k8s-gitops-service-annotations',
      rule: 'service-port/out-of-range',
      result: 'fail',
      severity: 'high',
      category: 'Consul catalog sync',
      source: 'consul-k8s-gitops',
      scored: true,
      message:
        'consul.hashicorp.com/service-port: "0x10000" is out of range (consul-k8s would register port 65536); use a port number 1-65535 or a port name',
      timestamp: { seconds: 1796205600, nanos: 0 },
      resources: [
        { apiVersion: 'v1', kind: 'Service', namespace: 'apps', name: 'web', uid: web.metadata.uid },
      ],
      properties: { annotation: 'consul.hashicorp.com/service-port', value: '0x10000' },
    });
    const shop = double.get<PolicyReport>('policyreports', 'shop', POLICY_REPORT_NAME)!;
    expect(shop.summary.pass).toBe(1);
    expect(shop.results[0]).toMatchObject({ result: 'pass', resources: [{ name: 'cart' }] });

    // The shop Service loses its annotations: its namespace's report is stale and goes.
    double.update({
      ...double.get('services', 'shop', 'cart')!,
      metadata: { ...double.get('services', 'shop', 'cart')!.metadata, annotations: {} },
    });
    const second = await runAudit(double.kubeConfig(), flags({ writeReports: true }), now);
    expect(second.output).toContain('PolicyReports: 1 written, 1 stale deleted, 0 failed');
    expect(double.list<PolicyReport>('policyreports').map((r) => r.metadata.namespace)).toEqual(['apps']);
    expect(second.exitCode).toBe(1);
  });

  it('keeps writing other namespaces when one report is refused, and exits 2 naming it', async () => {
    double.failNext(1, { status: 403, match: (req) => req.path.endsWith('/namespaces/apps/policyreports') });
    const { output, exitCode } = await runAudit(double.kubeConfig(), flags({ writeReports: true }));
    expect(output).toContain('PolicyReports: 1 written, 0 stale deleted, 1 failed');
    expect(output).toMatch(/\n {2}apps: HTTP 403/);
    expect(double.get('policyreports', 'shop', POLICY_REPORT_NAME)).toBeDefined();
    expect(exitCode).toBe(2);
  });

  it('says the PolicyReport CRD is missing when the API server does not serve it', async () => {
    double.failNext(1, { status: 404, match: (req) => req.path.endsWith('/namespaces/apps/policyreports') });
    const { output } = await runAudit(double.kubeConfig(), flags({ writeReports: true }));
    expect(output).toContain(
      'apps: the PolicyReport CRD (policyreports.wgpolicyk8s.io/v1alpha2) is not installed',
    );
  });
});
