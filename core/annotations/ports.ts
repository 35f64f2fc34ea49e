/**
 * Which port consul-k8s registers for a Service (control-plane/catalog/to-consul/resource.go:
 * `generateRegistrations` for the Service-level port, `registerServiceInstance` for endpoint
 * instances). One rule for the registrar, which registers these ports, and for the annotation
 * checks, whose messages say which port consul-k8s semantics give.
 */
import { serviceType } from './sync-settings';
import type { PortChoice, ServiceLike } from './types';

/** What Kubernetes accepts as a Service port name (a DNS-1123 label); a value like this may name a port. */
export const PORT_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A port of an EndpointSlice (discovery/v1 EndpointPort). */
export interface SlicePortLike {
  name?: string;
  port?: number;
}

interface PortFields {
  name?: unknown;
  port?: unknown;
  targetPort?: unknown;
  nodePort?: unknown;
}

const numberOr0 = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** The Service's ports that are objects (anything else in `spec.ports` is skipped). */
export function servicePorts(service: ServiceLike): PortFields[] {
  const ports: unknown = service?.spec?.ports;
  return Array.isArray(ports) ? ports.filter((p): p is PortFields => !!p && typeof p === 'object') : [];
}

/**
 * The Service-level port (external IPs, load-balancer ingress, NodePort instances): the annotated
 * number; else the Service port of the annotated name, else the first Service port (an unknown
 * name counts as none); for a NodePort Service, that port's node port when it has one. 0 without
 * ports.
 */
export function servicePortNumber(service: ServiceLike, choice: PortChoice | undefined): number {
  if (choice?.kind === 'number') return choice.number;
  const ports = servicePorts(service);
  const named = choice?.kind === 'name' ? ports.find((p) => p.name === choice.name) : undefined;
  const chosen = named ?? ports[0];
  if (!chosen) return 0;
  const nodePort = numberOr0(chosen.nodePort);
  if (serviceType(service) === 'NodePort' && nodePort > 0) return nodePort;
  return numberOr0(chosen.port);
}

/**
 * The port of the instances made from one EndpointSlice (ClusterIP, LoadBalancer synced by
 * endpoints): the annotated number; for an annotated name, the slice port of that name, else the
 * Service-level port (so an unknown name gives the first Service port, not an endpoint port);
 * without an annotation, the slice's first port, else the Service-level port.
 */
export function endpointPortNumber(
  service: ServiceLike,
  choice: PortChoice | undefined,
  slicePorts: readonly SlicePortLike[],
): number {
  if (choice?.kind === 'number') return choice.number;
  const match = choice?.kind === 'name' ? slicePorts.find((p) => p.name === choice.name) : slicePorts[0];
  return match?.port ?? servicePortNumber(service, choice);
}
