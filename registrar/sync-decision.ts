/**
 * Which Kubernetes Services the registrar syncs at all (the namespace lists, the Service type,
 * `--sync-clusterip-services`, default sync and the `service-sync` annotation), and whether a
 * Service's ignored annotations are worth a Warning Event. Pure.
 */
import { SERVICE_SYNC } from '../core/annotations/keys';
import { isNamespaceAllowed, serviceType } from '../core/annotations/sync-settings';
import type { Finding, ServiceLike, SyncIntent, SyncSettings } from '../core/annotations/types';

/**
 * Which Services are synced at all: namespace lists, type, default-sync and `service-sync`.
 * Undefined when the Service is synced, else why not.
 */
export function syncDecision(
  service: ServiceLike,
  intent: SyncIntent,
  settings: SyncSettings,
): string | undefined {
  const namespace = service.metadata?.namespace ?? '';
  const type = serviceType(service);
  if (!isNamespaceAllowed(namespace, settings))
    return `namespace ${namespace} is excluded by the namespace lists`;
  if (type === 'ExternalName') return 'ExternalName Services are not synced';
  if (type === 'ClusterIP' && !settings.syncClusterIPServices) return 'ClusterIP Services are not synced';
  const sync = intent.sync ?? settings.defaultSync;
  if (!sync)
    return intent.sync === false
      ? 'service-sync is false'
      : 'default sync is off and service-sync is not true';
  if (intent.skipReason) return intent.skipReason;
  return undefined;
}

/**
 * Whether a Service's ignored annotations deserve a Warning Event: it is synced, or an invalid
 * annotation is what keeps it out (a bad `service-name`, or a bad `service-sync` that left the
 * default off in force). Services excluded by the namespace lists, their type, the ClusterIP
 * switch or a valid `service-sync: false` are not reported: their annotations change nothing.
 */
export function annotationFindingsMatter(
  service: ServiceLike,
  intent: SyncIntent,
  findings: readonly Finding[],
  settings: SyncSettings,
): boolean {
  const syncsUnlessSkipped = (reason: string | undefined) =>
    reason === undefined || reason === intent.skipReason;
  if (syncsUnlessSkipped(syncDecision(service, intent, settings))) return true;
  const syncIgnored =
    intent.sync === undefined &&
    findings.some((finding) => finding.severity === 'error' && finding.annotation === SERVICE_SYNC);
  return syncIgnored && syncsUnlessSkipped(syncDecision(service, { ...intent, sync: true }, settings));
}
