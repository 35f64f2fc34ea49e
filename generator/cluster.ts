/** Read-only view of the cluster's Services for `--check-cluster` (list in one namespace). */
import { CoreV1Api } from '@kubernetes/client-node';
import { loadKubeConfig } from '../core/kube/config';
import type { ClusterServiceLister } from './conflicts';

export function clusterLister(kubeconfig: string | undefined): ClusterServiceLister {
  const kc = loadKubeConfig(kubeconfig ? { kubeconfig } : {});
  const core = kc.makeApiClient(CoreV1Api);
  return {
    async listServices(namespace) {
      const list = await core.listNamespacedService({ namespace });
      return list.items.map((item) => ({
        name: item.metadata?.name ?? '',
        labels: item.metadata?.labels ?? {},
        ...(item.spec?.type !== undefined ? { type: item.spec.type } : {}),
        ...(item.spec?.externalName !== undefined ? { externalName: item.spec.externalName } : {}),
      }));
    },
  };
}
