/**
 * DNS name rules shared by the annotation checks (is a `service-name` resolvable through Consul
 * DNS?) and the generator (can this Consul service become an ExternalName target / a Service name?).
 */

/** RFC 1123 label, any case: what Consul DNS can resolve as a service name. */
const DNS_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Kubernetes DNS-1035 label: lowercase, starts with a letter; what a Service name must be. */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** True when `name` resolves as `<name>.service.<domain>` through Consul DNS. */
export function isConsulDnsName(name: string): boolean {
  return DNS_LABEL.test(name);
}

/** True when `name` is a valid Kubernetes Service name (DNS-1035 label). */
export function isDns1035Label(name: string): boolean {
  return DNS_1035_LABEL.test(name);
}

/** RFC 1123 subdomain (dot-separated labels, <= 253 chars), as Kubernetes checks `externalName`. */
export function isDnsSubdomain(name: string): boolean {
  return (
    name.length <= 253 && name.split('.').every((label) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(label))
  );
}

/** Lowercase RFC 1123 label (<= 63): Kubernetes namespace names, and our cluster IDs. */
export function isDns1123Label(name: string): boolean {
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name);
}
