/**
 * What should be in the Consul catalog for one Kubernetes Service: a pure function of the
 * Service, its interpreted annotations, its EndpointSlices, the Node cache, the addresses
 * Ingresses give it (Ingress sync, ingress.ts) and the settings.
 * Semantics follow consul-k8s (control-plane/catalog/to-consul/resource.go) with the improvements
 * of our issue: terminating endpoints left out, readiness checks on every endpoint-based instance,
 * IDs that cannot collide across clusters. Whether a Service is synced at all is
 * sync-decision.ts's; an instance's ID, meta, check and weights are instance-fields.ts's; this
 * file chooses the instances (addresses and ports) by Service type.
 */
import { serviceType, weightApplies } from '../core/annotations/sync-settings';
import { endpointPortNumber, servicePortNumber } from '../core/annotations/ports';
import type { ServiceLike, SyncIntent, SyncSettings } from '../core/annotations/types';
import type { Instance } from './catalog';
import type { IngressAddress } from './ingress';
import { endpointMeta, instanceId, readinessCheck, serviceMeta, weightsFor } from './instance-fields';
import type { EndpointLike, EndpointSliceLike, NodeLike, SyncedService } from './kube-objects';
import { syncDecision } from './sync-decision';

export const NODE_PORT_SYNC_TYPES = ['ExternalOnly', 'InternalOnly', 'ExternalFirst'] as const;
type NodePortSyncType = (typeof NODE_PORT_SYNC_TYPES)[number];

/** The settings that shape desired state (a subset of the registrar config). */
export interface DesiredSettings extends SyncSettings {
  clusterId: string;
  syncTag: string;
  servicePrefix: string;
  addK8sNamespaceSuffix: boolean;
  nodePortSyncType: NodePortSyncType;
}

interface DesiredInput {
  service: SyncedService;
  /** The Service's annotations as interpreted by the shared rules (`analyzeService`). */
  intent: SyncIntent;
  /** The EndpointSlices labelled with this Service's name, in its namespace. */
  endpointSlices: readonly EndpointSliceLike[];
  /** Node cache lookup, for NodePort addresses. */
  nodeByName: (name: string) => NodeLike | undefined;
  /** Ingress sync: the addresses Ingresses give this Service (ingress.ts); empty when off. */
  ingressAddresses?: readonly IngressAddress[];
}

type DesiredResult =
  { sync: true; serviceName: string; instances: Instance[] } | { sync: false; reason: string };

/** Every instance this Service should have in Consul (empty when it is not synced). */
export function desiredForService(input: DesiredInput, settings: DesiredSettings): DesiredResult {
  const { service, intent } = input;
  const reason = syncDecision(service, intent, settings);
  if (reason !== undefined) return { sync: false, reason };

  const serviceName = consulServiceName(service, intent, settings);
  const build = new InstanceBuilder(input, settings, serviceName);
  const type = serviceType(service);
  const externalIPs = service.spec?.externalIPs ?? [];
  if (externalIPs.length > 0) {
    for (const ip of externalIPs) build.fixedAddress(ip);
  } else if (type === 'LoadBalancer' && settings.syncLoadBalancerEndpoints) {
    build.podEndpoints(false);
  } else if (type === 'LoadBalancer') {
    for (const ingress of service.status?.loadBalancer?.ingress ?? []) {
      const address = ingress.ip || ingress.hostname;
      if (address) build.fixedAddress(address);
    }
  } else if (type === 'NodePort') {
    build.endpoints('node', false);
  } else if (type === 'ClusterIP') {
    build.podEndpoints(true);
  }
  return { sync: true, serviceName, instances: build.result() };
}

/** `[prefix]name[-namespace]`, or the `service-name` annotation, as consul-k8s names services. */
function consulServiceName(service: ServiceLike, intent: SyncIntent, settings: DesiredSettings): string {
  if (intent.name !== undefined) return intent.name;
  const name = `${settings.servicePrefix}${service.metadata?.name ?? ''}`;
  return settings.addK8sNamespaceSuffix ? `${name}-${service.metadata?.namespace ?? ''}` : name;
}

/** Collects a Service's instances, deduplicated by address, sorted by ID. */
class InstanceBuilder {
  private readonly byAddress = new Map<string, Instance>();
  private readonly namespace: string;
  private readonly baseMeta: Record<string, string>;
  private readonly tags: string[];

  constructor(
    private readonly input: DesiredInput,
    private readonly settings: DesiredSettings,
    private readonly serviceName: string,
  ) {
    this.namespace = input.service.metadata?.namespace ?? '';
    this.tags = [...new Set([settings.syncTag, ...input.intent.tags])];
    this.baseMeta = serviceMeta(input.service, settings.clusterId, input.intent.meta);
  }

  result(): Instance[] {
    return [...this.byAddress.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** External IP or load-balancer ingress: the Service port, the weight annotation, no check. */
  fixedAddress(address: string): void {
    if (this.byAddress.has(address)) return;
    const weight = this.input.intent.weight;
    const instance = this.instance(address, address, this.servicePort(), { ...this.baseMeta });
    // consul-k8s applies the weight only above 1 (1 is Consul's default).
    if (weight !== undefined && weight > 1 && weightApplies(this.input.service, this.settings)) {
      instance.weights = weightsFor(weight);
    }
    this.byAddress.set(address, instance);
  }

  /**
   * Endpoint instances at pod addresses; with Ingress sync, a Service an Ingress routes to has
   * one instance per Ingress address instead (consul-k8s's registerServiceInstance).
   */
  podEndpoints(useHostname: boolean): void {
    const routed = this.input.ingressAddresses ?? [];
    if (routed.length === 0) {
      this.endpoints('pod', useHostname);
      return;
    }
    // Registered while the Service has an endpoint; passing while one of them is ready.
    const endpoints = this.input.endpointSlices
      .flatMap((slice) => slice.endpoints ?? [])
      .filter((endpoint) => endpoint.conditions?.terminating !== true && endpoint.addresses?.length);
    if (endpoints.length === 0) return;
    const ready = endpoints.some((endpoint) => endpoint.conditions?.ready !== false);
    for (const { address, port } of routed) {
      if (this.byAddress.has(address)) continue;
      const instance = this.instance(address, address, port, { ...this.baseMeta });
      instance.check = readinessCheck(this.namespace, instance.id, ready);
      this.byAddress.set(address, instance);
    }
  }

  /**
   * One instance per endpoint address, with the readiness check. `pod`: at the endpoint address
   * and endpoint port; `node`: at its Node's address and the node port (NodePort Services).
   */
  endpoints(addressing: 'pod' | 'node', useHostname: boolean): void {
    const slices = [...this.input.endpointSlices].sort((a, b) => compare(a.metadata?.name, b.metadata?.name));
    for (const slice of slices) {
      const port = addressing === 'node' ? this.servicePort() : this.endpointPort(slice);
      for (const endpoint of slice.endpoints ?? []) {
        if (endpoint.conditions?.terminating === true) continue;
        const nodeAddress = addressing === 'node' ? this.nodeAddress(endpoint) : undefined;
        if (addressing === 'node' && nodeAddress === undefined) continue;
        const addresses = endpoint.addresses?.length
          ? endpoint.addresses
          : useHostname
            ? [endpoint.hostname ?? '']
            : [];
        for (const endpointAddress of addresses) {
          if (!endpointAddress || this.byAddress.has(endpointAddress)) continue;
          const address = nodeAddress ?? endpointAddress;
          const instance = this.instance(
            endpointAddress,
            address,
            port,
            endpointMeta(this.baseMeta, endpoint),
          );
          // discovery/v1: a missing `ready` condition means ready ("unknown state … interpreted as ready").
          instance.check = readinessCheck(this.namespace, instance.id, endpoint.conditions?.ready !== false);
          this.byAddress.set(endpointAddress, instance);
        }
      }
    }
  }

  private instance(idAddress: string, address: string, port: number, meta: Record<string, string>): Instance {
    return {
      id: instanceId(this.settings.clusterId, this.input.service, this.serviceName, idAddress),
      service: this.serviceName,
      address,
      port,
      // Instances of one Service share one tags array; nothing mutates it.
      tags: this.tags,
      meta,
    };
  }

  /** The Service-level port, as consul-k8s chooses it (core/annotations/ports). */
  private servicePort(): number {
    return servicePortNumber(this.input.service, this.input.intent.port);
  }

  /** The port of one slice's endpoint instances, as consul-k8s chooses it (core/annotations/ports). */
  private endpointPort(slice: EndpointSliceLike): number {
    return endpointPortNumber(this.input.service, this.input.intent.port, slice.ports ?? []);
  }

  /** The endpoint's Node address by `--node-port-sync-type`, from the Node cache. */
  private nodeAddress(endpoint: EndpointLike): string | undefined {
    if (!endpoint.nodeName) return undefined;
    const addresses = this.input.nodeByName(endpoint.nodeName)?.status?.addresses ?? [];
    const first = (type: string) => addresses.find((a) => a.type === type && a.address)?.address;
    switch (this.settings.nodePortSyncType) {
      case 'ExternalOnly':
        return first('ExternalIP');
      case 'InternalOnly':
        return first('InternalIP');
      case 'ExternalFirst':
        return first('ExternalIP') ?? first('InternalIP');
    }
  }
}

function compare(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}
