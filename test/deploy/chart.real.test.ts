/**
 * deploy/chart, rendered by the real Helm (helm.sh/helm/v3, the real tier's binary): it lints
 * clean, renders with its default values the same objects as deploy/overlays/production, its
 * mode switches render the same objects as the matching components, and its consul-k8s
 * `syncCatalog` values become flags the CLI accepts. Fails (never skips) without helm.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { buildProgram } from '../../cli';
import { rejectedBy } from './cli-args';
import { parseRegistrarConfig } from '../../registrar/config';
import { byIdentity, CHART_DIR, HELM, helm, renderChart } from './chart';
import { sharedObjects } from './collision';
import { workloads } from './inspect';
import { renderOverlay, renderOverlayWith, type K8sObject } from './render';
import { validateObject } from './validate';

const NAMESPACE = 'consul-k8s-gitops';

test('the real helm binary is installed', () => {
  expect({ helm: HELM, exists: existsSync(HELM) }).toEqual({ helm: HELM, exists: true });
});

test('helm lint passes, strict', async () => {
  const out = await helm(['lint', '--strict', CHART_DIR]);
  expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
}, 60_000);

test('with default values the chart renders the same objects as the production overlay', async () => {
  const [chart, overlay] = await Promise.all([renderChart(NAMESPACE), renderOverlay('overlays/production')]);
  expect(Object.keys(byIdentity(chart)).sort()).toEqual(Object.keys(byIdentity(overlay)).sort());
  expect(byIdentity(chart)).toEqual(byIdentity(overlay));
  expect(chart.flatMap(validateObject)).toEqual([]);
}, 60_000);

test('generator.mode=cronjob and metrics.serviceMonitors render as the generator-cronjob and monitoring components', async () => {
  const [chart, overlay] = await Promise.all([
    renderChart(NAMESPACE, { 'generator.mode': 'cronjob', 'metrics.serviceMonitors': 'true' }),
    renderOverlayWith('overlays/production', ['generator-cronjob', 'monitoring']),
  ]);
  expect(byIdentity(chart)).toEqual(byIdentity(overlay));
}, 60_000);

test('toConsul and toK8S switch the registrar and the generator off, as in consul-k8s', async () => {
  const components = (objects: K8sObject[]) =>
    [
      ...new Set(objects.map((o) => o.metadata.labels?.['app.kubernetes.io/component']).filter(Boolean)),
    ].sort();
  expect(components(await renderChart(NAMESPACE, { 'syncCatalog.toConsul': 'false' }))).toEqual([
    'generator',
    'webhook',
  ]);
  expect(components(await renderChart(NAMESPACE, { 'syncCatalog.toK8S': 'false' }))).toEqual([
    'registrar',
    'webhook',
  ]);
}, 60_000);

test('syncCatalog values become the matching registrar and generator flags, which the CLI accepts', async () => {
  const objects = await renderChart(NAMESPACE, {
    'syncCatalog.default': 'false',
    'syncCatalog.k8sPrefix': 'consul-',
    'syncCatalog.consulPrefix': 'k8s-',
    'syncCatalog.k8sTag': 'cluster-a',
    'syncCatalog.addK8SNamespaceSuffix': 'true',
    'syncCatalog.k8sAllowNamespaces': '{apps,web}',
    'syncCatalog.k8sDenyNamespaces': '{kube-system}',
    'syncCatalog.nodePortSyncType': 'ExternalFirst',
    'syncCatalog.syncClusterIPServices': 'false',
    'syncCatalog.syncLoadBalancerEndpoints': 'true',
    'syncCatalog.consulNodeName': 'k8s-sync-a',
    'syncCatalog.k8sSourceNamespace': 'apps',
    'syncCatalog.ingress.enabled': 'true',
    'syncCatalog.ingress.loadBalancerIPs': 'true',
    'syncCatalog.aclSyncToken.secretName': 'consul-sync-token',
    'syncCatalog.aclSyncToken.secretKey': 'sync-token',
    'generator.adoptConsulK8s': 'true',
  });
  const container = (name: string) =>
    workloads(objects).find((w) => w.object.metadata.name === `consul-k8s-gitops-${name}`)?.template.spec;
  const registrar = container('registrar');
  const args = registrar?.containers[0]?.args ?? [];
  expect(args).toEqual(
    expect.arrayContaining([
      '--k8s-default-sync=false',
      '--consul-service-prefix=k8s-',
      '--consul-k8s-tag=cluster-a',
      '--add-k8s-namespace-suffix=true',
      '--allow-k8s-namespace=apps',
      '--allow-k8s-namespace=web',
      '--deny-k8s-namespace=kube-system',
      '--node-port-sync-type=ExternalFirst',
      '--sync-clusterip-services=false',
      '--sync-lb-services-endpoints=true',
      '--consul-node-name=k8s-sync-a',
      '--k8s-source-namespace=apps',
      '--enable-ingress=true',
      '--loadBalancer-ips=true',
    ]),
  );
  expect(registrar?.volumes?.find((v) => v.name === 'consul')).toMatchObject({
    secret: { secretName: 'consul-sync-token' },
  });
  expect(registrar?.containers[0]?.env).toContainEqual({
    name: 'CONSUL_HTTP_TOKEN_FILE',
    value: '/etc/consul-k8s-gitops/consul/sync-token',
  });
  const generatorArgs = container('generator')?.containers[0]?.args ?? [];
  expect(generatorArgs).toEqual(
    expect.arrayContaining([
      '--k8s-service-prefix=consul-',
      '--consul-k8s-tag=cluster-a',
      '--adopt-consul-k8s',
    ]),
  );
  const program = buildProgram();
  for (const [sub, list] of [
    ['registrar', args],
    ['generate', generatorArgs],
  ] as const) {
    const command = program.commands.find((c) => c.name() === sub) as Command;
    // $(VAR) references are the kubelet's: any value parses for the flags that carry them.
    expect(
      rejectedBy(
        command,
        list.slice(1).map((a) => a.replace(/\$\([A-Z_]+\)/g, 'x')),
      ),
    ).toEqual([]);
  }
}, 60_000);

test('Enterprise namespace, partition and ACL login values become flags the registrar accepts', async () => {
  const objects = await renderChart(NAMESPACE, {
    'syncCatalog.consulNamespaces.enabled': 'true',
    'syncCatalog.consulNamespaces.mirroringK8S': 'true',
    'syncCatalog.consulNamespaces.mirroringK8SPrefix': 'k8s-',
    'syncCatalog.consulNamespaces.crossNamespaceACLPolicy': 'cross-namespace-policy',
    'syncCatalog.partition': 'team-a',
    'syncCatalog.aclAuthMethod': 'consul-k8s-component-auth-method',
    'syncCatalog.aclLoginDatacenter': 'dc1',
  });
  const registrar = workloads(objects).find((w) => w.object.metadata.name === 'consul-k8s-gitops-registrar')
    ?.template.spec.containers[0];
  const args = registrar?.args ?? [];
  expect(args).toEqual(
    expect.arrayContaining([
      '--enable-namespaces=true',
      '--enable-k8s-namespace-mirroring=true',
      '--k8s-namespace-mirroring-prefix=k8s-',
      '--consul-cross-namespace-acl-policy=cross-namespace-policy',
      '--partition=team-a',
      '--acl-auth-method=consul-k8s-component-auth-method',
      '--consul-login-datacenter=dc1',
    ]),
  );
  expect(registrar?.env).toContainEqual({
    name: 'POD_NAME',
    valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
  });
  const command = buildProgram().commands.find((c) => c.name() === 'registrar') as Command;
  const flags = args.slice(1).map((a) => a.replace(/\$\([A-Z_]+\)/g, 'x'));
  expect(rejectedBy(command, flags)).toEqual([]);
  // Beyond parsing: the combination is one the registrar's own checks accept.
  const config = parseRegistrarConfig(command.opts(), { POD_NAMESPACE: NAMESPACE, POD_NAME: 'registrar-0' });
  expect(config).toMatchObject({
    partition: 'team-a',
    login: { authMethod: 'consul-k8s-component-auth-method', meta: { pod: `${NAMESPACE}/registrar-0` } },
  });
  expect(config.namespaces).toBeDefined();
}, 60_000);

test('a release with a cluster-scoped name suffix in another namespace shares nothing with production', async () => {
  const [production, dev] = await Promise.all([
    renderChart(NAMESPACE),
    renderChart('consul-k8s-gitops-dev', {
      clusterScopedNameSuffix: '-dev',
      'generator.writeNamespace': 'consul-services-dev',
    }),
  ]);
  expect(
    sharedObjects([
      { label: 'production', namespace: NAMESPACE, objects: production },
      { label: 'dev', namespace: 'consul-k8s-gitops-dev', objects: dev },
    ]),
  ).toEqual([]);
}, 60_000);
