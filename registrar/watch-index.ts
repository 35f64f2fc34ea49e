/**
 * Bookkeeping that turns informer change keys into the Services to reconcile (pure, no I/O):
 * which EndpointSlices belong to which Service (remembered, so a deleted slice still finds its
 * Service), which Node changes can move NodePort instances, and which Services an Ingress routes
 * to (remembered likewise).
 */
import { objectKey } from '../core/kube/informer';
import { type EndpointSliceLike, type NodeLike, SERVICE_NAME_LABEL } from './kube-objects';
import { type IngressLike, routedServices } from './ingress';

/** `namespace/name` -> [namespace, name]; a key without `/` is cluster scoped. */
export function splitKey(key: string): [string | undefined, string] {
  const slash = key.indexOf('/');
  return slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
}

export class SliceIndex {
  private readonly serviceBySlice = new Map<string, string>();
  private readonly slicesByService = new Map<string, Set<string>>();

  /**
   * Records the current state of one slice (undefined: deleted). Returns the Service keys whose
   * endpoints may have changed: the Service it belonged to, and the one it belongs to now.
   */
  update(sliceKey: string, slice: EndpointSliceLike | undefined): string[] {
    const previous = this.serviceBySlice.get(sliceKey);
    this.remove(sliceKey);
    const [namespace] = splitKey(sliceKey);
    const serviceName = slice?.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (serviceName) {
      const serviceKey = objectKey(namespace, serviceName);
      this.serviceBySlice.set(sliceKey, serviceKey);
      let slices = this.slicesByService.get(serviceKey);
      if (!slices) this.slicesByService.set(serviceKey, (slices = new Set()));
      slices.add(sliceKey);
    }
    const current = this.serviceBySlice.get(sliceKey);
    return [...new Set([previous, current].filter((key): key is string => key !== undefined))];
  }

  /** Keys of the slices labelled with this Service. */
  slicesOf(serviceKey: string): Iterable<string> {
    return this.slicesByService.get(serviceKey) ?? [];
  }

  private remove(sliceKey: string): void {
    const serviceKey = this.serviceBySlice.get(sliceKey);
    if (!serviceKey) return;
    this.serviceBySlice.delete(sliceKey);
    const slices = this.slicesByService.get(serviceKey);
    slices?.delete(sliceKey);
    if (slices?.size === 0) this.slicesByService.delete(serviceKey);
  }
}

/** Which Services each Ingress routes to, both ways (Ingress sync). */
export class IngressIndex {
  private readonly servicesByIngress = new Map<string, string[]>();
  private readonly ingressesByService = new Map<string, Set<string>>();

  /**
   * Records the current state of one Ingress (undefined: deleted). Returns the Service keys whose
   * Ingress addresses may have changed: those it routed to, and those it routes to now.
   */
  update(ingressKey: string, ingress: IngressLike | undefined): string[] {
    const previous = this.servicesByIngress.get(ingressKey) ?? [];
    for (const serviceKey of previous) {
      const ingresses = this.ingressesByService.get(serviceKey);
      ingresses?.delete(ingressKey);
      if (ingresses?.size === 0) this.ingressesByService.delete(serviceKey);
    }
    const [namespace] = splitKey(ingressKey);
    const current = ingress ? routedServices(ingress).map((name) => objectKey(namespace, name)) : [];
    if (current.length > 0) this.servicesByIngress.set(ingressKey, current);
    else this.servicesByIngress.delete(ingressKey);
    for (const serviceKey of current) {
      let ingresses = this.ingressesByService.get(serviceKey);
      if (!ingresses) this.ingressesByService.set(serviceKey, (ingresses = new Set()));
      ingresses.add(ingressKey);
    }
    return [...new Set([...previous, ...current])];
  }

  /** Keys of the Ingresses that route to this Service, sorted. */
  ingressesOf(serviceKey: string): string[] {
    return [...(this.ingressesByService.get(serviceKey) ?? [])].sort();
  }
}

/** Remembers each Node's addresses, to tell address changes from status heartbeats. */
export class NodeAddresses {
  private readonly byNode = new Map<string, string>();

  /** Records the Node's state (undefined: deleted); true when its addresses changed. */
  update(name: string, node: NodeLike | undefined): boolean {
    const addresses = node ? fingerprint(node) : undefined;
    if (this.byNode.get(name) === addresses) return false;
    if (addresses === undefined) this.byNode.delete(name);
    else this.byNode.set(name, addresses);
    return true;
  }
}

function fingerprint(node: NodeLike): string {
  return (node.status?.addresses ?? []).map((a) => `${a.type}=${a.address}`).join(',');
}
