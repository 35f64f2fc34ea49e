/**
 * Event mapping: informer changes of Services, EndpointSlices, Nodes and Ingresses become the
 * keys (`namespace/name`) of the Services to look at again, as controller-runtime's handlers map
 * watched objects to requests. Also answers, from the caches, which slices and Ingresses belong
 * to a Service. No Consul, no timing.
 */
import { objectKey, type ChangeListener } from '../core/kube/informer';
import type { EndpointSliceLike, NodeLike, SyncedService } from './kube-objects';
import type { IngressLike } from './ingress';
import { IngressIndex, NodeAddresses, SliceIndex, splitKey } from './watch-index';

/** What the registrar needs from an informer cache (KubeInformer implements it). */
export interface ObjectCache<T> {
  list(): readonly T[];
  get(namespace: string | undefined, name: string): T | undefined;
  onChange(listener: ChangeListener): () => void;
  waitForSync(): Promise<void>;
}

type Named = { metadata?: { name?: string; namespace?: string; uid?: string } };
export type ServiceObject = SyncedService & Named;
export type SliceObject = EndpointSliceLike & Named;
export type NodeObject = NodeLike & Named;
type IngressObject = IngressLike & Named;

export interface RegistrarCaches {
  services: ObjectCache<ServiceObject>;
  endpointSlices: ObjectCache<SliceObject>;
  nodes: ObjectCache<NodeObject>;
  /** Ingress sync (`--enable-ingress`); absent when off. */
  ingresses?: ObjectCache<IngressObject>;
}

interface MappedEvents {
  /** This Service needs a look. */
  enqueue(serviceKey: string): void;
  /** The Service object itself changed (its owner may have fixed what Consul refused). */
  serviceChanged(serviceKey: string): void;
}

const keyOf = (object: Named): string => objectKey(object.metadata?.namespace, object.metadata?.name ?? '');

export class EventMapper {
  private readonly slices = new SliceIndex();
  private readonly nodeAddresses = new NodeAddresses();
  private readonly ingressIndex = new IngressIndex();

  constructor(private readonly caches: RegistrarCaches) {}

  /** Listens to every cache; returns the unsubscribe function. */
  subscribe(events: MappedEvents): () => void {
    const { services, endpointSlices, nodes, ingresses } = this.caches;
    const off = [
      services.onChange((key) => {
        events.serviceChanged(key);
        events.enqueue(key);
      }),
      endpointSlices.onChange((key) => this.sliceChanged(key).forEach((k) => events.enqueue(k))),
      nodes.onChange((key) => this.nodeChanged(key).forEach((k) => events.enqueue(k))),
      ...(ingresses
        ? [ingresses.onChange((key) => this.ingressChanged(key).forEach((k) => events.enqueue(k)))]
        : []),
    ];
    return () => off.forEach((unsubscribe) => unsubscribe());
  }

  /** Indexes what the synced caches hold (changes before sync are already in them). */
  prime(): void {
    const { endpointSlices, nodes, ingresses } = this.caches;
    for (const ingress of ingresses?.list() ?? []) this.ingressIndex.update(keyOf(ingress), ingress);
    for (const slice of endpointSlices.list()) this.slices.update(keyOf(slice), slice);
    for (const node of nodes.list()) this.nodeAddresses.update(node.metadata?.name ?? '', node);
  }

  /** The EndpointSlices labelled with this Service, from the cache. */
  slicesOf(serviceKey: string): SliceObject[] {
    const found: SliceObject[] = [];
    for (const sliceKey of this.slices.slicesOf(serviceKey)) {
      const slice = this.caches.endpointSlices.get(...splitKey(sliceKey));
      if (slice) found.push(slice);
    }
    return found;
  }

  /** The Ingresses that route to this Service, from the cache (none without Ingress sync). */
  ingressesOf(serviceKey: string): IngressObject[] {
    const { ingresses } = this.caches;
    if (!ingresses) return [];
    const found: IngressObject[] = [];
    for (const ingressKey of this.ingressIndex.ingressesOf(serviceKey)) {
      const ingress = ingresses.get(...splitKey(ingressKey));
      if (ingress) found.push(ingress);
    }
    return found;
  }

  private sliceChanged(sliceKey: string): string[] {
    return this.slices.update(sliceKey, this.caches.endpointSlices.get(...splitKey(sliceKey)));
  }

  /** The Services an Ingress routed to and routes to now. */
  private ingressChanged(ingressKey: string): string[] {
    return this.ingressIndex.update(ingressKey, this.caches.ingresses?.get(...splitKey(ingressKey)));
  }

  /** A Node's addresses changed: every NodePort Service may move; others cannot. */
  private nodeChanged(name: string): string[] {
    if (!this.nodeAddresses.update(name, this.caches.nodes.get(undefined, name))) return [];
    return this.caches.services
      .list()
      .filter((service) => service.spec?.type === 'NodePort')
      .map(keyOf);
  }
}
