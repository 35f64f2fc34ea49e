/**
 * What the registrar's informer caches keep of each object: the fields desired state, the
 * annotation rules and Events read, and the ones the cache itself needs (name, namespace,
 * resourceVersion). managedFields, the last-applied-configuration annotation, owner references
 * and unread spec fields are dropped on arrival: in a cluster they are most of an object's weight
 * (see BENCHMARKS.md, registrar RSS). Pure; one function per kind the registrar watches.
 */
import type { V1Endpoint, V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';

/** kubectl's client-side apply copy of the whole manifest: never read, often the largest field. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

type Metadata = NonNullable<V1Service['metadata']>;

/** Copies only the defined values of `keys`, so absent fields cost nothing in the cache. */
function pick<T extends object, K extends keyof T>(
  source: T | undefined | null,
  keys: readonly K[],
): Pick<T, K> {
  const out = {} as Pick<T, K>;
  if (!source) return out;
  for (const key of keys) if (source[key] !== undefined && source[key] !== null) out[key] = source[key];
  return out;
}

function slimMetadata(metadata: Metadata | undefined, keepAnnotations: boolean): Metadata {
  const out: Metadata = pick(metadata, ['name', 'namespace', 'uid', 'resourceVersion', 'labels']);
  if (keepAnnotations && metadata?.annotations) {
    const { [LAST_APPLIED_ANNOTATION]: _lastApplied, ...annotations } = metadata.annotations;
    out.annotations = annotations;
  }
  return out;
}

export function slimService(service: V1Service): V1Service {
  const out: V1Service = { metadata: slimMetadata(service.metadata, true) };
  if (service.spec) {
    out.spec = pick(service.spec, ['type', 'externalIPs', 'externalName']);
    if (service.spec.ports) {
      out.spec.ports = service.spec.ports.map((port) =>
        pick(port, ['name', 'port', 'targetPort', 'nodePort', 'protocol']),
      );
    }
  }
  const ingress = service.status?.loadBalancer?.ingress;
  if (ingress)
    out.status = { loadBalancer: { ingress: ingress.map((entry) => pick(entry, ['ip', 'hostname'])) } };
  return out;
}

export function slimEndpointSlice(slice: V1EndpointSlice): V1EndpointSlice {
  const out: V1EndpointSlice = {
    addressType: slice.addressType,
    metadata: slimMetadata(slice.metadata, false),
    endpoints: (slice.endpoints ?? []).map((endpoint) => {
      const slim: V1Endpoint = pick(endpoint, ['addresses', 'hostname', 'nodeName', 'zone']);
      if (endpoint.conditions)
        slim.conditions = pick(endpoint.conditions, ['ready', 'serving', 'terminating']);
      if (endpoint.targetRef) slim.targetRef = pick(endpoint.targetRef, ['kind', 'name']);
      return slim;
    }),
  };
  if (slice.ports) out.ports = slice.ports.map((port) => pick(port, ['name', 'port', 'protocol']));
  return out;
}

export function slimNode(node: V1Node): V1Node {
  const out: V1Node = { metadata: slimMetadata(node.metadata, false) };
  const addresses = node.status?.addresses;
  if (addresses) out.status = { addresses: addresses.map((address) => pick(address, ['type', 'address'])) };
  return out;
}
