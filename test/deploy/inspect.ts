/** Typed views over rendered objects: workloads, pod specs, containers, flags, RBAC rules. */
import type { K8sObject } from './render';

export interface Container {
  name: string;
  image?: string;
  args?: string[];
  command?: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: Record<string, { name?: string; key?: string; fieldPath?: string }>;
  }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  securityContext?: SecurityContext;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: unknown } };
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}

interface Probe {
  httpGet?: { path: string; port: number | string; scheme?: string };
}

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
  procMount?: string;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  securityContext?: SecurityContext & { sysctls?: { name: string }[] };
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  volumes?: ({ name: string } & Record<string, unknown>)[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string; labelSelector?: unknown }[];
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

export interface Workload {
  object: K8sObject;
  namespace: string;
  template: PodTemplate;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export const ofKind = (objects: readonly K8sObject[], kind: string): K8sObject[] =>
  objects.filter((o) => o.kind === kind);

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

export function get(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = find(objects, kind, name);
  if (!found) throw new Error(`${kind}/${name} is not in the rendered output`);
  return found;
}

/** A ConfigMap from a configMapGenerator: `name` plus kustomize's hash suffix (or without). */
export function generatedConfigMap(objects: readonly K8sObject[], name: string): K8sObject | undefined {
  return objects.find(
    (o) => o.kind === 'ConfigMap' && new RegExp(`^${name}(-[a-z0-9]{10})?$`).test(o.metadata.name),
  );
}

/** Reads a nested field by path; undefined when any step is missing. */
export function field<T = unknown>(value: unknown, ...steps: (string | number)[]): T | undefined {
  let current: unknown = value;
  for (const step of steps) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current as T | undefined;
}

/** Every pod-owning object with its pod template (Deployment, CronJob, Job, ...). */
export function workloads(objects: readonly K8sObject[]): Workload[] {
  const result: Workload[] = [];
  for (const object of objects) {
    const template =
      object.kind === 'CronJob'
        ? field<PodTemplate>(object, 'spec', 'jobTemplate', 'spec', 'template')
        : ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(object.kind)
          ? field<PodTemplate>(object, 'spec', 'template')
          : object.kind === 'Pod'
            ? { metadata: object.metadata, spec: object.spec as PodSpec }
            : undefined;
    if (template) result.push({ object, namespace: object.metadata.namespace ?? '', template });
  }
  return result;
}

export const allContainers = (spec: PodSpec): Container[] => [
  ...(spec.initContainers ?? []),
  ...spec.containers,
  ...(spec.ephemeralContainers ?? []),
];

/** `--name=value` / `--name` → [name, value | undefined]; anything else is an operand. */
function splitFlag(arg: string): { flag: string; value: string | undefined } | undefined {
  if (!arg.startsWith('--')) return undefined;
  const eq = arg.indexOf('=');
  return eq === -1 ? { flag: arg, value: undefined } : { flag: arg.slice(0, eq), value: arg.slice(eq + 1) };
}

/** The last value given for `--flag` in a container's args. */
export function flagValue(container: Container, flag: string): string | undefined {
  let value: string | undefined;
  for (const arg of container.args ?? []) {
    const parsed = splitFlag(arg);
    if (parsed?.flag === flag) value = parsed.value ?? 'true';
  }
  return value;
}

/** Go-style duration (`5s`, `1m30s`, `250ms`) in seconds. */
export function durationSeconds(text: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new Error(`not a duration: "${text}"`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] as string] as number), 0);
}

/** Flattens rules to sorted `group/resource:verb` permissions (resourceNames kept when set). */
export function permissions(rules: readonly PolicyRule[]): string[] {
  const out = new Set<string>();
  for (const rule of rules)
    for (const group of rule.apiGroups ?? [''])
      for (const resource of rule.resources ?? [])
        for (const verb of rule.verbs) {
          const names = rule.resourceNames?.length ? `[${[...rule.resourceNames].sort().join(',')}]` : '';
          out.add(`${group === '' ? 'core' : group}/${resource}${names}:${verb}`);
        }
  return [...out].sort();
}

/**
 * The rules granted to a ServiceAccount through the bindings in `objects`: cluster-wide, in its
 * own namespace, and per other namespace (e.g. the generator's write namespace).
 */
export function grantsOf(
  objects: readonly K8sObject[],
  serviceAccount: { name: string; namespace: string },
): { cluster: PolicyRule[]; namespaced: PolicyRule[]; otherNamespaces: Record<string, PolicyRule[]> } {
  const cluster: PolicyRule[] = [];
  const namespaced: PolicyRule[] = [];
  const otherNamespaces: Record<string, PolicyRule[]> = {};
  for (const binding of objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')) {
    const subjects = field<{ kind: string; name: string; namespace?: string }[]>(binding, 'subjects') ?? [];
    const bound = subjects.some(
      (s) =>
        s.kind === 'ServiceAccount' &&
        s.name === serviceAccount.name &&
        s.namespace === serviceAccount.namespace,
    );
    if (!bound) continue;
    const roleRef = field<{ kind: string; name: string }>(binding, 'roleRef');
    if (!roleRef) continue;
    const role = objects.find(
      (o) =>
        o.kind === roleRef.kind &&
        o.metadata.name === roleRef.name &&
        (roleRef.kind === 'ClusterRole' || o.metadata.namespace === binding.metadata.namespace),
    );
    const rules = field<PolicyRule[]>(role, 'rules') ?? [];
    const ns = binding.metadata.namespace ?? '';
    if (binding.kind === 'ClusterRoleBinding') cluster.push(...rules);
    else if (ns === serviceAccount.namespace) namespaced.push(...rules);
    else (otherNamespaces[ns] ??= []).push(...rules);
  }
  return { cluster, namespaced, otherNamespaces };
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

/** Kubernetes label-selector semantics (an empty selector selects everything). */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  const exprs = selector?.matchExpressions ?? [];
  return (
    Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
    exprs.every((e) => {
      const has = Object.hasOwn(labels, e.key);
      const value = labels[e.key] ?? '';
      switch (e.operator) {
        case 'In':
          return has && (e.values ?? []).includes(value);
        case 'NotIn':
          return !has || !(e.values ?? []).includes(value);
        case 'Exists':
          return has;
        case 'DoesNotExist':
          return !has;
      }
    })
  );
}
