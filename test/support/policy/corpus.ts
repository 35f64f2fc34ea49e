/**
 * Services on which the webhook and the exported policy must agree: at least one case raising each
 * rule the policy covers, near misses that raise nothing, and UPDATE cases for ratcheting. Used by
 * core/annotations/cel.test.ts (the webhook side) and policy/policy.real.test.ts (a real API server).
 */
export interface PolicyCase {
  title: string;
  annotations: Record<string, string>;
  /** UPDATE: the stored object's annotations (created before the policy exists). */
  oldAnnotations?: Record<string, string>;
  type?: 'ClusterIP' | 'LoadBalancer' | 'ExternalName';
  externalIPs?: string[];
  /** Port names (numbers 80, 81, …; targetPort = port + 8000). Default: http, grpc. */
  ports?: Array<string | undefined>;
  /** Rules the webhook raises on it (checked by the fast tier, so the corpus cannot rot). */
  rules: string[];
}

const K = 'consul.hashicorp.com/';
const meta = (count: number, prefix = 'k') =>
  Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`${K}service-meta-${prefix}${String(i).padStart(3, '0')}`, 'v']),
  );

export const POLICY_CORPUS: PolicyCase[] = [
  {
    title: 'all good',
    annotations: { [`${K}service-sync`]: 'true', [`${K}service-name`]: 'web', [`${K}service-port`]: 'http' },
    rules: [],
  },
  { title: 'sync yes', annotations: { [`${K}service-sync`]: 'yes' }, rules: ['service-sync/invalid'] },
  { title: 'sync Go spelling', annotations: { [`${K}service-sync`]: 'T' }, rules: [] },
  { title: 'name empty', annotations: { [`${K}service-name`]: '  ' }, rules: ['service-name/empty'] },
  {
    title: 'name too long',
    annotations: { [`${K}service-name`]: 'a'.repeat(256) },
    rules: ['service-name/too-long'],
  },
  {
    title: 'name 255',
    annotations: { [`${K}service-name`]: 'a'.repeat(255) },
    rules: ['service-name/not-dns-label'],
  },
  {
    title: 'name astral too long',
    annotations: { [`${K}service-name`]: '😀'.repeat(128) },
    rules: ['service-name/too-long'],
  },
  {
    title: 'name slash',
    annotations: { [`${K}service-name`]: 'a/b' },
    rules: ['service-name/invalid-character'],
  },
  {
    title: 'name tab inside',
    annotations: { [`${K}service-name`]: 'a\tb' },
    rules: ['service-name/invalid-character'],
  },
  {
    title: 'name whitespace',
    annotations: { [`${K}service-name`]: ' web ' },
    rules: ['service-name/whitespace'],
  },
  {
    title: 'name not dns',
    annotations: { [`${K}service-name`]: 'web_api' },
    rules: ['service-name/not-dns-label'],
  },
  { title: 'port empty', annotations: { [`${K}service-port`]: ' ' }, rules: ['service-port/empty'] },
  // consul-k8s reads service-port with Go ParseInt base 0: every Go integer literal is a port.
  { title: 'port hex', annotations: { [`${K}service-port`]: '0x2328' }, rules: ['service-port/not-decimal'] },
  {
    title: 'port hex max',
    annotations: { [`${K}service-port`]: '0XFFFF' },
    rules: ['service-port/not-decimal'],
  },
  { title: 'port octal', annotations: { [`${K}service-port`]: '010' }, rules: ['service-port/not-decimal'] },
  {
    title: 'port octal 0o',
    annotations: { [`${K}service-port`]: '0o177777' },
    rules: ['service-port/not-decimal'],
  },
  {
    title: 'port binary',
    annotations: { [`${K}service-port`]: '0b_1010' },
    rules: ['service-port/not-decimal'],
  },
  { title: 'port plus', annotations: { [`${K}service-port`]: '+80' }, rules: ['service-port/not-decimal'] },
  {
    title: 'port underscore',
    annotations: { [`${K}service-port`]: '65_535' },
    rules: ['service-port/not-decimal'],
  },
  {
    title: 'port underscore above range',
    annotations: { [`${K}service-port`]: '65_536' },
    rules: ['service-port/out-of-range'],
  },
  {
    title: 'port hex above range',
    annotations: { [`${K}service-port`]: '0x10000' },
    rules: ['service-port/out-of-range'],
  },
  {
    title: 'port octal above range',
    annotations: { [`${K}service-port`]: '0200000' },
    rules: ['service-port/out-of-range'],
  },
  { title: 'port hex zero', annotations: { [`${K}service-port`]: '0x0' }, rules: ['service-port/zero'] },
  // consul-k8s: "" and 0 both mean "no port given" (the first port is used).
  { title: 'port empty string', annotations: { [`${K}service-port`]: '' }, rules: [] },
  { title: 'port zero', annotations: { [`${K}service-port`]: '0' }, rules: ['service-port/zero'] },
  {
    title: 'port double zero',
    annotations: { [`${K}service-port`]: '00' },
    rules: ['service-port/zero'],
  },
  { title: 'port big', annotations: { [`${K}service-port`]: '70000' }, rules: ['service-port/out-of-range'] },
  {
    title: 'port negative',
    annotations: { [`${K}service-port`]: '-5' },
    rules: ['service-port/out-of-range'],
  },
  {
    title: 'port negative zero',
    annotations: { [`${K}service-port`]: '-0' },
    rules: ['service-port/zero'],
  },
  {
    title: 'port unknown name',
    annotations: { [`${K}service-port`]: 'https' },
    rules: ['service-port/unknown-name'],
  },
  {
    title: 'port unknown, no names',
    annotations: { [`${K}service-port`]: 'https' },
    ports: [undefined],
    rules: ['service-port/unknown-name'],
  },
  // Values no port name can be: refused (consul-k8s would take them for an unknown name).
  {
    title: 'port invalid name',
    annotations: { [`${K}service-port`]: 'not a port!' },
    rules: ['service-port/invalid'],
  },
  {
    title: 'port upper-case name',
    annotations: { [`${K}service-port`]: 'HTTP' },
    rules: ['service-port/invalid'],
  },
  {
    title: 'port bad underscores',
    annotations: { [`${K}service-port`]: '8__080' },
    rules: ['service-port/invalid'],
  },
  {
    title: 'port named like a number',
    annotations: { [`${K}service-port`]: '08' },
    rules: ['service-port/unknown-name'],
  },
  { title: 'port declared', annotations: { [`${K}service-port`]: '8080' }, rules: [] },
  {
    title: 'port not declared',
    annotations: { [`${K}service-port`]: '443' },
    rules: ['service-port/not-declared'],
  },
  {
    title: 'meta bad key',
    annotations: { [`${K}service-meta-a.b`]: 'x' },
    rules: ['service-meta/invalid-key'],
  },
  {
    title: 'meta empty key',
    annotations: { [`${K}service-meta-`]: 'x' },
    rules: ['service-meta/invalid-key'],
  },
  {
    title: 'meta long key',
    annotations: { [`${K}service-meta-${'k'.repeat(129)}`]: 'x' },
    rules: ['service-meta/key-too-long'],
  },
  {
    title: 'meta reserved',
    annotations: { [`${K}service-meta-consul-x`]: 'x' },
    rules: ['service-meta/reserved-key'],
  },
  // Consul checks its reserved prefix with strings.HasPrefix: case-sensitive.
  { title: 'meta reserved, other case', annotations: { [`${K}service-meta-Consul-x`]: 'x' }, rules: [] },
  {
    title: 'meta ownership',
    annotations: { [`${K}service-meta-external-k8s-ns`]: 'x' },
    rules: ['service-meta/ownership-key'],
  },
  {
    title: 'meta source',
    annotations: { [`${K}service-meta-external-source`]: 'x' },
    rules: ['service-meta/ownership-key'],
  },
  {
    title: 'meta long value',
    annotations: { [`${K}service-meta-team`]: 'v'.repeat(513) },
    rules: ['service-meta/value-too-long'],
  },
  // Consul counts meta values in UTF-8 bytes: 171 three-byte characters are 513 bytes.
  {
    title: 'meta long value in bytes',
    annotations: { [`${K}service-meta-team`]: '界'.repeat(171) },
    rules: ['service-meta/value-too-long'],
  },
  { title: 'meta value 510 bytes', annotations: { [`${K}service-meta-team`]: '界'.repeat(170) }, rules: [] },
  {
    title: 'meta value 512 bytes, astral',
    annotations: { [`${K}service-meta-team`]: '😀'.repeat(128) },
    rules: [],
  },
  {
    title: 'meta port key',
    annotations: { [`${K}service-meta-port-x`]: 'v' },
    rules: ['service-meta/port-key'],
  },
  {
    title: 'meta fits consul-k8s, not the registrar',
    annotations: meta(56),
    rules: ['service-meta/no-room'],
  },
  { title: 'meta too many', annotations: meta(63), rules: ['service-meta/too-many', 'service-meta/no-room'] },
  {
    title: 'meta fits with external IPs',
    annotations: meta(60),
    externalIPs: ['192.0.2.10'],
    rules: ['service-meta/no-room'],
  },
  {
    title: 'weight bad',
    annotations: { [`${K}service-weight`]: '0' },
    type: 'LoadBalancer',
    rules: ['service-weight/invalid'],
  },
  {
    title: 'weight huge',
    annotations: { [`${K}service-weight`]: '2147483648' },
    type: 'LoadBalancer',
    rules: ['service-weight/invalid'],
  },
  {
    title: 'weight above 65535',
    annotations: { [`${K}service-weight`]: '65536' },
    type: 'LoadBalancer',
    rules: ['service-weight/invalid'],
  },
  {
    title: 'weight 65535',
    annotations: { [`${K}service-weight`]: '65535' },
    type: 'LoadBalancer',
    rules: [],
  },
  {
    title: 'weight beyond int64',
    annotations: { [`${K}service-weight`]: '9223372036854775808' },
    type: 'LoadBalancer',
    rules: ['service-weight/invalid'],
  },
  {
    title: 'weight int64 max',
    annotations: { [`${K}service-weight`]: '9223372036854775807' },
    type: 'LoadBalancer',
    rules: ['service-weight/invalid'],
  },
  // Go strconv.Atoi: a sign and leading zeros are accepted; "" is skipped.
  {
    title: 'weight Atoi forms',
    annotations: { [`${K}service-weight`]: '+05' },
    type: 'LoadBalancer',
    rules: [],
  },
  {
    title: 'weight Atoi one',
    annotations: { [`${K}service-weight`]: '+01' },
    type: 'LoadBalancer',
    rules: ['service-weight/no-effect'],
  },
  { title: 'weight empty', annotations: { [`${K}service-weight`]: '' }, type: 'LoadBalancer', rules: [] },
  {
    title: 'weight negative zero',
    annotations: { [`${K}service-weight`]: '-0' },
    type: 'LoadBalancer',
    rules: ['service-weight/invalid'],
  },
  {
    title: 'weight one',
    annotations: { [`${K}service-weight`]: '1' },
    type: 'LoadBalancer',
    rules: ['service-weight/no-effect'],
  },
  {
    title: 'weight ignored',
    annotations: { [`${K}service-weight`]: '5' },
    rules: ['service-weight/ignored-for-type'],
  },
  {
    title: 'weight with external IPs',
    annotations: { [`${K}service-weight`]: '5' },
    externalIPs: ['192.0.2.10'],
    rules: [],
  },
  { title: 'unknown key', annotations: { [`${K}servce-name`]: 'x' }, rules: ['annotation/unknown-key'] },
  {
    title: 'unknown key, case',
    annotations: { [`${K}Service-Name`]: 'x' },
    rules: ['annotation/unknown-key'],
  },
  {
    title: 'generator keys',
    annotations: { [`${K}synced`]: 'true', [`${K}consul-service-name`]: 'x' },
    rules: [],
  },
  {
    title: 'ExternalName with sync false',
    annotations: { [`${K}service-sync`]: 'false', [`${K}synced`]: 'true' },
    type: 'ExternalName',
    rules: [],
  },
  {
    title: 'ExternalName, bad values are not checked',
    annotations: { [`${K}service-port`]: '0x1', [`${K}service-sync`]: 'yes' },
    type: 'ExternalName',
    rules: ['annotation/external-name', 'annotation/external-name'],
  },
  {
    title: 'several errors at once',
    annotations: {
      [`${K}service-port`]: 'no pe',
      [`${K}service-sync`]: 'maybe',
      [`${K}service-meta-x.y`]: 'x',
    },
    rules: ['service-meta/invalid-key', 'service-port/invalid', 'service-sync/invalid'],
  },
  // UPDATE: the meta count ratchets (allowed over the limit while it does not grow).
  {
    title: 'update keeps too many meta pairs',
    annotations: { ...meta(62), [`${K}service-meta-other`]: 'v' },
    oldAnnotations: meta(63),
    rules: ['service-meta/too-many', 'service-meta/no-room'],
  },
  {
    title: 'update grows too many meta pairs',
    annotations: meta(64),
    oldAnnotations: meta(63),
    rules: ['service-meta/too-many', 'service-meta/no-room'],
  },
  // UPDATE: ratcheting per annotation.
  {
    title: 'update keeps a bad value',
    annotations: { [`${K}service-port`]: '0x10000', [`${K}service-name`]: 'web' },
    oldAnnotations: { [`${K}service-port`]: '0x10000' },
    rules: ['service-port/out-of-range'],
  },
  {
    title: 'update changes a bad value to another',
    annotations: { [`${K}service-port`]: '70000' },
    oldAnnotations: { [`${K}service-port`]: '0x10000' },
    rules: ['service-port/out-of-range'],
  },
  {
    title: 'update adds a bad meta key next to an old one',
    annotations: { [`${K}service-meta-a.b`]: 'x', [`${K}service-meta-c.d`]: 'y' },
    oldAnnotations: { [`${K}service-meta-a.b`]: 'x' },
    rules: ['service-meta/invalid-key', 'service-meta/invalid-key'],
  },
  {
    title: 'update keeps a bad meta key',
    annotations: { [`${K}service-meta-a.b`]: 'x', [`${K}service-sync`]: 'true' },
    oldAnnotations: { [`${K}service-meta-a.b`]: 'x' },
    rules: ['service-meta/invalid-key'],
  },
];

/** The Service of a case, as the API server hands it to admission (defaults filled in). */
export function serviceFor(
  c: Pick<PolicyCase, 'type' | 'externalIPs' | 'ports'>,
  name: string,
  namespace: string,
  annotations: Record<string, string>,
) {
  const type = c.type ?? 'ClusterIP';
  const spec: Record<string, unknown> =
    type === 'ExternalName'
      ? { type, externalName: 'db.example.com' }
      : {
          type,
          ports: (c.ports ?? ['http', 'grpc']).map((portName, i) => ({
            ...(portName === undefined ? {} : { name: portName }),
            protocol: 'TCP',
            port: 80 + i,
            targetPort: 8080 + i,
          })),
          ...(type === 'LoadBalancer' ? { allocateLoadBalancerNodePorts: false } : {}),
          ...(c.externalIPs ? { externalIPs: c.externalIPs } : {}),
        };
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, annotations }, spec };
}
