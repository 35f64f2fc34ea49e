/**
 * The registrar's informers: Services, EndpointSlices and Nodes (and Ingresses with
 * `--enable-ingress`), cluster-wide or, with `--k8s-source-namespace`, in that namespace only (so
 * a Role there grants them), each cache slimmed on arrival (cache-shape.ts) and logging its
 * watch restarts and its first sync. Built, not started: main.ts starts and stops them.
 */
import {
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  NetworkingV1Api,
  type V1EndpointSlice,
  type V1Ingress,
  type V1Node,
  type V1Service,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { describeKubeError } from '../core/kube/errors';
import { KubeInformer } from '../core/kube/informer';
import { slimEndpointSlice, slimNode, slimService } from './cache-shape';
import type { RegistrarConfig } from './config';

interface RegistrarInformers {
  services: KubeInformer<V1Service>;
  endpointSlices: KubeInformer<V1EndpointSlice>;
  nodes: KubeInformer<V1Node>;
  ingresses: KubeInformer<V1Ingress> | undefined;
  /** Every informer above, to start and stop together. */
  all: Array<
    KubeInformer<V1Service> | KubeInformer<V1EndpointSlice> | KubeInformer<V1Node> | KubeInformer<V1Ingress>
  >;
}

export function createInformers(
  kc: KubeConfig,
  config: Pick<RegistrarConfig, 'sourceNamespace' | 'enableIngress'>,
  logger: Logger,
): RegistrarInformers {
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const informerHooks = (kind: string) => ({
    onError: (error: unknown, delayMs: number) =>
      logger.warn({ kind, retryInMs: delayMs, error: describeKubeError(error) }, 'watch failed; restarting'),
    onSynced: () => logger.info({ kind }, 'cache synced'),
  });
  const nodes = new KubeInformer<V1Node>(kc, {
    path: '/api/v1/nodes',
    list: (page) => core.listNode(page),
    transform: slimNode,
    hooks: informerHooks('Node'),
  });
  // --k8s-source-namespace: namespaced informers, so a Role in that namespace grants them.
  const namespace = config.sourceNamespace;
  const scoped = (api: string, plural: string) =>
    namespace ? `${api}/namespaces/${namespace}/${plural}` : `${api}/${plural}`;
  const services = new KubeInformer<V1Service>(kc, {
    path: scoped('/api/v1', 'services'),
    list: (page) =>
      namespace ? core.listNamespacedService({ namespace, ...page }) : core.listServiceForAllNamespaces(page),
    transform: slimService,
    hooks: informerHooks('Service'),
  });
  const endpointSlices = new KubeInformer<V1EndpointSlice>(kc, {
    path: scoped('/apis/discovery.k8s.io/v1', 'endpointslices'),
    list: (page) =>
      namespace
        ? discovery.listNamespacedEndpointSlice({ namespace, ...page })
        : discovery.listEndpointSliceForAllNamespaces(page),
    transform: slimEndpointSlice,
    hooks: informerHooks('EndpointSlice'),
  });
  const networking = kc.makeApiClient(NetworkingV1Api);
  const ingresses = config.enableIngress
    ? new KubeInformer<V1Ingress>(kc, {
        path: scoped('/apis/networking.k8s.io/v1', 'ingresses'),
        list: (page) =>
          namespace
            ? networking.listNamespacedIngress({ namespace, ...page })
            : networking.listIngressForAllNamespaces(page),
        hooks: informerHooks('Ingress'),
      })
    : undefined;
  return {
    services,
    endpointSlices,
    nodes,
    ingresses,
    all: [services, endpointSlices, nodes, ...(ingresses ? [ingresses] : [])],
  };
}
