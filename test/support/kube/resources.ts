import { badRequest, invalid, type StatusError } from './status';
import { POLICY_REPORTS } from './policy-reports';

/**
 * The resource types the double serves, with the defaulting and validation the real API server
 * applies to them (as far as our components can observe). Adding a type is one entry here.
 */
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

export interface ResourceType {
  plural: string;
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
  /** Has a `/status` subresource: the main endpoint then ignores status changes. */
  hasStatus: boolean;
  /** Field selectors the server accepts for this type. */
  fieldSelectors: readonly string[];
  /** Fills server-side defaults on create; throws a StatusError for invalid objects. */
  onCreate?: (obj: KubeObject, allocate: Allocator) => void;
  /** Same on update; `old` is the stored object. */
  onUpdate?: (obj: KubeObject, old: KubeObject, allocate: Allocator) => void;
}

export interface Allocator {
  clusterIP(): string;
  nodePort(): number;
}

export const apiVersionOf = (r: ResourceType): string => (r.group ? `${r.group}/${r.version}` : r.version);

const METADATA_FIELDS = ['metadata.name', 'metadata.namespace'] as const;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
// metav1.MicroTime is serialised with exactly six fractional digits; Go refuses anything else.
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};

export function validateName(resource: ResourceType, name: string): StatusError | undefined {
  const isService = resource.plural === 'services';
  const ok = isService
    ? DNS1035_LABEL.test(name) && name.length <= 63
    : DNS1123_SUBDOMAIN.test(name) && name.length <= 253;
  if (ok) return undefined;
  const rule = isService
    ? "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"
    : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  return invalid(resource.kind, resource.group, name, [
    { field: 'metadata.name', message: `Invalid value: "${name}": ${rule}` },
  ]);
}

function serviceDefaults(obj: KubeObject, allocate: Allocator, old?: KubeObject): void {
  const name = obj.metadata?.name ?? '';
  const spec = asObj(obj.spec);
  obj.spec = spec;
  spec.type ??= 'ClusterIP';
  const type = spec.type;
  const errors: Array<{ field: string; message: string }> = [];
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(String(type))) {
    errors.push({ field: 'spec.type', message: `Unsupported value: "${String(type)}"` });
  }
  const ports = Array.isArray(spec.ports) ? (spec.ports as Obj[]) : [];
  const oldSpec = asObj(old?.spec);
  if (type === 'ExternalName') {
    if (typeof spec.externalName !== 'string' || spec.externalName === '')
      errors.push({ field: 'spec.externalName', message: 'Required value' });
    delete spec.clusterIP;
    delete spec.clusterIPs;
  } else {
    if (old && spec.clusterIP === undefined && oldSpec.clusterIP !== undefined)
      spec.clusterIP = oldSpec.clusterIP;
    if (old && oldSpec.clusterIP && oldSpec.type !== 'ExternalName' && spec.clusterIP !== oldSpec.clusterIP) {
      errors.push({
        field: 'spec.clusterIP',
        message: `Invalid value: "${String(spec.clusterIP)}": field is immutable`,
      });
    }
    if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = allocate.clusterIP();
    spec.clusterIPs = [spec.clusterIP];
    if (spec.clusterIP !== 'None' && ports.length === 0)
      errors.push({ field: 'spec.ports', message: 'Required value' });
  }
  const oldPorts = Array.isArray(oldSpec.ports) ? (oldSpec.ports as Obj[]) : [];
  ports.forEach((port, i) => {
    const number = port.port;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 65535) {
      errors.push({
        field: `spec.ports[${i}].port`,
        message: `Invalid value: ${JSON.stringify(number)}: must be between 1 and 65535, inclusive`,
      });
    }
    port.protocol ??= 'TCP';
    if (type !== 'ExternalName') port.targetPort ??= number;
    if (type === 'NodePort' || type === 'LoadBalancer') {
      const previous = oldPorts.find((p) => p.port === number && p.protocol === port.protocol)?.nodePort;
      port.nodePort ??= previous ?? allocate.nodePort();
    } else {
      delete port.nodePort;
    }
  });
  if (ports.length > 1 && ports.some((p) => !p.name))
    errors.push({ field: 'spec.ports[0].name', message: 'Required value' });
  spec.sessionAffinity ??= 'None';
  obj.status ??= { loadBalancer: {} };
  if (errors.length) throw invalid('Service', '', name, errors);
}

function leaseValidation(obj: KubeObject): void {
  const spec = asObj(obj.spec);
  for (const field of ['acquireTime', 'renewTime'] as const) {
    const value = spec[field];
    if (value !== undefined && value !== null && (typeof value !== 'string' || !MICRO_TIME.test(value))) {
      throw badRequest(
        `Lease in version "v1" cannot be handled as a Lease: parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05.000000Z07:00": spec.${field} must be a MicroTime`,
      );
    }
  }
  const duration = spec.leaseDurationSeconds;
  if (
    duration !== undefined &&
    (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 1)
  ) {
    throw invalid('Lease', 'coordination.k8s.io', obj.metadata?.name ?? '', [
      {
        field: 'spec.leaseDurationSeconds',
        message: `Invalid value: ${JSON.stringify(duration)}: must be greater than 0`,
      },
    ]);
  }
}

function eventValidation(obj: KubeObject): void {
  const involved = asObj(obj.involvedObject);
  const namespace = obj.metadata?.namespace;
  if (
    typeof involved.namespace === 'string' &&
    involved.namespace !== '' &&
    involved.namespace !== namespace
  ) {
    throw invalid('Event', '', obj.metadata?.name ?? '', [
      {
        field: 'involvedObject.namespace',
        message: `Invalid value: "${involved.namespace}": does not match event.namespace`,
      },
    ]);
  }
}

function endpointSliceValidation(obj: KubeObject): void {
  const name = obj.metadata?.name ?? '';
  if (!['IPv4', 'IPv6', 'FQDN'].includes(String(obj.addressType))) {
    throw invalid('EndpointSlice', 'discovery.k8s.io', name, [
      { field: 'addressType', message: `Unsupported value: ${JSON.stringify(obj.addressType)}` },
    ]);
  }
  const endpoints = Array.isArray(obj.endpoints) ? (obj.endpoints as Obj[]) : [];
  endpoints.forEach((endpoint, i) => {
    if (!Array.isArray(endpoint.addresses) || endpoint.addresses.length === 0) {
      throw invalid('EndpointSlice', 'discovery.k8s.io', name, [
        { field: `endpoints[${i}].addresses`, message: 'Required value' },
      ]);
    }
  });
  obj.endpoints = endpoints;
}

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];

/** networking/validation.ValidateIngressSpec, the parts a test can trip over. */
function ingressValidation(obj: KubeObject): void {
  const spec = asObj(obj.spec);
  const errors: Array<{ field: string; message: string }> = [];
  const backendErrors = (backend: Obj, where: string) => {
    const service = backend.service === undefined ? undefined : asObj(backend.service);
    if (service && backend.resource !== undefined)
      errors.push({
        field: where,
        message: 'Invalid value: "": cannot set both service and resource backends',
      });
    else if (!service && backend.resource === undefined)
      errors.push({ field: where, message: 'Invalid value: "": one backend type must be specified' });
    if (service && (typeof service.name !== 'string' || service.name === ''))
      errors.push({ field: `${where}.service.name`, message: 'Required value' });
    const port = service ? asObj(service.port) : {};
    if (service && port.name === undefined && port.number === undefined)
      errors.push({
        field: `${where}.service.port`,
        message: 'Invalid value: "": port name or number is required',
      });
  };
  const rules = Array.isArray(spec.rules) ? (spec.rules as Obj[]) : [];
  if (rules.length === 0 && spec.defaultBackend === undefined)
    errors.push({
      field: 'spec',
      message: 'Invalid value: "": either `defaultBackend` or `rules` must be specified',
    });
  if (spec.defaultBackend !== undefined) backendErrors(asObj(spec.defaultBackend), 'spec.defaultBackend');
  rules.forEach((rule, i) => {
    if (rule.http === undefined) return;
    const paths = Array.isArray(asObj(rule.http).paths) ? (asObj(rule.http).paths as Obj[]) : [];
    if (paths.length === 0) errors.push({ field: `spec.rules[${i}].http.paths`, message: 'Required value' });
    paths.forEach((path, j) => {
      const where = `spec.rules[${i}].http.paths[${j}]`;
      if (path.pathType === undefined) errors.push({ field: `${where}.pathType`, message: 'Required value' });
      else if (!PATH_TYPES.includes(String(path.pathType)))
        errors.push({
          field: `${where}.pathType`,
          message: `Unsupported value: ${JSON.stringify(path.pathType)}: supported values: "${PATH_TYPES.join('", "')}"`,
        });
      else if (path.pathType !== 'ImplementationSpecific' && !String(path.path ?? '').startsWith('/'))
        errors.push({
          field: `${where}.path`,
          message: `Invalid value: ${JSON.stringify(path.path ?? '')}: must be an absolute path`,
        });
      backendErrors(asObj(path.backend), `${where}.backend`);
    });
  });
  obj.status ??= { loadBalancer: {} };
  if (errors.length) throw invalid('Ingress', 'networking.k8s.io', obj.metadata?.name ?? '', errors);
}

export const RESOURCES: readonly ResourceType[] = [
  {
    plural: 'services',
    group: '',
    version: 'v1',
    kind: 'Service',
    namespaced: true,
    hasStatus: true,
    fieldSelectors: METADATA_FIELDS,
    onCreate: (obj, allocate) => serviceDefaults(obj, allocate),
    onUpdate: (obj, old, allocate) => serviceDefaults(obj, allocate, old),
  },
  {
    plural: 'nodes',
    group: '',
    version: 'v1',
    kind: 'Node',
    namespaced: false,
    hasStatus: true,
    fieldSelectors: METADATA_FIELDS,
  },
  {
    plural: 'namespaces',
    group: '',
    version: 'v1',
    kind: 'Namespace',
    namespaced: false,
    hasStatus: true,
    fieldSelectors: [...METADATA_FIELDS, 'status.phase'],
    onCreate: (obj) => {
      obj.spec = { finalizers: ['kubernetes'], ...asObj(obj.spec) };
      obj.status = { phase: 'Active' };
    },
  },
  {
    plural: 'events',
    group: '',
    version: 'v1',
    kind: 'Event',
    namespaced: true,
    hasStatus: false,
    fieldSelectors: [
      ...METADATA_FIELDS,
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'reason',
      'type',
    ],
    onCreate: eventValidation,
    onUpdate: eventValidation,
  },
  {
    plural: 'endpointslices',
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    namespaced: true,
    hasStatus: false,
    fieldSelectors: METADATA_FIELDS,
    onCreate: endpointSliceValidation,
    onUpdate: endpointSliceValidation,
  },
  {
    plural: 'ingresses',
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'Ingress',
    namespaced: true,
    hasStatus: true,
    fieldSelectors: METADATA_FIELDS,
    onCreate: ingressValidation,
    onUpdate: ingressValidation,
  },
  {
    plural: 'leases',
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    namespaced: true,
    hasStatus: false,
    fieldSelectors: METADATA_FIELDS,
    onCreate: leaseValidation,
    onUpdate: leaseValidation,
  },
  POLICY_REPORTS,
];

/** Finds a resource type by plural (`services`), kind (`Service`) or `kind` + apiVersion. */
export function findResource(plural: string, group?: string): ResourceType | undefined {
  return RESOURCES.find((r) => r.plural === plural && (group === undefined || r.group === group));
}

export function resourceOfObject(obj: KubeObject): ResourceType | undefined {
  return RESOURCES.find(
    (r) => r.kind === obj.kind && (obj.apiVersion === undefined || apiVersionOf(r) === obj.apiVersion),
  );
}
