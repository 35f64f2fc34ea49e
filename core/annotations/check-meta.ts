/**
 * The `service-meta-<KEY>` checks: each key and value against Consul's limits and the keys the
 * sync owns, then the 64-pair limit with the pairs the sync adds per instance (ratcheted on
 * UPDATE: an old excess may stay while it does not grow). Pure.
 */
import { RULES } from './rules';
import { isEndpointBased } from './sync-settings';
import { servicePorts } from './ports';
import {
  CONSUL_K8S_OWNERSHIP_META_KEYS,
  ENDPOINT_META_KEYS,
  META_PORT_PREFIX,
  OWNERSHIP_META_KEYS,
  isSyncOwnedMetaKey,
} from '../consul/meta';
import { showValue, type Findings, type MetaPairs } from './findings';
import type { AnalyzeOptions, ServiceLike } from './types';

// Consul agent/structs/structs.go: metaKeyMaxLength, metaValueMaxLength (bytes), metaMaxKeyPairs,
// metaKeyReservedPrefix (checked with strings.HasPrefix, so case-sensitive).
export const MAX_META_KEY_LENGTH = 128;
export const MAX_META_VALUE_BYTES = 512;
export const MAX_META_PAIRS = 64;
const RESERVED_META_PREFIX = 'consul-';

export function checkMetaEntry(key: string, metaKey: string, value: string, out: Findings): boolean {
  const before = out.errors;
  if (metaKey === '' || !/^[A-Za-z0-9_-]+$/.test(metaKey)) {
    out.add(
      RULES.metaInvalidKey,
      key,
      () => `meta key ${showValue(metaKey)} may only contain letters, digits, "_" and "-"`,
    );
  } else if (metaKey.length > MAX_META_KEY_LENGTH) {
    out.add(
      RULES.metaKeyTooLong,
      key,
      `meta key is ${metaKey.length} characters long; Consul allows ${MAX_META_KEY_LENGTH}`,
    );
  }
  if (metaKey.startsWith(RESERVED_META_PREFIX)) {
    out.add(
      RULES.metaReservedKey,
      key,
      `meta key ${showValue(metaKey)} starts with "${RESERVED_META_PREFIX}", which Consul reserves`,
    );
  }
  if (isSyncOwnedMetaKey(metaKey)) {
    out.add(
      RULES.metaOwnershipKey,
      key,
      `meta key ${showValue(metaKey)} is set by the sync itself (it marks who owns the registration); overrides are refused`,
    );
  }
  // Go's len(value) counts UTF-8 bytes: 300 CJK characters are 900 bytes.
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_META_VALUE_BYTES) {
    out.add(
      RULES.metaValueTooLong,
      key,
      `value is ${bytes} bytes long (UTF-8); Consul allows ${MAX_META_VALUE_BYTES}`,
      value,
    );
  }
  const ok = out.errors === before;
  if (ok && metaKey.startsWith(META_PORT_PREFIX)) {
    out.add(
      RULES.metaPortKey,
      key,
      `meta key ${showValue(metaKey)} may collide with the port-<name> meta the sync adds per port`,
    );
  }
  return ok;
}

/**
 * Meta pairs the sync adds to each instance: `consulK8s` as consul-k8s counts them (external-source,
 * external-k8s-ns, one port-<name> per port); `registrar` adds this registrar's own keys on top
 * (external-k8s-cluster-id, and the endpoint keys on endpoint-based instances).
 */
function syncMetaPairs(service: ServiceLike, options: AnalyzeOptions): MetaPairs {
  const portKeys = new Set(
    servicePorts(service).map((p) => `${META_PORT_PREFIX}${typeof p.name === 'string' ? p.name : ''}`),
  );
  const syncLoadBalancerEndpoints = options.syncSettings?.syncLoadBalancerEndpoints ?? false;
  const endpointKeys = isEndpointBased(service, { syncLoadBalancerEndpoints })
    ? ENDPOINT_META_KEYS.length
    : 0;
  const consulK8s = CONSUL_K8S_OWNERSHIP_META_KEYS.length + portKeys.size;
  return { consulK8s, registrar: OWNERSHIP_META_KEYS.length + portKeys.size + endpointKeys };
}

/**
 * Keeps the meta that fits Consul's 64-pair limit; reports what does not. On UPDATE a limit that
 * was already exceeded is ratcheted: allowed while the count does not grow past the old one.
 */
export function limitMeta(
  entries: Array<[string, string, string]>,
  service: ServiceLike,
  options: AnalyzeOptions,
  out: Findings,
): { meta: Record<string, string>; pairs: MetaPairs } {
  const added = syncMetaPairs(service, options);
  const pairs = { consulK8s: entries.length + added.consulK8s, registrar: entries.length + added.registrar };
  const before = out.previousMetaPairs();
  const room = Math.max(0, MAX_META_PAIRS - added.registrar);
  const consulK8sRoom = Math.max(0, MAX_META_PAIRS - added.consulK8s);
  if (entries.length > room && room < consulK8sRoom) {
    out.addCount(
      RULES.metaNoRoom,
      entries[room]![0],
      `${entries.length} meta pairs + ${added.registrar} the registrar adds per instance exceed Consul's limit of ${MAX_META_PAIRS}; this and later keys are dropped`,
      pairs.registrar,
      before?.registrar,
    );
  }
  if (entries.length > consulK8sRoom) {
    const was = before && before.consulK8s > MAX_META_PAIRS ? ` (was ${before.consulK8s})` : '';
    out.addCount(
      RULES.metaTooMany,
      entries[consulK8sRoom]![0],
      `${pairs.consulK8s} meta pairs (${entries.length} from annotations + ${added.consulK8s} the sync adds) exceed Consul's limit of ${MAX_META_PAIRS}${was}; this and later keys are dropped`,
      pairs.consulK8s,
      before?.consulK8s,
    );
  }
  // fromEntries defines own properties, so a meta key like `__proto__` stays plain data.
  const meta = Object.fromEntries(entries.slice(0, room).map(([, metaKey, value]) => [metaKey, value]));
  return { meta, pairs };
}
