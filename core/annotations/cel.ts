/**
 * The annotation rules as CEL, for `policy export` (a ValidatingAdmissionPolicy the API server
 * evaluates itself). One entry per rule id of `rules.ts`: either the CEL that finds the rule's
 * findings, or why CEL cannot express it (cel-coverage.ts). `policy/` assembles these into policy objects; a test
 * fails when a rule id is neither here nor in NOT_EXPRESSIBLE, and the real-server suite checks
 * each expression against `analyzeService` on a real kube-apiserver.
 *
 * Conventions of the fragments below (filled in by `policy/`):
 * - `variables.a` is `object.metadata.annotations` (the match condition guarantees it exists);
 * - `variables.synced` is false for ExternalName Services, whose annotations are never checked;
 * - `variables.ports` is `spec.ports` or `[]`;
 * - `found` is true when the webhook would raise the finding (before ratcheting); `message` is a
 *   CEL string expression saying what the webhook says (its reason; values are quoted but not
 *   JSON-escaped, and "did you mean"-style hints that need Go parsing are left out);
 * - `scope: 'key'` rules are about one annotation `key`, `v` is its value; `scope: 'meta'` rules
 *   run for every `service-meta-<KEY>` annotation `k` with `m` the KEY and `v` the value; errors
 *   are ratcheted per annotation: unchanged in `oldObject`, they do not deny (as the webhook).
 */
import {
  ANNOTATION_PREFIX,
  KNOWN_KEYS,
  REGISTRAR_KEYS,
  SERVICE_META_PREFIX,
  SERVICE_NAME,
  SERVICE_PORT,
  SERVICE_SYNC,
  SERVICE_WEIGHT,
} from './keys';
import { goParseBool } from '../go/strconv';
import { RULES } from './rules';
import { MAX_WEIGHT } from './check-weight';
import { MAX_META_KEY_LENGTH, MAX_META_PAIRS, MAX_META_VALUE_BYTES } from './check-meta';
import { MAX_NAME_LENGTH } from './check-name';
import { blank, celString, re, show, trimmed, trimmedUtf16, utf8 } from './cel-syntax';
import {
  META_KEY,
  endpointBased,
  metaTotal,
  metaValid,
  registrarAdds,
  roomFor,
  syncAdds,
  syncOwnedKey,
} from './cel-variables';
import { META_PORT_PREFIX } from '../consul/meta';

/** CEL: `v` is a Go integer literal other than plain decimal, and not a negative number. */
const goLiteral = `v.matches(${re('goInt')}) && !v.matches(${re('decimal')}) && !(v.matches(${re('goNegative')}) && !v.matches(${re('goNegativeZero')}))`;
/** CEL: such a literal is a port from 1 to 65535. */
const goInRange = `v.replace('_', '').replace('+', '').matches(${re('goPort')})`;
/** CEL: `v` is the name of one of the Service's ports. */
const portNamed = `variables.ports.exists(p, has(p.name) && p.name == v)`;

export interface CelRule {
  ruleId: string;
  severity: 'error' | 'warning';
  /** `each`: for every annotation `k` (warnings only, never ratcheted). */
  scope: 'key' | 'meta' | 'service' | 'each';
  /** Checked on ExternalName Services only (every other rule skips them). */
  unsynced?: boolean;
  /** For `key` rules: the annotation. */
  key?: string;
  found: string;
  /** For `service` rules: when an UPDATE does not deny (key and meta rules ratchet per annotation). */
  ratchet?: string;
  message: string;
}

/** The Go ParseBool spellings, from the rule's own parser (so the list cannot drift). */
const GO_BOOLEANS = ['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'].filter(
  (value) => goParseBool(value) !== undefined,
);
/** Go int64, the range of strconv.Atoi: 19 digits compare as strings. */
const INT64_MAX = '9223372036854775807';

type RuleLike = { id: string; severity: 'error' | 'warning' };
const key = (rule: RuleLike, annotation: string, found: string, message: string): CelRule => ({
  ruleId: rule.id,
  severity: rule.severity,
  scope: 'key',
  key: annotation,
  found,
  message: `${celString(`${annotation}: `)} + ${message}`,
});
const meta = (rule: RuleLike, found: string, message: string): CelRule => ({
  ruleId: rule.id,
  severity: rule.severity,
  scope: 'meta',
  found,
  message: `k + ': ' + ${message}`,
});

/** CEL: `service-name` raises no error (the warnings on it need that). */
const nameOk = `!${blank('v')} && ${trimmedUtf16('v')} <= ${MAX_NAME_LENGTH} && !v.matches(${re('nameBad')})`;
/** CEL: `service-weight` raises no error ("" is skipped, as consul-k8s does). */
const weightValid = `v.matches(${re('weightSmall')}) && int(v) <= ${MAX_WEIGHT}`;
/** CEL: a weight above the limit that Atoi still reads (within int64). */
const significant = `v.find(${re('significant')})`;
const weightAbove = `v.matches(${re('weightPositive')}) && (${significant}.size() < 19 || (${significant}.size() == 19 && ${significant} <= '${INT64_MAX}'))`;
const GO_FALSE = GO_BOOLEANS.filter((value) => goParseBool(value) === false);

export const CEL_RULES: CelRule[] = [
  key(
    RULES.syncInvalid,
    SERVICE_SYNC,
    `!(v in [${GO_BOOLEANS.map(celString).join(', ')}])`,
    `${show('v')} + ' is not a boolean; use "true" or "false" (consul-k8s ignores it and uses the default)'`,
  ),
  key(
    RULES.nameEmpty,
    SERVICE_NAME,
    blank('v'),
    `'is empty; give a Consul service name or remove the annotation'`,
  ),
  key(
    RULES.nameTooLong,
    SERVICE_NAME,
    `!${blank('v')} && ${trimmedUtf16('v')} > ${MAX_NAME_LENGTH}`,
    `${show('v')} + ' is ' + string(${trimmedUtf16('v')}) + ' characters long; the limit is ${MAX_NAME_LENGTH}'`,
  ),
  key(
    RULES.nameInvalidCharacter,
    SERVICE_NAME,
    `v.matches(${re('nameBad')})`,
    `${show('v')} + ' contains "/" or a control character; use letters, digits and hyphens'`,
  ),
  key(
    RULES.portEmpty,
    SERVICE_PORT,
    `v != '' && ${blank('v')}`,
    `'is whitespace only; use a port number 1-65535 or a port name'`,
  ),
  key(
    RULES.portOutOfRange,
    SERVICE_PORT,
    `(v.matches(${re('decimal')}) && v != '0' && (v.size() > 5 || int(v) > 65535)) || (v.matches(${re('goInt')}) && v.matches(${re('goNegative')}) && !v.matches(${re('goNegativeZero')})) || (${goLiteral} && !v.matches(${re('goZero')}) && !${goInRange})`,
    `${show('v')} + ' is out of range or negative; use a port number 1-65535 or a port name'`,
  ),
  key(
    RULES.portInvalid,
    SERVICE_PORT,
    `!${blank('v')} && !v.matches(${re('goInt')}) && !v.matches(${re('portName')}) && !${portNamed}`,
    `${show('v')} + ' is neither a port number nor a port name (port names are lowercase letters, digits and "-"); use a port number 1-65535 or a port name'`,
  ),

  key(
    RULES.weightInvalid,
    SERVICE_WEIGHT,
    `v != '' && !(${weightValid})`,
    `(${weightAbove} ? ${significant} + ' is above ${MAX_WEIGHT}, the largest weight Consul keeps; it would be reset to 1' : ${show('v')} + ' is not a whole number from 1 to ${MAX_WEIGHT}; consul-k8s ignores it')`,
  ),
  meta(
    RULES.metaInvalidKey,
    `!${META_KEY}.matches(${re('metaKey')})`,
    `'meta key ' + ${show(META_KEY)} + ' may only contain letters, digits, "_" and "-"'`,
  ),
  meta(
    RULES.metaKeyTooLong,
    `${META_KEY}.matches(${re('metaKey')}) && ${META_KEY}.size() > ${MAX_META_KEY_LENGTH}`,
    `'meta key is ' + string(${META_KEY}.size()) + ' characters long; Consul allows ${MAX_META_KEY_LENGTH}'`,
  ),
  meta(
    RULES.metaReservedKey,
    `${META_KEY}.startsWith('consul-')`,
    `'meta key ' + ${show(META_KEY)} + ' starts with "consul-", which Consul reserves'`,
  ),
  meta(
    RULES.metaOwnershipKey,
    syncOwnedKey(META_KEY),
    `'meta key ' + ${show(META_KEY)} + ' is set by the sync itself (it marks who owns the registration); overrides are refused'`,
  ),
  meta(
    RULES.metaValueTooLong,
    `${utf8('variables.a[k]')} > ${MAX_META_VALUE_BYTES}`,
    `'value is ' + string(${utf8('variables.a[k]')}) + ' bytes long (UTF-8); Consul allows ${MAX_META_VALUE_BYTES}'`,
  ),
  {
    ruleId: RULES.metaTooMany.id,
    severity: RULES.metaTooMany.severity,
    scope: 'service',
    found: `variables.metaCount > 0 && ${metaTotal} > ${MAX_META_PAIRS}`,
    ratchet: `oldObject != null && ${metaTotal} <= variables.oldMetaTotal`,
    message: `${celString(`${SERVICE_META_PREFIX}*: `)} + string(${metaTotal}) + ' meta pairs (' + string(variables.metaCount) + ' from annotations + ' + string(${syncAdds}) + ' the sync adds) exceed Consul\\'s limit of ${MAX_META_PAIRS}; the keys that do not fit are dropped'`,
  },

  // Warnings (a second policy, bound with Warn: the webhook allows them with a warning).
  key(
    RULES.nameWhitespace,
    SERVICE_NAME,
    `${nameOk} && (v.find(${re('leading')}).size() > 0 || v.find(${re('trailing')}).size() > 0)`,
    `${show('v')} + ' has surrounding whitespace; it is trimmed to ' + ${show(trimmed('v'))}`,
  ),
  key(
    RULES.portZero,
    SERVICE_PORT,
    `v.matches(${re('goInt')}) && v.matches(${re('goZero')})`,
    `(v == '0' ? '' : ${show('v')} + ' is 0, and ') + '0 means the first port (as in consul-k8s); remove it or name a port'`,
  ),
  key(
    RULES.portNotDecimal,
    SERVICE_PORT,
    `${goLiteral} && ${goInRange}`,
    `${show('v')} + ' is not a decimal number: consul-k8s parses Go integer literals and registers the port it reads; write the port in decimal'`,
  ),
  key(
    RULES.portUnknownName,
    SERVICE_PORT,
    `!v.matches(${re('goInt')}) && v.matches(${re('portName')}) && !${portNamed}`,
    `${show('v')} + ' matches no port name (' + (variables.ports.exists(p, has(p.name) && p.name != '') ? 'declared: ' + variables.ports.filter(p, has(p.name) && p.name != '').map(p, p.name).join(', ') : 'the Service has no named ports') + '); consul-k8s registers the first Service port on every instance'`,
  ),
  key(
    RULES.nameNotDnsLabel,
    SERVICE_NAME,
    `${nameOk} && !${trimmed('v')}.matches(${re('dnsLabel')})`,
    `${show(trimmed('v'))} + ' is not a DNS label (letters, digits, hyphens, max 63); Consul DNS cannot resolve it'`,
  ),
  key(
    RULES.portNotDeclared,
    SERVICE_PORT,
    `v.matches(${re('decimal')}) && v.size() <= 5 && int(v) >= 1 && int(v) <= 65535 && !variables.ports.exists(p, p.port == int(v) || (has(p.targetPort) && p.targetPort == int(v)) || (has(p.nodePort) && p.nodePort == int(v)))`,
    `v + ' is not a port, targetPort or nodePort of this Service'`,
  ),
  meta(
    RULES.metaPortKey,
    `${metaValid('variables.a')} && ${META_KEY}.startsWith(${celString(META_PORT_PREFIX)})`,
    `'meta key ' + ${show(META_KEY)} + ' may collide with the port-<name> meta the sync adds per port'`,
  ),
  {
    ruleId: RULES.metaNoRoom.id,
    severity: RULES.metaNoRoom.severity,
    scope: 'service',
    found: `variables.metaCount > ${roomFor(registrarAdds)} && ${roomFor(registrarAdds)} < ${roomFor(syncAdds)}`,
    message: `${celString(`${SERVICE_META_PREFIX}*: `)} + string(variables.metaCount) + ' meta pairs + ' + string(${registrarAdds}) + ' the registrar adds per instance exceed Consul\\'s limit of ${MAX_META_PAIRS}; the keys that do not fit are dropped'`,
  },
  key(
    RULES.weightNoEffect,
    SERVICE_WEIGHT,
    `v.matches('^[+]?0*1$')`,
    `'1 is the default weight; the annotation has no effect'`,
  ),
  key(
    RULES.weightIgnored,
    SERVICE_WEIGHT,
    `${weightValid} && ${endpointBased}`,
    `'ignored for ' + (has(object.spec.type) ? object.spec.type : 'ClusterIP') + ' Services; weights apply to external-IP and LoadBalancer ingress instances'`,
  ),
  {
    ruleId: RULES.unknownKey.id,
    severity: RULES.unknownKey.severity,
    scope: 'each',
    found: `k.lowerAscii().startsWith(${celString(ANNOTATION_PREFIX)}) && !(k in [${KNOWN_KEYS.map(celString).join(', ')}]) && !k.startsWith(${celString(SERVICE_META_PREFIX)})`,
    message: `k + ': is not an annotation the sync reads'`,
  },
  {
    ruleId: RULES.externalName.id,
    severity: RULES.externalName.severity,
    scope: 'each',
    unsynced: true,
    found: `(k in [${REGISTRAR_KEYS.map(celString).join(', ')}] || k.startsWith(${celString(SERVICE_META_PREFIX)})) && !(k == ${celString(SERVICE_SYNC)} && variables.a[k] in [${GO_FALSE.map(celString).join(', ')}])`,
    message: `k + ': ExternalName Services are not synced to Consul; the annotation has no effect'`,
  },
];
