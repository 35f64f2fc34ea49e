/**
 * The one parser of `consul.hashicorp.com/*` annotations on a Service. It returns what the sync
 * makes of them (the intent) and the problems found (the findings). The webhook and `lint` report
 * the findings; the registrar acts on the intent. Pure: no I/O, never throws on any input.
 *
 * Bounded: time is linear in the size of the annotations (no per-finding rescans, values are shown
 * truncated without copying them), and the findings are capped per rule: past
 * MAX_FINDINGS_PER_RULE, one summary says how many more there are.
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
import { fitsInt64, goAtoi, goIntLiteral, goParseBool } from '../go/strconv';
import { PORT_NAME, servicePortNumber } from './ports';
import { RULES, type Rule } from './rules';
import { hasRepeatedTag, scanTags, TagSet } from './tags';
import { isPodAnnotationKey, suggestKey } from './suggest';
import { isEndpointBased, isNamespaceAllowed, serviceType, weightApplies } from './sync-settings';
import {
  CONSUL_K8S_OWNERSHIP_META_KEYS,
  ENDPOINT_META_KEYS,
  META_PORT_PREFIX,
  OWNERSHIP_META_KEYS,
  isSyncOwnedMetaKey,
} from '../consul/meta';
import { isConsulDnsName } from '../names/dns';
import type { Analysis, AnalyzeOptions, Finding, PortChoice, ServiceLike, SyncIntent } from './types';

export const DEFAULT_SYNC_TAG = 'k8s';

/** A sync tag (`--consul-k8s-tag`) must be non-empty without surrounding whitespace. */
export function isValidSyncTag(tag: string): boolean {
  return tag.trim() !== '' && tag.trim() === tag;
}
const MAX_NAME_LENGTH = 255;
// Consul agent/structs/structs.go: metaKeyMaxLength, metaValueMaxLength (bytes), metaMaxKeyPairs,
// metaKeyReservedPrefix (checked with strings.HasPrefix, so case-sensitive).
const MAX_META_KEY_LENGTH = 128;
const MAX_META_VALUE_BYTES = 512;
const MAX_META_PAIRS = 64;
const RESERVED_META_PREFIX = 'consul-';
/** Consul keeps service weights within 1..65535 and resets others to 1. */
export const MAX_WEIGHT = 65535;
/** Findings kept per rule; the rest are summarised in one finding ("and N more like this"). */
export const MAX_FINDINGS_PER_RULE = 10;

/** Keys the registrar reads, then the generator's own: everything else under the prefix is unknown. */
const REGISTRAR_KEYS = [SERVICE_SYNC, SERVICE_NAME, SERVICE_PORT, SERVICE_TAGS, SERVICE_WEIGHT];
const KNOWN_KEYS = [...new Set([...REGISTRAR_KEYS, ...GENERATOR_KEYS])];

/** Shows a value in a message: quoted, escaped, and short. */
export function showValue(value: string, max = 40): string {
  return JSON.stringify(truncate(value, max));
}

/**
 * Cuts to at most `max` characters (code points, so no emoji is split in half), marking the cut.
 * Reads at most `max` characters of the value, however long it is.
 */
function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  const kept: string[] = [];
  for (const char of value) {
    if (kept.length === max) return `${kept.slice(0, max - 1).join('')}…`;
    kept.push(char);
  }
  return value;
}

/**
 * Annotation keys the API server accepts are at most 317 characters (a 253-character prefix, "/",
 * a 63-character name); longer ones (lint input, hostile requests) are cut in messages.
 */
const MAX_SHOWN_KEY = 320;

function showKey(key: string): string {
  return truncate(key, MAX_SHOWN_KEY);
}

/** The annotations before an UPDATE and the counts they reached, for ratcheting. */
interface Previous {
  annotations: Record<string, unknown>;
  metaPairs: MetaPairs;
}

/** Meta pairs per instance: as consul-k8s counts them, and with this registrar's own keys. */
interface MetaPairs {
  consulK8s: number;
  registrar: number;
}

type Message = string | (() => string);

interface Group {
  kept: number;
  omitted: number;
  first?: Finding;
  sameAnnotation: boolean;
}

/** Collects findings: caps them per rule and marks errors an UPDATE did not make worse. */
class Findings {
  private readonly kept: Finding[] = [];
  private readonly groups = new Map<string, Group>();
  /** Errors raised so far, counted before the cap (checks use it to see if they found one). */
  errors = 0;

  constructor(
    private readonly annotations: Record<string, unknown>,
    private readonly previous: Previous | undefined,
  ) {}

  /** `message` may be a function: it is then only called for findings that are kept. */
  add(rule: Rule, annotation: string, message: Message, value?: string): void {
    this.push(rule, annotation, message, value, this.valueUnchanged(annotation));
  }

  /** A count over a limit: unchanged when the UPDATE does not raise the count past the old one. */
  addCount(rule: Rule, annotation: string, message: string, count: number, previousCount?: number): void {
    const unchanged = previousCount !== undefined && count <= previousCount;
    this.push(rule, annotation, message, undefined, unchanged);
  }

  /** Count of the previous object, when there is one. */
  previousMetaPairs(): MetaPairs | undefined {
    return this.previous?.metaPairs;
  }

  list(): Finding[] {
    const summaries: Finding[] = [];
    for (const group of this.groups.values()) {
      if (group.omitted === 0 || !group.first) continue;
      const { first } = group;
      const where = group.sameAnnotation ? '' : ' on this and other annotations';
      const more = `and ${group.omitted} more like this${where} (${first.rule})`;
      summaries.push({
        rule: first.rule,
        severity: first.severity,
        annotation: first.annotation,
        message: `${showKey(first.annotation)}: ${more}`,
        omitted: group.omitted,
        ...(first.unchanged ? { unchanged: true } : {}),
      });
    }
    return summaries.length === 0 ? this.kept : [...this.kept, ...summaries];
  }

  private valueUnchanged(annotation: string): boolean {
    const before = this.previous?.annotations;
    return (
      before !== undefined &&
      Object.prototype.hasOwnProperty.call(before, annotation) &&
      before[annotation] === this.annotations[annotation]
    );
  }

  private push(
    rule: Rule,
    annotation: string,
    message: Message,
    value: string | undefined,
    unchanged: boolean,
  ) {
    if (rule.severity === 'error') this.errors++;
    const ratcheted = unchanged && rule.severity === 'error';
    const key = ratcheted ? `${rule.id}|unchanged` : rule.id;
    let group = this.groups.get(key);
    if (!group) {
      group = { kept: 0, omitted: 0, sameAnnotation: true };
      this.groups.set(key, group);
    }
    if (group.kept < MAX_FINDINGS_PER_RULE || !group.first) {
      const finding: Finding = {
        rule: rule.id,
        severity: rule.severity,
        annotation,
        ...(value === undefined ? {} : { value: truncate(value, 64) }),
        message: `${showKey(annotation)}: ${typeof message === 'string' ? message : message()}`,
        ...(ratcheted ? { unchanged: true } : {}),
      };
      if (group.kept < MAX_FINDINGS_PER_RULE) {
        group.kept++;
        this.kept.push(finding);
        return;
      }
      group.first = finding;
    } else if (group.first.annotation !== annotation) {
      group.sameAnnotation = false;
    }
    group.omitted++;
  }
}

function annotationsOf(service: ServiceLike): Record<string, unknown> {
  const annotations: unknown = service?.metadata?.annotations;
  return annotations && typeof annotations === 'object' && !Array.isArray(annotations)
    ? (annotations as Record<string, unknown>)
    : {};
}

function portsOf(service: ServiceLike): Array<Record<string, unknown>> {
  const ports: unknown = service?.spec?.ports;
  return Array.isArray(ports)
    ? ports.filter((p): p is Record<string, unknown> => !!p && typeof p === 'object')
    : [];
}

function checkSync(value: string, out: Findings): boolean | undefined {
  const parsed = goParseBool(value);
  if (parsed === undefined) {
    out.add(
      RULES.syncInvalid,
      SERVICE_SYNC,
      `${showValue(value)} is not a boolean; use "true" or "false" (consul-k8s ignores it and uses the default)`,
      value,
    );
  }
  return parsed;
}

function checkName(value: string, out: Findings): Pick<SyncIntent, 'name' | 'skipReason'> {
  const trimmed = value.trim();
  const shown = showValue(value);
  const errorsBefore = out.errors;
  if (trimmed === '') {
    out.add(
      RULES.nameEmpty,
      SERVICE_NAME,
      'is empty; give a Consul service name or remove the annotation',
      value,
    );
  } else {
    if (trimmed.length > MAX_NAME_LENGTH) {
      out.add(
        RULES.nameTooLong,
        SERVICE_NAME,
        `${shown} is ${trimmed.length} characters long; the limit is ${MAX_NAME_LENGTH}`,
        value,
      );
    }
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    const bad = /[\u0000-\u001f\u007f-\u009f/]/.exec(trimmed);
    if (bad) {
      const what =
        bad[0] === '/'
          ? '"/"'
          : `a control character (U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`;
      out.add(
        RULES.nameInvalidCharacter,
        SERVICE_NAME,
        `${shown} contains ${what}; use letters, digits and hyphens`,
        value,
      );
    }
  }
  if (out.errors > errorsBefore) {
    return { skipReason: `invalid ${SERVICE_NAME} ${shown}` };
  }
  if (trimmed !== value) {
    out.add(
      RULES.nameWhitespace,
      SERVICE_NAME,
      `${shown} has surrounding whitespace; it is trimmed to ${showValue(trimmed)}`,
      value,
    );
  }
  if (!isConsulDnsName(trimmed)) {
    out.add(
      RULES.nameNotDnsLabel,
      SERVICE_NAME,
      `${showValue(trimmed)} is not a DNS label (letters, digits, hyphens, max 63); Consul DNS cannot resolve it`,
      value,
    );
  }
  return { name: trimmed };
}

const MAX_PORT = 65535;

/** What consul-k8s registers for a number outside 1-65535 (ParseInt fails beyond int64: a port name). */
function consulK8sReading(value: bigint): string {
  return fitsInt64(value)
    ? `consul-k8s would register port ${value}`
    : 'consul-k8s would read it as a port name that matches nothing and register the first Service port';
}

/**
 * `service-port` as consul-k8s reads it: a Go integer literal (ParseInt base 0) is that port, 0 is
 * "no port given", anything else is a port name, and a name matching no port gives the first
 * Service port. Readings that may surprise are warnings saying what to write; values no port can
 * have (out of range, or unable to name a port) are errors, and the default applies.
 */
function checkPort(value: string, service: ServiceLike, out: Findings): PortChoice | undefined {
  const shown = showValue(value);
  // consul-k8s: ParseInt("") fails and no port is named "", so the default is used, as when the
  // annotation is absent (Helm renders empty defaults like this).
  if (value === '') return undefined;
  if (value.trim() === '') {
    out.add(
      RULES.portEmpty,
      SERVICE_PORT,
      'is whitespace only; use a port number 1-65535 or a port name',
      value,
    );
    return undefined;
  }
  const ports = portsOf(service);
  // consul-k8s reads service-port only on a Service with ports.
  const choice = (port: PortChoice) => (ports.length > 0 ? port : undefined);
  const literal = goIntLiteral(value);
  if (literal !== undefined) {
    const decimal = /^(0|[1-9][0-9]*)$/.test(value);
    if (literal === BigInt(0)) {
      // consul-k8s: port 0 means "not set": the default is used.
      const read = decimal ? '' : `${shown} is 0, and `;
      out.add(
        RULES.portZero,
        SERVICE_PORT,
        `${read}0 means the first port (as in consul-k8s); remove it or name a port`,
        value,
      );
      return undefined;
    }
    if (literal < BigInt(1) || literal > BigInt(MAX_PORT)) {
      const what = literal < BigInt(0) ? 'negative' : 'out of range';
      out.add(
        RULES.portOutOfRange,
        SERVICE_PORT,
        `${shown} is ${what} (${consulK8sReading(literal)}); use a port number 1-65535 or a port name`,
        value,
      );
      return undefined;
    }
    const number = Number(literal);
    if (!decimal) {
      out.add(
        RULES.portNotDecimal,
        SERVICE_PORT,
        `${shown} is not a decimal number: consul-k8s parses Go integer literals and reads it as ${number}, which is registered; write "${number}"`,
        value,
      );
    } else if (!ports.some((p) => p.port === number || p.targetPort === number || p.nodePort === number)) {
      out.add(
        RULES.portNotDeclared,
        SERVICE_PORT,
        `${number} is not a port, targetPort or nodePort of this Service`,
        value,
      );
    }
    return choice({ kind: 'number', number });
  }
  const names = ports.map((p) => p.name).filter((n): n is string => typeof n === 'string' && n !== '');
  if (names.includes(value)) return { kind: 'name', name: value };
  const declared = names.length > 0 ? `declared: ${names.join(', ')}` : 'the Service has no named ports';
  if (!PORT_NAME.test(value)) {
    out.add(
      RULES.portInvalid,
      SERVICE_PORT,
      `${shown} is neither a port number nor a port name (port names are lowercase letters, digits and "-"; ${declared}); use a port number 1-65535 or a port name`,
      value,
    );
    return undefined;
  }
  const first = servicePortNumber(service, undefined);
  const reading =
    ports.length === 0
      ? 'the Service has no ports, and consul-k8s ignores the annotation'
      : `consul-k8s registers the first Service port, ${first}, on every instance (endpoint instances too, instead of their endpoint port), and so does the registrar; write "${first}" to keep that${names.length > 0 ? `, or one of ${names.join(', ')}` : ''}`;
  out.add(
    RULES.portUnknownName,
    SERVICE_PORT,
    `${shown} matches no port name (${declared}); ${reading}`,
    value,
  );
  return choice({ kind: 'name', name: value });
}

function checkTags(value: string, syncTag: string, out: Findings): string[] {
  const tags: string[] = [];
  const { tags: pieces, skippedEmpty } = scanTags(value);
  const reportSyncTag = () =>
    out.add(
      RULES.tagsSyncTag,
      SERVICE_TAGS,
      () => `tag ${showValue(syncTag)} is the sync tag, which the registrar adds anyway`,
      value,
    );
  if (skippedEmpty > 0 || pieces.includes('')) {
    out.add(
      RULES.tagsEmpty,
      SERVICE_TAGS,
      `${showValue(value)} contains an empty tag; remove the extra comma`,
      value,
    );
  }
  // The usual value (no whitespace, no repeats) needs no per-tag checks beyond the sync tag: one
  // native pass each instead of a hash lookup and a regex per tag (60,000 tags fit in 256 KiB).
  if (!/\s/.test(value) && !hasRepeatedTag(pieces)) {
    const sync = pieces.indexOf(syncTag);
    if (sync < 0) return pieces;
    reportSyncTag();
    return pieces.filter((_tag, index) => index !== sync);
  }
  const seen = new TagSet(pieces.length);
  // By the position of a repeated tag's first occurrence (TagSet.find): one report per tag.
  const reportedDuplicates = new Set<number>();
  for (const tag of pieces) {
    if (tag === '') continue;
    // A repeated tag was checked at its first occurrence: only the repetition is reported.
    const first = seen.find(tag, true);
    if (first >= 0) {
      if (!reportedDuplicates.has(first)) {
        reportedDuplicates.add(first);
        out.add(
          RULES.tagsDuplicate,
          SERVICE_TAGS,
          () => `tag ${showValue(tag)} is listed more than once`,
          value,
        );
      }
      continue;
    }
    if (/\s/.test(tag))
      out.add(RULES.tagsWhitespace, SERVICE_TAGS, () => `tag ${showValue(tag)} contains whitespace`, value);
    if (tag === syncTag) {
      reportSyncTag();
      continue;
    }
    tags.push(tag);
  }
  return tags;
}

function checkMetaEntry(key: string, metaKey: string, value: string, out: Findings): boolean {
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
    portsOf(service).map((p) => `${META_PORT_PREFIX}${typeof p.name === 'string' ? p.name : ''}`),
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
function limitMeta(
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

function checkWeight(
  value: string,
  service: ServiceLike,
  options: AnalyzeOptions,
  out: Findings,
): number | undefined {
  // consul-k8s reads the weight with Go strconv.Atoi ("+5" and "05" are 5) and skips "".
  if (value === '') return undefined;
  const weight = goAtoi(value);
  if (weight === undefined || weight < 1) {
    out.add(
      RULES.weightInvalid,
      SERVICE_WEIGHT,
      `${showValue(value)} is not a whole number from 1 to ${MAX_WEIGHT}; consul-k8s ignores it`,
      value,
    );
    return undefined;
  }
  if (weight > MAX_WEIGHT) {
    out.add(
      RULES.weightInvalid,
      SERVICE_WEIGHT,
      `${weight} is above ${MAX_WEIGHT}, the largest weight Consul keeps; it would be reset to 1`,
      value,
    );
    return undefined;
  }
  if (weight === 1) {
    out.add(
      RULES.weightNoEffect,
      SERVICE_WEIGHT,
      '1 is the default weight; the annotation has no effect',
      value,
    );
  }
  const syncLoadBalancerEndpoints = options.syncSettings?.syncLoadBalancerEndpoints ?? false;
  if (!weightApplies(service, { syncLoadBalancerEndpoints })) {
    const what =
      serviceType(service) === 'LoadBalancer'
        ? 'LoadBalancer Services synced by endpoints'
        : `${serviceType(service)} Services`;
    out.add(
      RULES.weightIgnored,
      SERVICE_WEIGHT,
      `ignored for ${what}; weights apply to external-IP and LoadBalancer ingress instances`,
      value,
    );
  }
  return weight;
}

function checkUnknownKey(key: string, out: Findings): void {
  if (key.startsWith(ANNOTATION_PREFIX) && isPodAnnotationKey(key)) {
    out.add(RULES.podAnnotation, key, 'is a Pod annotation (connect-inject); it has no effect on a Service');
    return;
  }
  // The suggestion is the costly part: only looked for when the finding is kept.
  out.add(RULES.unknownKey, key, () => {
    const suggestion = suggestKey(key, KNOWN_KEYS);
    const caseOnly = suggestion?.toLowerCase() === key.toLowerCase();
    const hint = suggestion
      ? `; did you mean ${showKey(suggestion)}?${caseOnly ? ' (keys are case-sensitive)' : ''}`
      : '; it has no effect';
    return `is not an annotation the sync reads${hint}`;
  });
}

/** Warns when the registrar settings keep a Service that asks to be synced out of Consul. */
function checkSyncSettings(
  service: ServiceLike,
  intent: SyncIntent,
  asksToSync: boolean,
  options: AnalyzeOptions,
  out: Findings,
): void {
  const settings = options.syncSettings;
  if (!settings || intent.sync === false || !asksToSync) return;
  const namespace = service?.metadata?.namespace;
  if (typeof namespace === 'string' && namespace !== '' && !isNamespaceAllowed(namespace, settings)) {
    out.add(
      RULES.notSynced,
      SERVICE_SYNC,
      `namespace ${showValue(namespace)} is excluded by the registrar's namespace settings; annotations cannot override them`,
    );
  } else if (serviceType(service) === 'ClusterIP' && !settings.syncClusterIPServices) {
    out.add(
      RULES.notSynced,
      SERVICE_SYNC,
      'ClusterIP Services are not synced (--sync-clusterip-services=false)',
    );
  } else if (intent.sync === undefined && !settings.defaultSync) {
    out.add(
      RULES.notSynced,
      SERVICE_SYNC,
      `default sync is off; add ${SERVICE_SYNC}: "true" to sync this Service`,
    );
  }
}

/**
 * Analyses a Service. With `options.previous` (the object before an UPDATE), errors the UPDATE did
 * not introduce are marked `unchanged`: the same annotation value as before, or a count that was
 * already over its limit and did not grow.
 */
export function analyzeService(service: ServiceLike, options: AnalyzeOptions = {}): Analysis {
  const { previous, ...rest } = options;
  const before =
    previous === undefined
      ? undefined
      : { annotations: annotationsOf(previous), metaPairs: run(previous, rest, undefined).metaPairs };
  const { intent, out } = run(service, rest, before);
  return { intent, findings: out.list() };
}

function run(
  service: ServiceLike,
  options: AnalyzeOptions,
  previous: Previous | undefined,
): { intent: SyncIntent; out: Findings; metaPairs: MetaPairs } {
  const annotations = annotationsOf(service);
  const out = new Findings(annotations, previous);
  const intent: SyncIntent = { tags: [], meta: {} };
  const syncTag = options.syncTag ?? DEFAULT_SYNC_TAG;
  const isExternalName = serviceType(service) === 'ExternalName';
  const metaEntries: Array<[string, string, string]> = [];
  let asksToSync = false;

  // Keys sorted natively (UTF-16 order, as `<` compares), values looked up: on a set of 10,000
  // keys a third of the time of sorting `Object.entries` with a comparator.
  for (const key of Object.keys(annotations).sort()) {
    const raw = annotations[key];
    const ours = key.startsWith(ANNOTATION_PREFIX);
    if (!ours && key.slice(0, ANNOTATION_PREFIX.length).toLowerCase() !== ANNOTATION_PREFIX) continue;
    if (!ours) {
      checkUnknownKey(key, out);
      continue;
    }
    const isRegistrarKey = REGISTRAR_KEYS.includes(key) || key.startsWith(SERVICE_META_PREFIX);
    if (!isRegistrarKey && !GENERATOR_KEYS.includes(key)) {
      checkUnknownKey(key, out);
      continue;
    }
    if (typeof raw !== 'string') {
      out.add(
        RULES.notString,
        key,
        typeof raw === 'boolean'
          ? 'value must be a string, got a boolean; quote it in YAML (kubectl reads YAML 1.1: unquoted on, off, yes, no, y, n, true, false are booleans)'
          : `value must be a string; quote it in YAML (got ${raw === null ? 'null' : typeof raw})`,
      );
      continue;
    }
    if (!isRegistrarKey) continue; // the generator's own bookkeeping keys
    if (isExternalName) {
      // The generator writes service-sync "false" on its ExternalName Services; anything else asks for a sync.
      const generatorsOwn =
        GENERATOR_KEYS.includes(key) && (key !== SERVICE_SYNC || goParseBool(raw) === false);
      if (!generatorsOwn) {
        out.add(
          RULES.externalName,
          key,
          'ExternalName Services are not synced to Consul; the annotation has no effect',
        );
      }
      continue;
    }
    if (key !== SERVICE_SYNC) asksToSync = true;
    switch (key) {
      case SERVICE_SYNC: {
        const sync = checkSync(raw, out);
        if (sync !== undefined) intent.sync = sync;
        if (sync === true) asksToSync = true;
        break;
      }
      case SERVICE_NAME:
        Object.assign(intent, checkName(raw, out));
        break;
      case SERVICE_PORT: {
        const port = checkPort(raw, service, out);
        if (port) intent.port = port;
        break;
      }
      case SERVICE_TAGS:
        intent.tags = checkTags(raw, syncTag, out);
        break;
      case SERVICE_WEIGHT: {
        const weight = checkWeight(raw, service, options, out);
        if (weight !== undefined) intent.weight = weight;
        break;
      }
      default: {
        const metaKey = key.slice(SERVICE_META_PREFIX.length);
        if (checkMetaEntry(key, metaKey, raw, out)) metaEntries.push([key, metaKey, raw]);
      }
    }
  }

  // Consul rejects a registration with more than 64 meta pairs: keep what fits, report the rest.
  const { meta, pairs } = limitMeta(metaEntries, service, options, out);
  intent.meta = meta;

  checkSyncSettings(service, intent, asksToSync, options, out);
  return { intent, out, metaPairs: pairs };
}
