/**
 * The annotation rules as CEL, for `policy export` (a ValidatingAdmissionPolicy the API server
 * evaluates itself). One entry per rule id of `rules.ts`: either the CEL that finds the rule's
 * findings, or why CEL cannot express it. `policy/` assembles these into policy objects; a test
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
  GENERATOR_KEYS,
  SERVICE_META_PREFIX,
  SERVICE_NAME,
  SERVICE_PORT,
  SERVICE_SYNC,
  SERVICE_TAGS,
  SERVICE_WEIGHT,
} from './keys';
import { goParseBool } from '../go/strconv';
import { PORT_NAME } from './ports';
import { RULES } from './rules';
import { MAX_WEIGHT } from './check-weight';
import {
  CONSUL_K8S_OWNERSHIP_META_KEYS,
  ENDPOINT_META_KEYS,
  META_EXTERNAL_SOURCE,
  META_PORT_PREFIX,
  OWNERSHIP_META_KEYS,
} from '../consul/meta';

/** A CEL string literal holding `text` exactly (regex sources included). */
export function celString(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') out += '\\\\';
    else if (char === "'") out += "\\'";
    else if (code >= 0x20 && code < 0x7f) out += char;
    else if (code > 0xffff) out += `\\U${code.toString(16).padStart(8, '0')}`;
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return `'${out}'`;
}

/** What JavaScript's `String.prototype.trim` removes (the rules trim with it), as a regex class body. */
const JS_WHITESPACE = '\t\n\u000b\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
/** Any character (RE2 and JavaScript `u` agree on this class). */
const ANY = '[\u0000-\u{10ffff}]';

/** Regex sources (RE2 and JavaScript `u` read them alike); exported for the agreement tests. */
export const PATTERNS = {
  blank: `^[${JS_WHITESPACE}]*$`,
  leading: `^[${JS_WHITESPACE}]*`,
  trailing: `[${JS_WHITESPACE}]*$`,
  astral: '[\u{10000}-\u{10ffff}]',
  /** A control character or "/" inside the trimmed value (the ones that are whitespace only between other characters). */
  nameBad: `[\u0000-\u0008\u000e-\u001f\u007f-\u009f/]|[^${JS_WHITESPACE}]${ANY}*[\t-\r]${ANY}*[^${JS_WHITESPACE}]`,
  decimal: '^(0|[1-9][0-9]*)$',
  /** Go strconv.ParseInt base 0 syntax (sign, 0x/0o/0b/0 prefixes, underscores between digits). */
  goInt: '^[+-]?(0[xX](_?[0-9a-fA-F])+|0[oO](_?[0-7])+|0[bB](_?[01])+|0(_?[0-7])*|[1-9](_?[0-9])*)$',
  goNegative: '^-',
  /** `-0`, `-0x0`, `-0_0`…: negative zero, which Go reads as 0 (not negative). */
  goNegativeZero: '^-0[xXoObB]?[0_]*$',
  /** A Go integer literal (given one) whose value is 0: `0`, `00`, `0x0`, `-0`, `+0_0`… */
  goZero: '^[+-]?0[xXoObB]?[0_]*$',
  /** A Go integer literal from 1 to 65535, once `_` and `+` are removed (CEL's int() reads decimal only). */
  goPort:
    '^(0[xX]0*[1-9a-fA-F][0-9a-fA-F]{0,3}|0[bB]0*1[01]{0,15}|0[oO]?0*(1[0-7]{0,5}|[2-7][0-7]{0,4})|[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$',
  /** What Kubernetes accepts as a Service port name (core/annotations/ports PORT_NAME). */
  portName: PORT_NAME.source,
  metaKey: '^[A-Za-z0-9_-]+$',
  /** Go strconv.Atoi syntax (consul-k8s reads weights with it): base 10, optional sign, leading zeros. */
  atoi: '^[+-]?[0-9]+$',
  /** An Atoi value from 1 to 99999 (at most five significant digits), so CEL's int() cannot overflow. */
  weightSmall: '^[+]?0*[1-9][0-9]{0,4}$',
  /** An Atoi value of 1 or more. */
  weightPositive: '^[+]?0*[1-9][0-9]*$',
  /** The significant digits of an Atoi value. */
  significant: '[1-9][0-9]*$',
  /** What Consul DNS resolves (core/names isConsulDnsName). */
  dnsLabel: '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$',
} as const;

const re = (name: keyof typeof PATTERNS) => celString(PATTERNS[name]);

/** CEL: the value shown as the webhook shows it (quoted, cut to 40 characters with "…"). */
const show = (v: string) => `('"' + (${v}.size() > 40 ? ${v}.substring(0, 39) + '…' : ${v}) + '"')`;
/** CEL: JavaScript `length` (UTF-16 code units) of a string. */
const utf16 = (v: string) => `(${v}.size() + ${v}.findAll(${re('astral')}).size())`;
/** CEL: Go `len` (UTF-8 bytes) of a string, as Consul counts meta values. */
const utf8 = (v: string) => `bytes(${v}).size()`;
const trimmedUtf16 = (v: string) =>
  `(${utf16(v)} - ${v}.find(${re('leading')}).size() - ${v}.find(${re('trailing')}).size())`;
const blank = (v: string) => `${v}.matches(${re('blank')})`;
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
const MAX_NAME = 255;
const MAX_META_KEY = 128;
const MAX_META_VALUE = 512;
const MAX_META_PAIRS = 64;
/** Go int64, the range of strconv.Atoi: 19 digits compare as strings. */
const INT64_MAX = '9223372036854775807';
const META_KEY = `k.substring(${SERVICE_META_PREFIX.length})`;
const OWNERSHIP_PREFIX = 'external-k8s-';

/** CEL: the meta annotation `k` of `map` raises no error (it counts towards the 64 pairs). */
const metaValid = (map: string) =>
  [
    `${META_KEY}.matches(${re('metaKey')})`,
    `${META_KEY}.size() <= ${MAX_META_KEY}`,
    `!${META_KEY}.startsWith('consul-')`,
    `${META_KEY} != ${celString(META_EXTERNAL_SOURCE)}`,
    `!${META_KEY}.startsWith(${celString(OWNERSHIP_PREFIX)})`,
    `${utf8(`${map}[k]`)} <= ${MAX_META_VALUE}`,
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
const syncAdds = syncAddsFor('variables.ports');
const metaTotal = `(variables.metaCount + ${syncAdds})`;

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

/** CEL: the value trimmed as JavaScript trims it. */
const trimmed = (v: string) =>
  `${v}.substring(${v}.find(${re('leading')}).size(), ${v}.size() - ${v}.find(${re('trailing')}).size())`;
/** CEL: `service-name` raises no error (the warnings on it need that). */
const nameOk = `!${blank('v')} && ${trimmedUtf16('v')} <= ${MAX_NAME} && !v.matches(${re('nameBad')})`;
/** CEL: `service-weight` raises no error ("" is skipped, as consul-k8s does). */
const weightValid = `v.matches(${re('weightSmall')}) && int(v) <= ${MAX_WEIGHT}`;
/** CEL: a weight above the limit that Atoi still reads (within int64). */
const significant = `v.find(${re('significant')})`;
const weightAbove = `v.matches(${re('weightPositive')}) && (${significant}.size() < 19 || (${significant}.size() == 19 && ${significant} <= '${INT64_MAX}'))`;
/** CEL: instances come from endpoints (no external IPs, not a LoadBalancer: the webhook's default settings). */
const endpointBased = `!(has(object.spec.externalIPs) && object.spec.externalIPs.size() > 0) && !(has(object.spec.type) && object.spec.type == 'LoadBalancer')`;
const registrarAdds = `(${OWNERSHIP_META_KEYS.length} + variables.ports.size() + (${endpointBased} ? ${ENDPOINT_META_KEYS.length} : 0))`;
const roomFor = (adds: string) => `(${adds} >= ${MAX_META_PAIRS} ? 0 : ${MAX_META_PAIRS} - ${adds})`;
/** The keys the registrar reads; with the generator's own, every other key under the prefix is unknown. */
const REGISTRAR_KEYS = [SERVICE_SYNC, SERVICE_NAME, SERVICE_PORT, SERVICE_TAGS, SERVICE_WEIGHT];
const KNOWN_KEYS = [...new Set([...REGISTRAR_KEYS, ...GENERATOR_KEYS])];
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
    `!${blank('v')} && ${trimmedUtf16('v')} > ${MAX_NAME}`,
    `${show('v')} + ' is ' + string(${trimmedUtf16('v')}) + ' characters long; the limit is ${MAX_NAME}'`,
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
    `${META_KEY}.matches(${re('metaKey')}) && ${META_KEY}.size() > ${MAX_META_KEY}`,
    `'meta key is ' + string(${META_KEY}.size()) + ' characters long; Consul allows ${MAX_META_KEY}'`,
  ),
  meta(
    RULES.metaReservedKey,
    `${META_KEY}.startsWith('consul-')`,
    `'meta key ' + ${show(META_KEY)} + ' starts with "consul-", which Consul reserves'`,
  ),
  meta(
    RULES.metaOwnershipKey,
    `${META_KEY} == ${celString(META_EXTERNAL_SOURCE)} || ${META_KEY}.startsWith(${celString(OWNERSHIP_PREFIX)})`,
    `'meta key ' + ${show(META_KEY)} + ' is set by the sync itself (it marks who owns the registration); overrides are refused'`,
  ),
  meta(
    RULES.metaValueTooLong,
    `${utf8('variables.a[k]')} > ${MAX_META_VALUE}`,
    `'value is ' + string(${utf8('variables.a[k]')}) + ' bytes long (UTF-8); Consul allows ${MAX_META_VALUE}'`,
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

/** Rules the policy does not express, and why (listed in the exported policy and docs/policy.md). */
export const NOT_EXPRESSIBLE: Record<string, string> = {
  [RULES.notString.id]:
    'needs no policy: the API server itself refuses an annotation value that is not a string before admission',
  [RULES.podAnnotation.id]:
    'a warning telling Pod annotations apart from unknown keys by a prefix list kept in the suggestion code; the policy warns about them as unknown keys (without the "did you mean")',
  [RULES.notSynced.id]: "needs the registrar's settings (`--warn-unsynced`), which a policy does not have",
  [RULES.tagsEmpty.id]:
    "a warning on consul-k8s's escape-aware tag split (`\\,`), which CEL's split cannot reproduce",
  [RULES.tagsWhitespace.id]:
    "a warning on consul-k8s's escape-aware tag split (`\\,`), which CEL's split cannot reproduce",
  [RULES.tagsDuplicate.id]:
    "a warning on consul-k8s's escape-aware tag split (`\\,`), which CEL's split cannot reproduce",
  [RULES.tagsSyncTag.id]:
    "a warning on consul-k8s's escape-aware tag split and on the registrar's `--consul-k8s-tag`",
};

/**
 * For each covered rule, words that the webhook's message and the policy's message both contain:
 * "the policy says what the webhook says" is tested with these (core/annotations tests the
 * webhook side, the real-server suite the policy side).
 */
export const CEL_REASONS: Record<string, string> = {
  [RULES.syncInvalid.id]: 'is not a boolean; use "true" or "false"',
  [RULES.nameEmpty.id]: 'is empty; give a Consul service name',
  [RULES.nameTooLong.id]: 'characters long; the limit is 255',
  [RULES.nameInvalidCharacter.id]: 'use letters, digits and hyphens',
  [RULES.portEmpty.id]: 'is whitespace only; use a port number 1-65535 or a port name',
  [RULES.portOutOfRange.id]: 'use a port number 1-65535 or a port name',
  [RULES.portInvalid.id]: 'is neither a port number nor a port name (port names are lowercase letters',
  [RULES.portNotDecimal.id]: 'is not a decimal number: consul-k8s parses Go integer literals',
  [RULES.portUnknownName.id]: 'matches no port name',
  [RULES.weightInvalid.id]: '65535',
  [RULES.metaInvalidKey.id]: 'may only contain letters, digits, "_" and "-"',
  [RULES.metaKeyTooLong.id]: 'characters long; Consul allows 128',
  [RULES.metaReservedKey.id]: 'starts with "consul-", which Consul reserves',
  [RULES.metaOwnershipKey.id]: 'is set by the sync itself',
  [RULES.metaValueTooLong.id]: 'bytes long (UTF-8); Consul allows 512',
  [RULES.metaTooMany.id]: "the sync adds) exceed Consul's limit of 64",
  [RULES.nameWhitespace.id]: 'has surrounding whitespace; it is trimmed to',
  [RULES.nameNotDnsLabel.id]: 'is not a DNS label (letters, digits, hyphens, max 63)',
  [RULES.portZero.id]: '0 means the first port (as in consul-k8s)',
  [RULES.portNotDeclared.id]: 'is not a port, targetPort or nodePort of this Service',
  [RULES.metaPortKey.id]: 'may collide with the port-<name> meta the sync adds per port',
  [RULES.metaNoRoom.id]: "the registrar adds per instance exceed Consul's limit of 64",
  [RULES.weightNoEffect.id]: '1 is the default weight; the annotation has no effect',
  [RULES.weightIgnored.id]: 'weights apply to external-IP and LoadBalancer ingress instances',
  [RULES.unknownKey.id]: 'is not an annotation the sync reads',
  [RULES.externalName.id]: 'ExternalName Services are not synced to Consul; the annotation has no effect',
};
