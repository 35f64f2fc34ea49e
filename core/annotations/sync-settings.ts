/**
 * Which Services the registrar's settings allow to sync, and which instances honour weights.
 * Shared by the registrar (to decide) and the annotation rules (to warn), so they cannot disagree.
 */
import type { ServiceLike, SyncSettings } from './types';

export const DEFAULT_SYNC_SETTINGS: SyncSettings = {
  defaultSync: true,
  allowNamespaces: ['*'],
  denyNamespaces: ['kube-system', 'kube-public'],
  syncClusterIPServices: true,
  syncLoadBalancerEndpoints: false,
};

/** Deny wins over allow; `*` in the allow list allows every namespace. */
export function isNamespaceAllowed(namespace: string, settings: SyncSettings): boolean {
  if (settings.denyNamespaces.includes(namespace)) return false;
  return settings.allowNamespaces.includes('*') || settings.allowNamespaces.includes(namespace);
}

/** The Service type, defaulted as the API server does. */
export function serviceType(service: ServiceLike): string {
  const type: unknown = service?.spec?.type;
  return typeof type === 'string' && type !== '' ? type : 'ClusterIP';
}

function hasExternalIPs(service: ServiceLike): boolean {
  const ips: unknown = service?.spec?.externalIPs;
  return Array.isArray(ips) && ips.length > 0;
}

/**
 * Endpoint-based instances (ClusterIP, NodePort, LoadBalancer synced by endpoints) come from
 * EndpointSlices; the others from external IPs (any type, they win) or LoadBalancer ingress.
 */
export function isEndpointBased(
  service: ServiceLike,
  settings: Pick<SyncSettings, 'syncLoadBalancerEndpoints'>,
): boolean {
  if (hasExternalIPs(service)) return false;
  return serviceType(service) !== 'LoadBalancer' || settings.syncLoadBalancerEndpoints;
}

/** Weights apply to instances made from external IPs and LoadBalancer ingress, not to endpoints. */
export function weightApplies(
  service: ServiceLike,
  settings: Pick<SyncSettings, 'syncLoadBalancerEndpoints'>,
): boolean {
  return !isEndpointBased(service, settings);
}
