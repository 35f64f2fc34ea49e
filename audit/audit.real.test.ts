/**
 * `audit` against a real kube-apiserver: chunked lists with real continue tokens, the
 * component's RBAC (a service account bound to the ClusterRole of deploy/components/audit), and
 * PolicyReports stored through a CRD.
 */
import yaml from 'js-yaml';
import { loadKubeConfig } from '../core/kube';
import { renderTempOverlay } from '../test/deploy/render';
import { startRealKube, type RealKube } from '../test/real/servers/kube';
import { eventually } from '../test/support/wait';
import { runAudit, type AuditFlags } from './main';
import { POLICY_REPORT_NAME } from './policy-report';

const K = 'consul.hashicorp.com/';
let kube: RealKube;

const flags = (extra: Partial<AuditFlags> = {}): AuditFlags => ({
  format: 'json',
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

/**
 * A minimal PolicyReport CRD (group, names, namespaced, schema open): the real tier ships no
 * Kyverno CRD yet, and the audit only needs the API to store and list the objects.
 */
const POLICY_REPORT_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'policyreports.wgpolicyk8s.io' },
  spec: {
    group: 'wgpolicyk8s.io',
    names: {
      kind: 'PolicyReport',
      listKind: 'PolicyReportList',
      plural: 'policyreports',
      singular: 'policyreport',
      shortNames: ['polr'],
    },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1alpha2',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

function service(namespace: string, name: string, annotations: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, annotations },
    spec: { ports: [{ name: 'http', port: 80 }] },
  };
}

beforeAll(async () => {
  kube = await startRealKube();
  for (const ns of ['apps', 'shop', 'consul-k8s-gitops'])
    await kube.api('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
  for (const svc of [
    service('apps', 'web', { [`${K}service-port`]: '0x10000' }),
    service('apps', 'api', { [`${K}service-name`]: 'api' }),
    service('apps', 'plain'),
    service('shop', 'cart', { [`${K}service-sync`]: 'yes' }),
  ]) {
    const res = await kube.api('POST', `/api/v1/namespaces/${svc.metadata.namespace}/services`, svc);
    if (res.status !== 201) throw new Error(`creating ${svc.metadata.name}: ${JSON.stringify(res.body)}`);
  }
  const crd = kube.kubectl(['apply', '-f', '-'], { input: JSON.stringify(POLICY_REPORT_CRD) });
  if (crd.status !== 0) throw new Error(crd.stderr);
  await eventually(() => kube.kubectl(['get', 'policyreports', '-A']).status === 0, {
    timeoutMs: 30_000,
    intervalMs: 250,
    what: 'the PolicyReport CRD to be served',
  });
  // The component's ServiceAccount and RBAC, exactly as rendered.
  const rendered = (await renderTempOverlay((rel) => ({
    namespace: 'consul-k8s-gitops',
    components: [rel('components/audit')],
  }))) as Array<{ kind: string }>;
  const rbac = rendered.filter((o) =>
    ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind),
  );
  const applied = kube.kubectl(['apply', '-f', '-'], { input: rbac.map((o) => yaml.dump(o)).join('---\n') });
  if (applied.status !== 0) throw new Error(applied.stderr);
}, 180_000);

afterAll(async () => {
  await kube?.stop();
});

describe('consul-k8s-gitops audit on a real kube-apiserver', () => {
  it('reads every Service in chunks, as the component ServiceAccount, and writes and replaces PolicyReports', async () => {
    const token = await kube.serviceAccountToken('consul-k8s-gitops', 'consul-k8s-gitops-audit');
    const kc = loadKubeConfig({ kubeconfig: kube.kubeconfigFor(token, 'audit') });
    const first = await runAudit(kc, flags({ writeReports: true }));
    const report = JSON.parse(first.output) as {
      namespaces: Array<{ namespace: string; errors: number }>;
      summary: { servicesRead: number };
      reports: { written: string[]; failed: unknown[] };
    };
    expect(report.namespaces.map((n) => [n.namespace, n.errors])).toEqual([
      ['apps', 1],
      ['shop', 1],
    ]);
    // 4 of ours + the `kubernetes` Service in default.
    expect(report.summary.servicesRead).toBe(5);
    expect(report.reports).toMatchObject({ written: ['apps', 'shop'], failed: [] });
    expect(first.exitCode).toBe(1);
    const stored = (
      await kube.api(
        'GET',
        `/apis/wgpolicyk8s.io/v1alpha2/namespaces/apps/policyreports/${POLICY_REPORT_NAME}`,
      )
    ).body as {
      summary: Record<string, number>;
      results: Array<{ rule: string; result: string }>;
    };
    expect(stored.summary).toEqual({ pass: 1, fail: 1, warn: 0, error: 0, skip: 0 });

    // Fix shop's Service: its report is replaced, not duplicated, and says pass.
    const annotate = kube.kubectl([
      'annotate',
      '--overwrite',
      '-n',
      'shop',
      'service/cart',
      `${K}service-sync=true`,
    ]);
    expect(annotate.stderr).toBe('');
    const second = await runAudit(kc, flags({ writeReports: true }));
    expect(JSON.parse(second.output).reports).toMatchObject({ written: ['apps', 'shop'], failed: [] });
    const list = (await kube.api('GET', '/apis/wgpolicyk8s.io/v1alpha2/policyreports')).body as {
      items: Array<{ metadata: { namespace: string }; summary: { pass: number } }>;
    };
    expect(list.items.map((i) => [i.metadata.namespace, i.summary.pass]).sort()).toEqual([
      ['apps', 1],
      ['shop', 1],
    ]);
  });

  it('exits 2 with the reason when the credentials may not list Services', async () => {
    await kube.api('POST', '/api/v1/namespaces/consul-k8s-gitops/serviceaccounts', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'nobody' },
    });
    const token = await kube.serviceAccountToken('consul-k8s-gitops', 'nobody');
    const kc = loadKubeConfig({ kubeconfig: kube.kubeconfigFor(token, 'nobody') });
    await expect(runAudit(kc, flags())).rejects.toThrow(
      /^listing Services \(all namespaces\): HTTP 403 Forbidden/,
    );
  });
});
