/**
 * Ingress sync (`--enable-ingress`, `--loadBalancer-ips`), pure: which Services an Ingress
 * routes to and at which address and port. Semantics of consul-k8s
 * (control-plane/catalog/to-consul/resource.go, serviceIngressResource):
 * - a rule counts when it routes the path `/` (exactly; any pathType) to a Service backend; of
 *   several such paths in one rule the last one wins; `spec.defaultBackend` and Ingress classes
 *   are not looked at;
 * - the address is the rule's `host`, or with `--loadBalancer-ips` the IP of the Ingress's first
 *   `status.loadBalancer.ingress` entry; a rule without one is left out;
 * - the port is 443 when the rule's host is listed in `spec.tls[].hosts`, else 80.
 * The Service must be in the Ingress's namespace (an Ingress cannot name another one).
 */

const INGRESS_HTTP_PORT = 80;
const INGRESS_HTTPS_PORT = 443;

export interface IngressLike {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    rules?: Array<{
      host?: string;
      http?: {
        paths?: Array<{ path?: string; backend?: { service?: { name?: string } | null } | null }> | null;
      } | null;
    }> | null;
    tls?: Array<{ hosts?: string[] | null }> | null;
  } | null;
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> | null } | null } | null;
}

/** Where an Ingress makes a Service reachable. */
export interface IngressAddress {
  address: string;
  port: number;
}

/** The Service (name, in the Ingress's namespace) each counting rule routes `/` to, in rule order. */
function ruleTargets(ingress: IngressLike): Array<{ service: string; host: string }> {
  const targets: Array<{ service: string; host: string }> = [];
  for (const rule of ingress.spec?.rules ?? []) {
    let service: string | undefined;
    for (const path of rule.http?.paths ?? []) {
      const name = path.backend?.service?.name;
      if (path.path === '/' && name) service = name;
    }
    if (service !== undefined) targets.push({ service, host: rule.host ?? '' });
  }
  return targets;
}

/** Names of the Services this Ingress routes `/` to, with or without an address yet. */
export function routedServices(ingress: IngressLike): string[] {
  return [...new Set(ruleTargets(ingress).map((target) => target.service))];
}

/**
 * The addresses this Ingress gives the Service `serviceName`, in rule order. With
 * `loadBalancerIPs`, the Ingress's load-balancer IP (none until its controller set one).
 */
export function ingressAddresses(
  ingress: IngressLike,
  serviceName: string,
  loadBalancerIPs: boolean,
): IngressAddress[] {
  const tlsHosts = new Set((ingress.spec?.tls ?? []).flatMap((tls) => tls.hosts ?? []));
  const loadBalancerIP = ingress.status?.loadBalancer?.ingress?.[0]?.ip ?? '';
  const addresses: IngressAddress[] = [];
  for (const { service, host } of ruleTargets(ingress)) {
    if (service !== serviceName) continue;
    const address = loadBalancerIPs ? loadBalancerIP : host;
    if (!address) continue;
    addresses.push({ address, port: host && tlsHosts.has(host) ? INGRESS_HTTPS_PORT : INGRESS_HTTP_PORT });
  }
  return addresses;
}

/**
 * Every address the Ingresses give one Service, one per address: Ingresses in the order given
 * (the controller sorts them by name), rules in order, the first port seen for an address.
 */
export function serviceIngressAddresses(
  ingresses: readonly IngressLike[],
  serviceName: string,
  loadBalancerIPs: boolean,
): IngressAddress[] {
  const byAddress = new Map<string, IngressAddress>();
  for (const ingress of ingresses) {
    for (const entry of ingressAddresses(ingress, serviceName, loadBalancerIPs)) {
      if (!byAddress.has(entry.address)) byAddress.set(entry.address, entry);
    }
  }
  return [...byAddress.values()];
}
