/**
 * The registrar against a real kube-apiserver and a real Consul, run as deploy/ runs it: its
 * ServiceAccount bound to exactly the RBAC rendered from deploy/overlays/production (so a missing
 * permission fails here, and the audit log shows that every granted one is used), the container
 * args of the rendered Deployment, and a Lease handover between two registrar processes.
 */
import { join } from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT, renderOverlay, type K8sObject } from '../deploy/render';
import { eventually } from '../support/wait';
import { startRealConsul, type RealConsul } from './servers/consul';
import { startRealKube, type RealKube } from './servers/kube';
import { freePorts, removeDir, startProcess, tempDir, type ServerProcess } from './servers/process';

const NS = 'consul-k8s-gitops';
const APP_NS = 'shop';
const SA = 'consul-k8s-gitops-registrar';
const NODE = 'k8s-sync-real';

let kube: RealKube;
let consul: RealConsul;
let dir: string;
let registrarArgs: string[];
let kubeconfig: string;
const running: ServerProcess[] = [];

function apply(objects: object[]): void {
  const res = kube.kubectl(['apply', '-f', '-'], { input: objects.map((o) => yaml.dump(o)).join('---\n') });
  if (res.status !== 0) throw new Error(res.stderr);
}

/** The registrar Deployment's container args, as rendered, with the pod's variables filled in. */
function argsFrom(deployment: K8sObject): string[] {
  const spec = deployment.spec as { template: { spec: { containers: Array<{ args: string[] }> } } };
  const vars: Record<string, string> = { CLUSTER_ID: 'real', POD_NAMESPACE: NS };
  return spec.template.spec.containers[0]!.args.map((arg) =>
    arg.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => {
      const value = vars[name];
      if (value === undefined) throw new Error(`no value for $(${name}) in the registrar args`);
      return value;
    }),
  );
}

async function startRegistrar(identity: string, extraArgs: string[] = []): Promise<ServerProcess> {
  const [port] = (await freePorts(1)) as [number];
  const args = [
    ...registrarArgs.map((a) => (a.startsWith('--http-port=') ? `--http-port=${port}` : a)),
    ...extraArgs,
  ];
  const proc = startProcess(
    `registrar-${identity}`,
    process.execPath,
    [join(REPO_ROOT, 'dist/cli.js'), ...args, `--kubeconfig=${kubeconfig}`],
    dir,
    { ...consul.env(), POD_NAME: identity, POD_NAMESPACE: NS },
  );
  running.push(proc);
  return proc;
}

async function instances(): Promise<
  Array<{ ServiceName: string; ServiceAddress: string; ServicePort: number }>
> {
  const res = await consul.api('GET', `/catalog/node-services/${NODE}`);
  if (res.status !== 200 || res.body === null || res.body === undefined) return [];
  const services = (res.body as { Services?: Array<{ Service: string; Address: string; Port: number }> })
    .Services;
  return (services ?? []).map((s) => ({
    ServiceName: s.Service,
    ServiceAddress: s.Address,
    ServicePort: s.Port,
  }));
}

beforeAll(async () => {
  dir = tempDir('registrar');
  [kube, consul] = await Promise.all([startRealKube(), startRealConsul()]);
  const rendered = await renderOverlay('overlays/production');
  const isRegistrar = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/component'] === 'registrar';
  const rbac = rendered.filter(
    (o) =>
      isRegistrar(o) &&
      ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind),
  );
  expect(rbac.map((o) => o.kind).sort()).toEqual(
    expect.arrayContaining(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ServiceAccount']),
  );
  const deployment = rendered.find((o) => o.kind === 'Deployment' && isRegistrar(o));
  if (!deployment) throw new Error('deploy/overlays/production renders no registrar Deployment');
  registrarArgs = argsFrom(deployment);

  apply([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: APP_NS } },
  ]);
  apply(rbac);
  kubeconfig = kube.kubeconfigFor(await kube.serviceAccountToken(NS, SA), 'registrar');

  apply([
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' }, status: {} },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'web',
        namespace: APP_NS,
        annotations: { 'consul.hashicorp.com/service-tags': 'blue' },
      },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }], selector: { app: 'web' } },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-1', namespace: APP_NS, labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['10.1.0.1'], conditions: { ready: true }, nodeName: 'node-a' },
        { addresses: ['10.1.0.2'], conditions: { ready: true }, nodeName: 'node-a' },
      ],
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'broken',
        namespace: APP_NS,
        annotations: { 'consul.hashicorp.com/service-port': 'x y' },
      },
      spec: { ports: [{ port: 81 }] },
    },
  ]);
}, 300_000);

afterAll(async () => {
  for (const proc of running) await proc.stop();
  await consul?.stop();
  await kube?.stop();
  removeDir(dir);
});

test('with exactly the RBAC that deploy/ renders, it registers the endpoints and posts Events', async () => {
  const first = await startRegistrar('registrar-a');
  await eventually(
    async () => {
      if (!first.running()) throw new Error(`registrar exited:\n${first.logTail()}`);
      const web = (await instances()).filter((i) => i.ServiceName === 'web');
      return web.length === 2;
    },
    { timeoutMs: 60_000, intervalMs: 250, what: 'the web endpoints in Consul' },
  );
  const found = (await instances())
    .filter((i) => i.ServiceName === 'web')
    .map((i) => `${i.ServiceAddress}:${i.ServicePort}`);
  expect(found.sort()).toEqual(['10.1.0.1:8080', '10.1.0.2:8080']);

  await eventually(
    () => {
      const res = kube.kubectl(['get', 'events', '-n', APP_NS, '-o', 'json']);
      const items = (
        JSON.parse(res.stdout || '{"items":[]}') as {
          items: Array<{ involvedObject: { name: string }; type: string }>;
        }
      ).items;
      return items.some((e) => e.involvedObject.name === 'broken' && e.type === 'Warning');
    },
    { timeoutMs: 30_000, intervalMs: 500, what: 'a Warning Event on the broken Service' },
  );

  expect(forbiddenCalls()).toEqual([]);
}, 120_000);

test('a Lease handover between two registrar processes keeps every instance in Consul', async () => {
  const standby = await startRegistrar('registrar-b');
  const [leader] = running;
  // Let the standby see the Lease held, then kill the leader without a chance to release it.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  let missing = 0;
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const addresses = new Set((await instances()).map((i) => i.ServiceAddress));
      if (!addresses.has('10.1.0.1') || !addresses.has('10.1.0.2')) missing++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  process.kill(-leader!.pid, 'SIGKILL');
  await eventually(
    () => {
      const res = kube.kubectl(['get', 'lease', leaseName(), '-n', NS, '-o', 'json']);
      const lease = JSON.parse(res.stdout || '{}') as { spec?: { holderIdentity?: string } };
      return lease.spec?.holderIdentity === 'registrar-b';
    },
    { timeoutMs: 90_000, intervalMs: 500, what: 'registrar-b to take the Lease' },
  );
  // The new leader converges on what is there: a new endpoint shows it is really syncing.
  apply([
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-2', namespace: APP_NS, labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [{ addresses: ['10.1.0.3'], conditions: { ready: true }, nodeName: 'node-a' }],
    },
  ]);
  await eventually(async () => (await instances()).filter((i) => i.ServiceName === 'web').length === 3, {
    timeoutMs: 30_000,
    intervalMs: 250,
    what: 'the new leader to register the new endpoint',
  });
  polling = false;
  await poll;
  expect(missing).toBe(0);
  expect(standby.running()).toBe(true);
}, 180_000);

test('--enable-ingress: the leader after a handover watches Ingresses (RBAC of deploy/) and registers at the host', async () => {
  // The running leader stops gracefully (releasing the Lease); the ingress-enabled one takes over.
  const ingressRegistrar = await startRegistrar('registrar-c', ['--enable-ingress']);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  for (const proc of running.filter((p) => p !== ingressRegistrar)) await proc.stop();
  apply([
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'site', namespace: APP_NS },
      spec: {
        tls: [{ hosts: ['web.example.com'], secretName: 'site-tls' }],
        rules: [
          {
            host: 'web.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    },
  ]);
  await eventually(
    async () => {
      if (!ingressRegistrar.running()) throw new Error(`registrar exited:\n${ingressRegistrar.logTail()}`);
      const web = (await instances()).filter((i) => i.ServiceName === 'web');
      return web.length === 1 && web[0]?.ServiceAddress === 'web.example.com' && web[0].ServicePort === 443;
    },
    { timeoutMs: 60_000, intervalMs: 250, what: 'web registered at its Ingress host, port 443' },
  );
  // Level-based: without the Ingress, web is back at its endpoints.
  const res = kube.kubectl(['delete', 'ingress', 'site', '-n', APP_NS]);
  if (res.status !== 0) throw new Error(res.stderr);
  await eventually(async () => (await instances()).filter((i) => i.ServiceName === 'web').length === 3, {
    timeoutMs: 30_000,
    intervalMs: 250,
    what: 'web back at its three endpoints',
  });
  expect(forbiddenCalls()).toEqual([]);
}, 180_000);

test('no excess RBAC: every permission deploy/ grants the registrar was used, none was refused', () => {
  expect(forbiddenCalls()).toEqual([]);
  const used = new Set(
    registrarCalls().map((e) => `${e.objectRef?.apiGroup ?? ''}/${e.objectRef?.resource}:${e.verb}`),
  );
  // `patch` on events only aggregates a repeated Event into its count, which these tests do not wait for.
  const unused = grantedPermissions().filter((p) => !used.has(p) && p !== '/events:patch');
  expect(unused).toEqual([]);
});

/** The Lease the rendered Deployment names. */
function leaseName(): string {
  const flag = registrarArgs.find((a) => a.startsWith('--leader-elect-lease-name='));
  if (!flag) throw new Error('the registrar Deployment names no --leader-elect-lease-name');
  return flag.slice(flag.indexOf('=') + 1);
}

function registrarCalls() {
  const user = `system:serviceaccount:${NS}:${SA}`;
  return kube.auditEvents().filter((e) => e.user.username === user);
}

function forbiddenCalls(): string[] {
  return registrarCalls()
    .filter((e) => e.responseStatus?.code === 403)
    .map((e) => `${e.verb} ${e.objectRef?.resource}`);
}

/** `apiGroup/resource:verb` for every rule bound to the registrar's ServiceAccount. */
function grantedPermissions(): string[] {
  const out: string[] = [];
  for (const kind of ['clusterrole', 'role']) {
    const args = ['get', kind, '-o', 'json', ...(kind === 'role' ? ['-n', NS] : [])];
    const items = (JSON.parse(kube.kubectl(args).stdout) as { items: K8sObject[] }).items.filter((o) =>
      o.metadata.name.startsWith('consul-k8s-gitops-registrar'),
    );
    for (const role of items)
      for (const rule of (role.rules ?? []) as Array<{
        apiGroups: string[];
        resources: string[];
        verbs: string[];
      }>)
        for (const group of rule.apiGroups)
          for (const resource of rule.resources)
            for (const verb of rule.verbs) out.push(`${group}/${resource}:${verb}`);
  }
  return out.sort();
}
