/** The registrar's sync-setting flags, shared by `registrar`, `webhook`, `lint` and `audit` (--warn-unsynced). */
import type { Command } from 'commander';
import { DEFAULT_SYNC_SETTINGS, DEFAULT_SYNC_TAG, type SyncSettings } from '../annotations';
import { collectList, parseBooleanFlag } from './config';

/** Adds the sync-setting flags with consul-k8s's names and defaults. */
export function addSyncSettingsOptions(command: Command): Command {
  return command
    .option(
      '--k8s-default-sync [bool]',
      'sync Services without a service-sync annotation',
      parseBooleanFlag,
      DEFAULT_SYNC_SETTINGS.defaultSync,
    )
    .option(
      '--allow-k8s-namespace <namespace>',
      'namespace to sync (repeatable; "*" for all) [default: *]',
      collectList,
    )
    .option(
      '--deny-k8s-namespace <namespace>',
      'namespace never to sync; wins over allow (repeatable) [default: kube-system, kube-public]',
      collectList,
    )
    .option(
      '--sync-clusterip-services [bool]',
      'sync ClusterIP Services',
      parseBooleanFlag,
      DEFAULT_SYNC_SETTINGS.syncClusterIPServices,
    )
    .option(
      '--sync-lb-services-endpoints [bool]',
      'register LoadBalancer Services by endpoint instead of ingress address',
      parseBooleanFlag,
      DEFAULT_SYNC_SETTINGS.syncLoadBalancerEndpoints,
    );
}

/**
 * The flags that tell the annotation rules how the registrar runs, for the programs that check
 * Services against them (`webhook`, `lint`, `audit`): its tag, `--warn-unsynced` and the sync settings.
 */
export function addRegistrarViewOptions(command: Command): Command {
  command
    .option(
      '--consul-k8s-tag <tag>',
      'the tag the registrar adds to every registration (service-tags may not repeat it)',
      DEFAULT_SYNC_TAG,
    )
    .option(
      '--warn-unsynced',
      'warn when the registrar settings below keep a Service that asks to be synced out of Consul',
      false,
    );
  return addSyncSettingsOptions(command);
}

export interface SyncSettingsFlags {
  k8sDefaultSync: boolean;
  allowK8sNamespace?: string[];
  denyK8sNamespace?: string[];
  syncClusteripServices: boolean;
  syncLbServicesEndpoints: boolean;
}

export function syncSettingsFromFlags(flags: SyncSettingsFlags): SyncSettings {
  return {
    defaultSync: flags.k8sDefaultSync,
    allowNamespaces: flags.allowK8sNamespace ?? DEFAULT_SYNC_SETTINGS.allowNamespaces,
    denyNamespaces: flags.denyK8sNamespace ?? DEFAULT_SYNC_SETTINGS.denyNamespaces,
    syncClusterIPServices: flags.syncClusteripServices,
    syncLoadBalancerEndpoints: flags.syncLbServicesEndpoints,
  };
}
