/**
 * Which Consul namespace (Consul Enterprise) each Kubernetes Service is registered in, with
 * consul-k8s's semantics (control-plane/namespaces/namespaces.go ConsulNamespace): mirroring
 * (`<prefix><k8s namespace>`) wins over the destination namespace. Pure.
 */
import { ConsulConfigError } from '../core/consul/config';
import type { Instance } from './catalog';

/** `--enable-namespaces` and its companions, as validated by config.ts. */
export interface NamespaceFlags {
  /** `--consul-destination-namespace` (default "default"): every Service's namespace unless mirroring. */
  destination: string;
  /** `--enable-k8s-namespace-mirroring`. */
  mirroring: boolean;
  /** `--k8s-namespace-mirroring-prefix`. */
  mirroringPrefix: string;
  /** `--consul-cross-namespace-acl-policy`: attached to every namespace we create. */
  crossNamespaceAclPolicy?: string;
}

/** How the registrar places instances in Consul Enterprise; absent parts mean "as OSS". */
export interface Tenancy {
  /** Each Service's namespace (absent: no namespaces in any request body). */
  namespaces?: NamespaceFlags & {
    /** Create missing namespaces (the flags do; a CONSUL_NAMESPACE must exist). */
    create: boolean;
  };
  /** The admin partition every request and body carries. */
  partition?: string;
  /** The flags and variables that asked for Consul Enterprise (empty: none did). */
  requestedBy: string[];
}

export function consulNamespaceFor(k8sNamespace: string, flags: NamespaceFlags): string {
  return flags.mirroring ? `${flags.mirroringPrefix}${k8sNamespace}` : flags.destination;
}

/**
 * The registrar's tenancy from its flags and its Consul client's own (CONSUL_NAMESPACE,
 * CONSUL_PARTITION or --partition). CONSUL_NAMESPACE alone puts every instance in that namespace,
 * as Consul's clients do; with --enable-namespaces the flags decide, so both together is refused.
 */
export function resolveTenancy(
  flags: NamespaceFlags | undefined,
  client: { namespace?: string; partition?: string },
  partitionFlag: boolean,
): Tenancy {
  const tenancy: Tenancy = { requestedBy: [] };
  if (flags && client.namespace !== undefined) {
    throw new ConsulConfigError(
      'CONSUL_NAMESPACE',
      `"${client.namespace}" is set together with --enable-namespaces, whose flags choose each Service's namespace: unset CONSUL_NAMESPACE, or use --consul-destination-namespace=${client.namespace}`,
    );
  }
  if (flags) {
    tenancy.namespaces = { ...flags, create: true };
    tenancy.requestedBy.push('--enable-namespaces');
  } else if (client.namespace !== undefined) {
    tenancy.namespaces = {
      destination: client.namespace,
      mirroring: false,
      mirroringPrefix: '',
      create: false,
    };
    tenancy.requestedBy.push('CONSUL_NAMESPACE');
  }
  if (client.partition !== undefined) {
    tenancy.partition = client.partition;
    tenancy.requestedBy.push(partitionFlag ? '--partition' : 'CONSUL_PARTITION');
  }
  return tenancy;
}

/**
 * The instances of one Service placed in its Consul namespace (copies; the same array when
 * namespaces are off, so OSS installs pay nothing).
 */
export function placeInstances(
  instances: readonly Instance[],
  k8sNamespace: string,
  tenancy: Tenancy,
): readonly Instance[] {
  if (!tenancy.namespaces || instances.length === 0) return instances;
  const namespace = consulNamespaceFor(k8sNamespace, tenancy.namespaces);
  return instances.map((instance) => ({ ...instance, namespace }));
}

/** Where an instance lives: its namespace (when any) and ID. Unique across namespaces. */
export function instanceKey(id: string, namespace: string | undefined): string {
  return namespace === undefined ? id : `${namespace}/${id}`;
}
