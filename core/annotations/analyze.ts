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
  KNOWN_KEYS,
  REGISTRAR_KEYS,
  SERVICE_META_PREFIX,
  SERVICE_NAME,
  SERVICE_PORT,
  SERVICE_SYNC,
  SERVICE_TAGS,
  SERVICE_WEIGHT,
} from './keys';
import { goParseBool } from '../go/strconv';
import { RULES } from './rules';
import { isPodAnnotationKey, suggestKey } from './suggest';
import { isNamespaceAllowed, serviceType } from './sync-settings';
import { Findings, showKey, showValue, type Previous, type MetaPairs } from './findings';
import { checkName } from './check-name';
import { checkPort } from './check-port';
import { checkTags } from './check-tags';
import { checkMetaEntry, limitMeta } from './check-meta';
import { checkWeight } from './check-weight';
import type { Analysis, AnalyzeOptions, ServiceLike, SyncIntent } from './types';

export const DEFAULT_SYNC_TAG = 'k8s';

/** A sync tag (`--consul-k8s-tag`) must be non-empty without surrounding whitespace. */
export function isValidSyncTag(tag: string): boolean {
  return tag.trim() !== '' && tag.trim() === tag;
}

function annotationsOf(service: ServiceLike): Record<string, unknown> {
  const annotations: unknown = service?.metadata?.annotations;
  return annotations && typeof annotations === 'object' && !Array.isArray(annotations)
    ? (annotations as Record<string, unknown>)
    : {};
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
