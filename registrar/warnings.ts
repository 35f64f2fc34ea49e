/**
 * The Warning Events the registrar puts on Services: what they say and whom they are about. Pure;
 * the reconciler sends them through a rate-limited recorder.
 */
import { CONSUL_K8S_READINGS } from '../core/annotations';
import type { Finding } from '../core/annotations/types';
import { missingPermission } from '../core/consul';
import type { InvolvedObject } from '../core/kube/event-object';
import type { RefusalCause } from './apply';
import type { Op } from './diff';
import type { ServiceObject } from './event-mapping';

export interface WarningRecorder {
  warning(involved: InvolvedObject, reason: string, message: string): Promise<boolean>;
}

const INVALID_ANNOTATIONS_REASON = 'InvalidConsulAnnotations';
/** Annotations the registrar reads as consul-k8s does, in a way that may surprise (`0x2328` is 9000). */
const CONSUL_K8S_READING_REASON = 'ConsulK8sAnnotationReading';
/** Event reason on a Service whose registration Consul refused (permission or invalid). */
export const CONSUL_REFUSED_REASON = 'ConsulRegistrationRefused';

export function involvedService(service: ServiceObject): InvolvedObject {
  return {
    kind: 'Service',
    apiVersion: 'v1',
    name: service.metadata?.name ?? '',
    namespace: service.metadata?.namespace ?? '',
    ...(service.metadata?.uid ? { uid: service.metadata.uid } : {}),
  };
}

/** Errors, and the consul-k8s readings that decide the port, as one Warning Event (or none). */
export function findingsWarning(
  findings: readonly Finding[],
): { reason: string; message: string } | undefined {
  const errors = findings.filter((finding) => finding.severity === 'error');
  const readings = findings.filter((finding) => CONSUL_K8S_READINGS.some((rule) => rule.id === finding.rule));
  if (errors.length === 0 && readings.length === 0) return undefined;
  const parts = [
    ...(errors.length > 0 ? [`ignored invalid annotations: ${errors.map((f) => f.message).join('; ')}`] : []),
    ...(readings.length > 0
      ? [`read as consul-k8s reads them: ${readings.map((f) => f.message).join('; ')}`]
      : []),
  ];
  return {
    reason: errors.length > 0 ? INVALID_ANNOTATIONS_REASON : CONSUL_K8S_READING_REASON,
    message: parts.join('; '),
  };
}

/** What a Service's owner is told when Consul refuses its registration (never the token). */
export function refusalMessage(consulName: string, cause: RefusalCause, reason: string): string {
  if (cause === 'permission') {
    const permission = missingPermission(reason);
    return `Consul refused to register "${consulName}": the registrar's ACL token lacks ${permission ?? 'a permission'} (add it to the token's policy); other Services are not affected, this one is retried with backoff`;
  }
  return `Consul refused the registration of "${consulName}" as invalid: ${reason}; other Services are not affected`;
}

/** The Consul service name an operation writes (check deletes: unknown, so the instance ID). */
export function consulServiceOf(op: Op): string {
  switch (op.kind) {
    case 'service':
    case 'check':
      return op.instance.service;
    case 'delete':
      return op.service;
    case 'delete-check':
      return op.serviceId;
    case 'node':
      return op.node.name;
    case 'delete-node':
      return op.node;
  }
}
