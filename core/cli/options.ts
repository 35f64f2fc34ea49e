/** Flag parsing shared by every subcommand, so each flag is read one way everywhere. */
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_SYNC_SETTINGS, type SyncSettings } from '../annotations';
import { goParseBool } from '../annotations/go-parse';

/** Booleans are read like consul-k8s's Go flags (`true`, `false`, `1`, `0`, `t`, `f`, …). */
export function parseBooleanFlag(value: string): boolean {
  const parsed = goParseBool(value);
  if (parsed === undefined)
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not a boolean; use true or false.`);
  return parsed;
}

/** For repeatable flags: `--allow-k8s-namespace a --allow-k8s-namespace b` (commas also split). */
export function collectList(value: string, previous: string[] | undefined): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...(previous ?? []), ...items];
}

/** The registrar's sync-setting flags, with consul-k8s's names and defaults. */
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
