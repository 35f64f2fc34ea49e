import type { DesiredSettings } from '../../../registrar/desired';

/** Desired-state settings for unit tests: cluster `east`, every namespace, consul-k8s's defaults otherwise. */
export function desiredSettings(overrides: Partial<DesiredSettings> = {}): DesiredSettings {
  return {
    clusterId: 'east',
    syncTag: 'k8s',
    servicePrefix: '',
    addK8sNamespaceSuffix: false,
    defaultSync: true,
    allowNamespaces: ['*'],
    denyNamespaces: [],
    syncClusterIPServices: true,
    syncLoadBalancerEndpoints: false,
    nodePortSyncType: 'ExternalOnly',
    ...overrides,
  };
}
