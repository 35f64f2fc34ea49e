/**
 * Policy over the rendered manifests: Pod Security "restricted" for every pod, least-privilege
 * RBAC matching what the code calls, a webhook that cannot take the API server down, high
 * availability in production, network isolation, and the generator's two modes.
 */
import { ANNOTATION_PREFIX } from '../../core/annotations/keys';
import {
  allContainers,
  durationSeconds,
  field,
  find,
  flagValue,
  generatedConfigMap,
  get,
  grantsOf,
  ofKind,
  permissions,
  selects,
  workloads,
  type LabelSelector,
  type Container,
  type PodSpec,
  type Workload,
} from './inspect';
import { rbacRules as registrarRbac } from '../../registrar/rbac';
import { rbacRules as generatorRbac } from '../../generator/rbac';
import { renderOverlay, renderOverlayWith, type K8sObject } from './render';

const renders: Record<'dev' | 'production' | 'production+cronjob+monitoring', K8sObject[]> = {
  dev: [],
  production: [],
  'production+cronjob+monitoring': [],
};
const all = () => Object.entries(renders) as [string, K8sObject[]][];

beforeAll(async () => {
  renders.dev = await renderOverlay('overlays/dev');
  renders.production = await renderOverlay('overlays/production');
  renders['production+cronjob+monitoring'] = await renderOverlayWith('overlays/production', [
    'generator-cronjob',
    'monitoring',
  ]);
}, 60_000);

const NAME = 'consul-k8s-gitops';
const workloadOf = (objects: K8sObject[], kind: string, component: string): Workload => {
  const w = workloads(objects).find(
    (x) => x.object.kind === kind && x.object.metadata.name === `${NAME}-${component}`,
  );
  if (!w) throw new Error(`${kind} ${NAME}-${component} not rendered`);
  return w;
};
const mainContainer = (w: Workload): Container => w.template.spec.containers[0] as Container;

/** Violations of the Pod Security Standards "restricted" profile (v1.30+), plus our additions. */
function podSecurityViolations(spec: PodSpec): string[] {
  const v: string[] = [];
  const pod = spec.securityContext ?? {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) v.push('host namespaces');
  const allowedVolumes = [
    'configMap',
    'csi',
    'downwardAPI',
    'emptyDir',
    'ephemeral',
    'persistentVolumeClaim',
    'projected',
    'secret',
  ];
  for (const vol of spec.volumes ?? [])
    for (const type of Object.keys(vol).filter((k) => k !== 'name'))
      if (!allowedVolumes.includes(type)) v.push(`volume ${vol.name} of type ${type}`);
  for (const s of pod.sysctls ?? []) v.push(`sysctl ${s.name}`);
  if (pod.runAsUser === 0) v.push('pod runAsUser 0');
  for (const c of allContainers(spec)) {
    const sc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if (sc.privileged) v.push(`${where}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) v.push(`${where}: allowPrivilegeEscalation not false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) v.push(`${where}: capabilities not dropped (ALL)`);
    for (const cap of sc.capabilities?.add ?? [])
      if (cap !== 'NET_BIND_SERVICE') v.push(`${where}: adds ${cap}`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) v.push(`${where}: runAsNonRoot not true`);
    if (sc.runAsUser === 0) v.push(`${where}: runAsUser 0`);
    const seccomp = (sc.seccompProfile ?? pod.seccompProfile)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      v.push(`${where}: seccomp ${seccomp ?? 'unset'}`);
    if (sc.procMount && sc.procMount !== 'Default') v.push(`${where}: procMount ${sc.procMount}`);
    if (field(c, 'ports'))
      for (const p of c.ports ?? []) if (field(p, 'hostPort')) v.push(`${where}: hostPort`);
    // Ours, beyond "restricted":
    if (sc.readOnlyRootFilesystem !== true) v.push(`${where}: root filesystem writable`);
    for (const kind of ['requests', 'limits'] as const)
      for (const resource of ['cpu', 'memory'])
        if (!c.resources?.[kind]?.[resource]) v.push(`${where}: no ${resource} ${kind.slice(0, -1)}`);
  }
  return v;
}

describe('every pod', () => {
  test('meets Pod Security "restricted", with a read-only root filesystem and resource bounds', () => {
    const problems = all().flatMap(([label, objects]) =>
      workloads(objects).flatMap((w) =>
        podSecurityViolations(w.template.spec).map(
          (p) => `${label}: ${w.object.kind}/${w.object.metadata.name}: ${p}`,
        ),
      ),
    );
    expect(problems).toEqual([]);
  });

  test('runs in a namespace that enforces "restricted"', () => {
    for (const [, objects] of all()) {
      const [ns] = ofKind(objects, 'Namespace');
      expect(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    }
  });

  test('has a writable /tmp (HOME) volume and the one image', () => {
    for (const [, objects] of all()) {
      const images = new Set<string>();
      for (const w of workloads(objects))
        for (const c of w.template.spec.containers) {
          images.add(c.image ?? '');
          const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
          const volume = (w.template.spec.volumes ?? []).find((v) => v.name === tmp?.name);
          expect(field(volume, 'emptyDir')).toBeDefined();
        }
      expect(images.size).toBe(1);
    }
    const [productionImage] = workloads(renders.production).map((w) => mainContainer(w).image);
    expect(productionImage).toMatch(/^[^:]+\/consul-k8s-gitops:(?!latest)[\w.-]+$/);
  });

  test('is selected by a NetworkPolicy beyond the namespace default-deny', () => {
    for (const [label, objects] of all()) {
      const policies = ofKind(objects, 'NetworkPolicy');
      const defaultDeny = policies.find(
        (p) =>
          Object.keys(field(p, 'spec', 'podSelector') ?? {}).length === 0 &&
          !field(p, 'spec', 'ingress') &&
          !field(p, 'spec', 'egress'),
      );
      expect(field(defaultDeny, 'spec', 'policyTypes')).toEqual(['Ingress', 'Egress']);
      for (const w of workloads(objects)) {
        const labels = w.template.metadata?.labels ?? {};
        const own = policies.filter((p) => {
          const selector = field<LabelSelector>(p, 'spec', 'podSelector') ?? {};
          const empty =
            Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0;
          return !empty && selects(selector, labels);
        });
        expect({ label, workload: w.object.metadata.name, policies: own.length > 0 }).toEqual({
          label,
          workload: w.object.metadata.name,
          policies: true,
        });
      }
    }
  });
});

describe('RBAC', () => {
  test('has no wildcards and no non-resource URLs', () => {
    for (const [, objects] of all())
      for (const role of [...ofKind(objects, 'ClusterRole'), ...ofKind(objects, 'Role')])
        for (const rule of field<Record<string, string[]>[]>(role, 'rules') ?? []) {
          expect([...(rule.verbs ?? []), ...(rule.resources ?? []), ...(rule.apiGroups ?? [])]).not.toContain(
            '*',
          );
          expect(rule.nonResourceURLs).toBeUndefined();
        }
  });

  test.each(['registrar', 'generator'] as const)(
    'grants the %s exactly what its code declares',
    (component) => {
      const rules = { registrar: registrarRbac, generator: generatorRbac }[component];
      const granted = grantsOf(renders.production, { name: `${NAME}-${component}`, namespace: NAME });
      expect(permissions(granted.cluster)).toEqual(permissions(rules.cluster));
      expect(permissions(granted.namespaced)).toEqual(permissions(rules.namespaced));
      const writeNamespace = 'writeNamespace' in rules ? rules.writeNamespace : [];
      const others = Object.entries(granted.otherNamespaces).map(([ns, r]) => [ns, permissions(r)]);
      const settings = field<Record<string, string>>(
        generatedConfigMap(renders.production, `${NAME}-generator`),
        'data',
      );
      expect(others).toEqual(
        writeNamespace.length > 0 ? [[settings?.GENERATOR_WRITE_NAMESPACE, permissions(writeNamespace)]] : [],
      );
    },
  );

  test('the generator reads Services only in its write namespace, in every overlay and mode', () => {
    for (const [label, objects] of all()) {
      const namespace = ofKind(objects, 'Namespace')[0]?.metadata.name ?? '';
      const granted = grantsOf(objects, { name: `${NAME}-generator`, namespace });
      const writeNamespace = field<string>(
        generatedConfigMap(objects, `${NAME}-generator`),
        'data',
        'GENERATOR_WRITE_NAMESPACE',
      );
      expect({ label, cluster: permissions(granted.cluster) }).toEqual({ label, cluster: [] });
      expect({ label, namespaces: Object.keys(granted.otherNamespaces) }).toEqual({
        label,
        namespaces: [writeNamespace],
      });
    }
  });

  test('Lease access names the Lease each part elects on (create cannot be limited by name)', () => {
    for (const component of ['registrar', 'generator'] as const) {
      const c = mainContainer(workloadOf(renders.production, 'Deployment', component));
      const lease = flagValue(c, '--leader-elect-lease-name');
      const granted = grantsOf(renders.production, { name: `${NAME}-${component}`, namespace: NAME });
      expect(permissions(granted.namespaced)).toEqual([
        'coordination.k8s.io/leases:create',
        `coordination.k8s.io/leases[${lease}]:get`,
        `coordination.k8s.io/leases[${lease}]:update`,
      ]);
    }
  });

  test('the generator cannot write to the cluster beyond its own Lease', () => {
    for (const [, objects] of all()) {
      const granted = grantsOf(objects, { name: `${NAME}-generator`, namespace: NAME });
      const writes = [...permissions(granted.cluster), ...permissions(granted.namespaced)].filter(
        (p) => !/:(get|list|watch)$/.test(p),
      );
      expect(writes.every((p) => p.startsWith('coordination.k8s.io/leases'))).toBe(true);
      expect(permissions(granted.cluster).every((p) => /:(get|list|watch)$/.test(p))).toBe(true);
      // Lease access only through a namespaced Role in its own namespace.
      expect(permissions(granted.cluster).some((p) => p.startsWith('coordination.k8s.io'))).toBe(false);
    }
  });

  test('the webhook has no API access at all', () => {
    const w = workloadOf(renders.production, 'Deployment', 'webhook');
    expect(w.template.spec.automountServiceAccountToken).toBe(false);
    const granted = grantsOf(renders.production, { name: `${NAME}-webhook`, namespace: NAME });
    expect([...granted.cluster, ...granted.namespaced]).toEqual([]);
  });
});

describe('admission webhook', () => {
  // One configuration per install; its name differs per install (collision.test.ts).
  const hookOf = (objects: K8sObject[]) => {
    const [vwc, ...others] = ofKind(objects, 'ValidatingWebhookConfiguration');
    expect(others).toEqual([]);
    return (field<Record<string, unknown>[]>(vwc, 'webhooks') ?? [])[0] ?? {};
  };

  test('is narrow, side-effect free and quick to time out', () => {
    for (const [, objects] of all()) {
      const hook = hookOf(objects);
      expect(hook.admissionReviewVersions).toEqual(['v1']);
      expect(hook.sideEffects).toBe('None');
      expect(hook.timeoutSeconds).toBeLessThanOrEqual(5);
      expect(hook.matchPolicy).toBe('Equivalent');
      expect(hook.rules).toEqual([
        {
          apiGroups: [''],
          apiVersions: ['v1'],
          operations: ['CREATE', 'UPDATE'],
          resources: ['services'],
          scope: 'Namespaced',
        },
      ]);
      expect(field(hook, 'clientConfig', 'service', 'path')).toBe('/validate');
    }
  });

  test('excludes kube-system and its own namespace', () => {
    for (const [, objects] of all()) {
      const own = get(objects, 'Service', `${NAME}-webhook`).metadata.namespace;
      const expressions = field<{ key: string; operator: string; values: string[] }[]>(
        hookOf(objects),
        'namespaceSelector',
        'matchExpressions',
      );
      expect(expressions).toEqual([
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', own] },
      ]);
    }
  });

  // Finding 8: the prefix was compared case-sensitively, so `Consul.hashicorp.com/...` never
  // reached the webhook and its case hint was shown by lint only.
  test('only receives Services that carry a consul.hashicorp.com/ annotation in any case, guarding absent annotations', () => {
    for (const [, objects] of all()) {
      const conditions =
        field<{ name: string; expression: string }[]>(hookOf(objects), 'matchConditions') ?? [];
      expect(conditions).toHaveLength(1);
      const expression = conditions[0]?.expression.replace(/\s+/g, ' ');
      expect(expression).toBe(
        `has(object.metadata.annotations) && object.metadata.annotations.exists(k, k.lowerAscii().startsWith('${ANNOTATION_PREFIX}'))`,
      );
    }
  });

  test('fails closed only where it is highly available', () => {
    expect(hookOf(renders.dev).failurePolicy).toBe('Ignore');
    expect(workloadOf(renders.dev, 'Deployment', 'webhook').object.spec).toMatchObject({ replicas: 1 });
    for (const objects of [renders.production, renders['production+cronjob+monitoring']]) {
      expect(hookOf(objects).failurePolicy).toBe('Fail');
      const w = workloadOf(objects, 'Deployment', 'webhook');
      const replicas = field<number>(w.object, 'spec', 'replicas') ?? 1;
      expect(replicas).toBeGreaterThanOrEqual(3);
      expect(field(w.object, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable')).toBe(0);
      const pdb = ofKind(objects, 'PodDisruptionBudget').find((p) => {
        const match = field<Record<string, string>>(p, 'spec', 'selector', 'matchLabels') ?? {};
        return Object.entries(match).every(([k, v]) => w.template.metadata?.labels?.[k] === v);
      });
      const maxUnavailable = field<number>(pdb, 'spec', 'maxUnavailable');
      const minAvailable = field<number>(pdb, 'spec', 'minAvailable');
      expect(maxUnavailable !== undefined ? replicas - maxUnavailable : minAvailable).toBeGreaterThanOrEqual(
        2,
      );
      const hostSpread = (w.template.spec.topologySpreadConstraints ?? []).find(
        (t) => t.topologyKey === 'kubernetes.io/hostname',
      );
      expect(hostSpread?.whenUnsatisfiable).toBe('DoNotSchedule');
    }
  });

  test('serves HTTPS on the port its Service targets, with HTTPS probes', () => {
    const objects = renders.production;
    const w = workloadOf(objects, 'Deployment', 'webhook');
    const c = mainContainer(w);
    const service = get(objects, 'Service', `${NAME}-webhook`);
    const [servicePort] =
      field<{ port: number; targetPort: string | number }[]>(service, 'spec', 'ports') ?? [];
    expect(servicePort?.port).toBe(443);
    expect(
      field(
        get(objects, 'ValidatingWebhookConfiguration', NAME),
        'webhooks',
        0,
        'clientConfig',
        'service',
        'port',
      ),
    ).toBe(443);
    const containerPort = (c.ports ?? []).find(
      (p) => p.name === servicePort?.targetPort || p.containerPort === servicePort?.targetPort,
    );
    expect(String(containerPort?.containerPort)).toBe(flagValue(c, '--port'));
    expect(c.readinessProbe?.httpGet).toMatchObject({ path: '/readyz', scheme: 'HTTPS' });
    expect(c.livenessProbe?.httpGet).toMatchObject({ path: '/livez', scheme: 'HTTPS' });
  });

  test('mounts the cert-manager serving certificate whose CA is injected', () => {
    const objects = renders.production;
    const vwc = get(objects, 'ValidatingWebhookConfiguration', NAME);
    const certName = vwc.metadata.annotations?.['cert-manager.io/inject-ca-from']?.split('/')[1] ?? '';
    const cert = get(objects, 'Certificate', certName);
    const secretName = field<string>(cert, 'spec', 'secretName');
    const w = workloadOf(objects, 'Deployment', 'webhook');
    const volume = (w.template.spec.volumes ?? []).find(
      (v) => field(v, 'secret', 'secretName') === secretName,
    );
    const mount = mainContainer(w).volumeMounts?.find((m) => m.name === volume?.name);
    expect(mount?.subPath).toBeUndefined(); // subPath mounts never see renewals
    expect(flagValue(mainContainer(w), '--tls-cert-file')).toBe(`${mount?.mountPath}/tls.crt`);
    expect(flagValue(mainContainer(w), '--tls-private-key-file')).toBe(`${mount?.mountPath}/tls.key`);
    const service = get(objects, 'Service', `${NAME}-webhook`);
    expect(field(cert, 'spec', 'dnsNames')).toContain(
      `${service.metadata.name}.${service.metadata.namespace}.svc`,
    );
    // The injected CA is a long-lived CA's, not the leaf's: leaf renewals never change trust.
    const issuer = get(objects, 'Issuer', field<string>(cert, 'spec', 'issuerRef', 'name') ?? '');
    expect(field(issuer, 'spec', 'ca', 'secretName')).toBeDefined();
  });

  test('keeps serving through termination: preStop delay matches --shutdown-delay', () => {
    for (const [, objects] of all()) {
      const w = workloadOf(objects, 'Deployment', 'webhook');
      const c = mainContainer(w);
      const shutdownDelay = durationSeconds(flagValue(c, '--shutdown-delay') ?? '');
      const preStop = c.lifecycle?.preStop?.sleep?.seconds;
      expect(preStop).toBe(shutdownDelay);
      expect(w.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
        (preStop ?? 0) + shutdownDelay + 10,
      );
    }
  });
});

describe('registrar', () => {
  test('runs two replicas with leader election on a Lease in its own namespace', () => {
    const w = workloadOf(renders.production, 'Deployment', 'registrar');
    expect(field(w.object, 'spec', 'replicas')).toBe(2);
    const c = mainContainer(w);
    expect(flagValue(c, '--leader-elect')).toBe('true');
    expect(flagValue(c, '--leader-elect-lease-namespace')).toBe('$(POD_NAMESPACE)');
    expect(c.env?.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe(
      'metadata.namespace',
    );
  });

  test('reads the Consul token and CA as files from its Secret', () => {
    const objects = renders.production;
    const w = workloadOf(objects, 'Deployment', 'registrar');
    const c = mainContainer(w);
    const consulEnv =
      field<Record<string, string>>(
        get(objects, 'ConfigMap', c.envFrom?.[0]?.configMapRef?.name ?? ''),
        'data',
      ) ?? {};
    const mount = c.volumeMounts?.find((m) =>
      consulEnv.CONSUL_HTTP_TOKEN_FILE?.startsWith(`${m.mountPath}/`),
    );
    const volume = (w.template.spec.volumes ?? []).find((v) => v.name === mount?.name);
    expect(field(volume, 'secret', 'secretName')).toBe(`${NAME}-registrar-consul`);
    expect(consulEnv.CONSUL_CACERT).toBe(`${mount?.mountPath}/ca.crt`);
    expect(consulEnv.CONSUL_HTTP_ADDR).toMatch(/^https:\/\//);
    // The token never sits in the environment or the manifests.
    expect(JSON.stringify(objects)).not.toMatch(/CONSUL_HTTP_TOKEN"/);
  });
});

describe('generator', () => {
  test('watch mode: a Deployment with --watch and leader election, no CronJob', () => {
    const objects = renders.production;
    const c = mainContainer(workloadOf(objects, 'Deployment', 'generator'));
    expect(c.args?.[0]).toBe('generate');
    expect(flagValue(c, '--watch')).toBe('true');
    expect(flagValue(c, '--leader-elect')).toBe('true');
    expect(find(objects, 'CronJob', `${NAME}-generator`)).toBeUndefined();
  });

  test('scheduled mode replaces the Deployment with a non-overlapping --once CronJob', () => {
    const objects = renders['production+cronjob+monitoring'];
    expect(find(objects, 'Deployment', `${NAME}-generator`)).toBeUndefined();
    const cron = workloadOf(objects, 'CronJob', 'generator');
    expect(field(cron.object, 'spec', 'concurrencyPolicy')).toBe('Forbid');
    const c = mainContainer(cron);
    expect(flagValue(c, '--once')).toBe('true');
    expect(flagValue(c, '--watch')).toBeUndefined();
    expect(flagValue(c, '--leader-elect')).toBeUndefined();
    // No Lease needed, so no Lease access either.
    const granted = grantsOf(objects, { name: `${NAME}-generator`, namespace: NAME });
    expect(granted.namespaced).toEqual([]);
  });

  test('takes its Git credentials from a Secret mounted as files', () => {
    for (const objects of [renders.production, renders['production+cronjob+monitoring']]) {
      const w = workloads(objects).find((x) => x.object.metadata.name === `${NAME}-generator`) as Workload;
      const gitVolume = (w.template.spec.volumes ?? []).find(
        (v) => field(v, 'secret', 'secretName') === `${NAME}-generator-git`,
      );
      const mount = mainContainer(w).volumeMounts?.find((m) => m.name === gitVolume?.name);
      expect(mount).toBeDefined();
      const credentialFiles = (mainContainer(w).args ?? []).filter((a) =>
        /^--(git|forge)-[a-z-]*-file=/.test(a),
      );
      expect(credentialFiles.length).toBeGreaterThan(0);
      for (const arg of credentialFiles)
        expect(arg.split('=')[1]?.startsWith(`${mount?.mountPath}/`)).toBe(true);
      // Never a credential in the environment of the manifests.
      expect((mainContainer(w).env ?? []).filter((e) => /TOKEN|PASSWORD|KEY/.test(e.name))).toEqual([]);
    }
  });
});

test('monitoring: a ServiceMonitor per rendered metrics Service', () => {
  const objects = renders['production+cronjob+monitoring'];
  for (const sm of ofKind(objects, 'ServiceMonitor')) {
    const selector = field<Record<string, string>>(sm, 'spec', 'selector', 'matchLabels') ?? {};
    const services = ofKind(objects, 'Service').filter((s) =>
      Object.entries(selector).every(([k, v]) => s.metadata.labels?.[k] === v),
    );
    // The CronJob variant has no generator Service: its monitor then selects nothing, harmlessly.
    if (sm.metadata.name === `${NAME}-generator`) expect(services).toHaveLength(0);
    else expect(services).toHaveLength(1);
  }
});
