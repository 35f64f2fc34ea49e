/**
 * The policy's variables and the meta-pair counting in CEL: which `service-meta-<KEY>`
 * annotations count towards Consul's 64 pairs, what the sync adds per instance, and the room
 * left, as the meta checks (check-meta.ts) count them. Pure data and string builders.
 */
import { SERVICE_META_PREFIX } from './keys';
import { MAX_META_KEY_LENGTH, MAX_META_PAIRS, MAX_META_VALUE_BYTES } from './check-meta';
import { celString, re, utf8 } from './cel-syntax';
import {
  CONSUL_K8S_OWNERSHIP_META_KEYS,
  ENDPOINT_META_KEYS,
  META_EXTERNAL_SOURCE,
  OWNERSHIP_META_KEYS,
  SYNC_OWNED_META_PREFIX,
} from '../consul/meta';

export const META_KEY = `k.substring(${SERVICE_META_PREFIX.length})`;

/** CEL: meta key `m` is one only the sync may set, as `isSyncOwnedMetaKey` (core/consul/meta.ts) decides. */
export const syncOwnedKey = (m: string) =>
  `${m} == ${celString(META_EXTERNAL_SOURCE)} || ${m}.startsWith(${celString(SYNC_OWNED_META_PREFIX)})`;
/** CEL: the negation of `syncOwnedKey`, as two conjuncts. */
const notSyncOwnedKey = (m: string) =>
  `${m} != ${celString(META_EXTERNAL_SOURCE)} && !${m}.startsWith(${celString(SYNC_OWNED_META_PREFIX)})`;

/** CEL: the meta annotation `k` of `map` raises no error (it counts towards the 64 pairs). */
export const metaValid = (map: string) =>
  [
    `${META_KEY}.matches(${re('metaKey')})`,
    `${META_KEY}.size() <= ${MAX_META_KEY_LENGTH}`,
    `!${META_KEY}.startsWith('consul-')`,
    notSyncOwnedKey(META_KEY),
    `${utf8(`${map}[k]`)} <= ${MAX_META_VALUE_BYTES}`,
  ].join(' && ');
const metaCountOf = (map: string) =>
  `${map}.filter(k, k.startsWith(${celString(SERVICE_META_PREFIX)}) && ${metaValid(map)}).size()`;
/** The meta pairs consul-k8s adds: its ownership keys and one `port-<name>` per port (names are unique). */
const syncAddsFor = (ports: string) => `(${CONSUL_K8S_OWNERSHIP_META_KEYS.length} + ${ports}.size())`;

/** Policy variables the fragments use (name -> CEL), in evaluation order. */
export const CEL_VARIABLES: Array<{ name: string; expression: string }> = [
  { name: 'a', expression: 'object.metadata.annotations' },
  { name: 'synced', expression: "!has(object.spec.type) || object.spec.type != 'ExternalName'" },
  { name: 'ports', expression: 'has(object.spec.ports) ? object.spec.ports : []' },
  { name: 'metaCount', expression: metaCountOf('variables.a') },
  {
    name: 'oldMetaTotal',
    expression: `oldObject == null ? 0 : (has(oldObject.metadata.annotations) ? ${metaCountOf('oldObject.metadata.annotations')} : 0) + ${syncAddsFor('(has(oldObject.spec.ports) ? oldObject.spec.ports : [])')}`,
  },
];
export const syncAdds = syncAddsFor('variables.ports');
export const metaTotal = `(variables.metaCount + ${syncAdds})`;
/** CEL: instances come from endpoints (no external IPs, not a LoadBalancer: the webhook's default settings). */
export const endpointBased = `!(has(object.spec.externalIPs) && object.spec.externalIPs.size() > 0) && !(has(object.spec.type) && object.spec.type == 'LoadBalancer')`;
export const registrarAdds = `(${OWNERSHIP_META_KEYS.length} + variables.ports.size() + (${endpointBased} ? ${ENDPOINT_META_KEYS.length} : 0))`;
export const roomFor = (adds: string) => `(${adds} >= ${MAX_META_PAIRS} ? 0 : ${MAX_META_PAIRS} - ${adds})`;
