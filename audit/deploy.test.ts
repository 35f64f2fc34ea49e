/** deploy/components/audit: renders, its RBAC is exactly what the audit calls, its args parse. */
import { renderTempOverlay } from '../test/deploy/render';
import { KubeDouble } from '../test/support/kube';
import { buildProgram } from '../cli';
import { runAudit, type AuditFlags } from './main';

type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

const render = () =>
  renderTempOverlay((rel) => ({
    namespace: 'platform',
    resources: [rel('base')],
    components: [rel('components/audit')],
    transformers: [rel('transformers/namespace')],
  })) as Promise<Obj[]>;

/** `resource:verb` pairs, as RBAC names them. */
function grantedPairs(objects: Obj[]): string[] {
  const role = objects.find(
    (o) => o.kind === 'ClusterRole' && o.metadata.name === 'consul-k8s-gitops-audit',
  )!;
  const rules = role.rules as Array<{ resources: string[]; verbs: string[] }>;
  return rules.flatMap((r) => r.resources.flatMap((res) => r.verbs.map((v) => `${res}:${v}`))).sort();
}

describe('deploy/components/audit', () => {
  it('renders a CronJob, its ServiceAccount bound in the overlay namespace, and a NetworkPolicy', async () => {
    const objects = await render();
    const cron = objects.find((o) => o.kind === 'CronJob')!;
    expect(cron.metadata.namespace).toBe('platform');
    const binding = objects.find((o) => o.kind === 'ClusterRoleBinding')! as unknown as {
      subjects: Array<{ name: string; namespace: string }>;
    };
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'consul-k8s-gitops-audit', namespace: 'platform' },
    ]);
    expect(
      objects.some((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'consul-k8s-gitops-audit'),
    ).toBe(true);
  });

  it('its container args are a valid audit command line', async () => {
    const objects = await render();
    const cron = objects.find((o) => o.kind === 'CronJob') as unknown as {
      spec: { jobTemplate: { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } } };
    };
    const args = cron.spec.jobTemplate.spec.template.spec.containers[0]!.args;
    const program = buildProgram().exitOverride();
    const audit = program.commands.find((c) => c.name() === 'audit')!;
    audit.exitOverride().action(() => undefined);
    await program.parseAsync(['node', 'cli', ...args]);
    expect(audit.opts()).toMatchObject({ writeReports: true, exitZero: true, format: 'json' });
  });

  it('grants exactly the resource verbs a full --write-reports run uses (create, replace, delete stale)', async () => {
    const double = await KubeDouble.start();
    try {
      const svc = (ns: string, name: string, value: string) => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: ns, annotations: { 'consul.hashicorp.com/service-port': value } },
        spec: { ports: [{ port: 80 }] },
      });
      double.create(svc('a', 'web', 'x'));
      double.create(svc('b', 'api', '80'));
      const flags: AuditFlags = {
        format: 'text',
        strict: false,
        writeReports: true,
        pageSize: 500,
        consulK8sTag: 'k8s',
        warnUnsynced: false,
        k8sDefaultSync: true,
        syncClusteripServices: true,
        syncLbServicesEndpoints: false,
      };
      await runAudit(double.kubeConfig(), flags); // creates
      double.delete('services', 'b', 'api');
      await runAudit(double.kubeConfig(), flags); // replaces a/, deletes b/'s stale report
      const used = new Set(double.requests.filter((r) => r.resource).map((r) => `${r.resource}:${r.verb}`));
      expect([...used].sort()).toEqual(grantedPairs(await render()));
    } finally {
      await double.close();
    }
  });
});
