/**
 * The fields of one Consul instance beyond its address and port, pure: its deterministic ID, its
 * meta (built-in, annotation and ownership keys, and per endpoint its target, Node and zone), its
 * readiness check and its weights. consul-k8s's layout (control-plane/catalog/to-consul/resource.go).
 */
import { createHash } from 'node:crypto';
import type { ServiceLike, SyncIntent } from '../core/annotations/types';
import {
  EXTERNAL_SOURCE_KUBERNETES,
  META_EXTERNAL_SOURCE,
  META_K8S_CLUSTER_ID,
  META_K8S_NAMESPACE,
  META_K8S_NODE_NAME,
  META_K8S_REF_KIND,
  META_K8S_REF_NAME,
  META_K8S_TOPOLOGY_ZONE,
  META_PORT_PREFIX,
} from '../core/consul/meta';
import {
  type InstanceWeights,
  READINESS_CRITICAL_OUTPUT,
  READINESS_PASSING_OUTPUT,
  type ReadinessCheck,
} from './catalog';
import type { EndpointLike } from './kube-objects';

/**
 * Deterministic instance ID: readable Consul name and cluster, then a hash of everything that
 * makes the instance unique (cluster, Kubernetes namespace and name, address), so two clusters,
 * or two Kubernetes Services mapped to one Consul name, never produce the same ID.
 */
export function instanceId(
  clusterId: string,
  service: ServiceLike,
  consulName: string,
  address: string,
): string {
  const key = [
    clusterId,
    service.metadata?.namespace ?? '',
    service.metadata?.name ?? '',
    consulName,
    address,
  ];
  const digest = createHash('sha1').update(key.join('\u0000')).digest('hex').slice(0, 12);
  return `${consulName}-${clusterId}-${digest}`;
}

/**
 * The meta every instance of a Service carries: built-in keys (ownership, namespace, one
 * `port-<name>` per Service port), then the annotation meta, then the ownership keys again so
 * nothing overrides them.
 */
export function serviceMeta(
  service: ServiceLike,
  clusterId: string,
  annotationMeta: SyncIntent['meta'],
): Record<string, string> {
  const ownership = {
    [META_EXTERNAL_SOURCE]: EXTERNAL_SOURCE_KUBERNETES,
    [META_K8S_NAMESPACE]: service.metadata?.namespace ?? '',
    [META_K8S_CLUSTER_ID]: clusterId,
  };
  const meta: Record<string, string> = { ...ownership };
  for (const port of service.spec?.ports ?? [])
    meta[`${META_PORT_PREFIX}${port.name ?? ''}`] = String(port.port ?? 0);
  return { ...meta, ...annotationMeta, ...ownership };
}

/** The readiness check of an endpoint-based instance, as consul-k8s builds it. */
export function readinessCheck(namespace: string, id: string, ready: boolean): ReadinessCheck {
  return {
    id: `${namespace}/${id}`,
    status: ready ? 'passing' : 'critical',
    output: ready ? READINESS_PASSING_OUTPUT : READINESS_CRITICAL_OUTPUT,
  };
}

/** The Service meta plus what the endpoint adds: its target, Node and zone. */
export function endpointMeta(base: Record<string, string>, endpoint: EndpointLike): Record<string, string> {
  const meta = { ...base };
  if (endpoint.targetRef) {
    meta[META_K8S_REF_NAME] = endpoint.targetRef.name ?? '';
    meta[META_K8S_REF_KIND] = endpoint.targetRef.kind ?? '';
  }
  if (endpoint.nodeName) meta[META_K8S_NODE_NAME] = endpoint.nodeName;
  if (endpoint.zone) meta[META_K8S_TOPOLOGY_ZONE] = endpoint.zone;
  return meta;
}

/** Weights for the `service-weight` annotation (warning stays Consul's default, 1). */
export function weightsFor(passing: number): InstanceWeights {
  return { passing, warning: 1 };
}
