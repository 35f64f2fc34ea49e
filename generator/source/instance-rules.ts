/**
 * The two rules that look at a service's instance meta (opt-out, loop guard), in the two forms the
 * sources need: over instances in hand (catalog file) and as Consul `filter` expressions, so the
 * Consul source answers them with one `/v1/catalog/services` listing each instead of one read per
 * service. Both forms live here so they cannot disagree. Pure.
 */
import { bexprString } from '../../core/consul/catalog-reads';
import {
  EXTERNAL_SOURCE_KUBERNETES,
  META_EXTERNAL_SOURCE,
  META_K8S_CLUSTER_ID,
} from '../../core/consul/meta';
import type { KubernetesOrigin } from './catalog';

/** Instance meta a Consul service owner sets to keep a service out of Kubernetes. */
export const OPT_OUT_META = 'k8s-sync';

/** The false spellings of Go's strconv.ParseBool (what `service-sync` accepts too). */
export const GO_FALSE_VALUES: readonly string[] = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

/** `k8s-sync` set to a Go false opts the service out; any other value (or none) does not. */
export function optsOut(meta: Readonly<Record<string, string>>): boolean {
  const value = meta[OPT_OUT_META];
  return value !== undefined && GO_FALSE_VALUES.includes(value);
}

/** An instance this cluster's Kubernetes registered: no cluster ID said, or ours. */
function ownCluster(meta: Readonly<Record<string, string>>, clusterId: string): boolean {
  const id = meta[META_K8S_CLUSTER_ID];
  return id === undefined || id === '' || id === clusterId;
}

interface InstanceFacts {
  optedOut: boolean;
  fromKubernetes: KubernetesOrigin;
}

/**
 * Facts of one service from its instances' meta. Without a cluster ID (consul-k8s) every
 * Kubernetes instance counts as this cluster's.
 */
export function factsOfInstances(
  metas: readonly Readonly<Record<string, string>>[],
  clusterId?: string,
): InstanceFacts {
  const kubernetes = metas.filter((meta) => meta[META_EXTERNAL_SOURCE] === EXTERNAL_SOURCE_KUBERNETES);
  let fromKubernetes: KubernetesOrigin = 'none';
  if (kubernetes.length > 0) {
    fromKubernetes =
      clusterId === undefined || kubernetes.some((meta) => ownCluster(meta, clusterId))
        ? 'this-cluster'
        : 'other-cluster';
  }
  return { optedOut: metas.some(optsOut), fromKubernetes };
}

const meta = (key: string): string => `ServiceMeta[${bexprString(key)}]`;

/** The same rules as go-bexpr filters over `/v1/catalog/services` instances. */
interface InstanceFilters {
  optedOut: string;
  fromKubernetes: string;
  /** Only with a cluster ID. */
  thisCluster?: string;
}

export function instanceFilters(clusterId?: string): InstanceFilters {
  const optedOut = GO_FALSE_VALUES.map((value) => `${meta(OPT_OUT_META)} == ${bexprString(value)}`).join(
    ' or ',
  );
  const fromKubernetes = `${meta(META_EXTERNAL_SOURCE)} == ${bexprString(EXTERNAL_SOURCE_KUBERNETES)}`;
  if (clusterId === undefined) return { optedOut, fromKubernetes };
  // A missing map key makes `==` false in go-bexpr (NotPresentDisposition), so absence is tested with `not in`.
  const own = [
    `${bexprString(META_K8S_CLUSTER_ID)} not in ServiceMeta`,
    `${meta(META_K8S_CLUSTER_ID)} == ""`,
    `${meta(META_K8S_CLUSTER_ID)} == ${bexprString(clusterId)}`,
  ].join(' or ');
  return { optedOut, fromKubernetes, thisCluster: `${fromKubernetes} and (${own})` };
}

/** Facts of one service from the names the filtered listings returned. */
export function factsFromListings(
  name: string,
  listings: {
    optedOut: ReadonlySet<string>;
    fromKubernetes: ReadonlySet<string>;
    thisCluster?: ReadonlySet<string>;
  },
): InstanceFacts {
  let fromKubernetes: KubernetesOrigin = 'none';
  if (listings.fromKubernetes.has(name)) {
    fromKubernetes =
      listings.thisCluster === undefined || listings.thisCluster.has(name) ? 'this-cluster' : 'other-cluster';
  }
  return { optedOut: listings.optedOut.has(name), fromKubernetes };
}
