/**
 * Every rule as data: id (stable; a metric label and a doc anchor), severity and when it fires.
 * The checks (`analyze.ts` and `check-*.ts`) raise these rules; `docs.ts` renders them; nothing else defines one.
 */
import type { Severity } from './types';
import {
  SERVICE_META_PREFIX,
  SERVICE_NAME,
  SERVICE_PORT,
  SERVICE_SYNC,
  SERVICE_TAGS,
  SERVICE_WEIGHT,
} from './keys';

export interface Rule {
  readonly id: string;
  readonly severity: Severity;
  readonly when: string;
}

const rule = (id: string, severity: Severity, when: string): Rule => ({ id, severity, when });

export const RULES = {
  notString: rule(
    'annotation/not-a-string',
    'error',
    'the value is not a string (unquoted number or boolean in YAML)',
  ),
  unknownKey: rule(
    'annotation/unknown-key',
    'warning',
    'a `consul.hashicorp.com/` key the sync does not read (with a "did you mean" when close to a known key or differing only in case)',
  ),
  podAnnotation: rule(
    'annotation/pod-annotation',
    'warning',
    'a Pod annotation (connect-inject and friends): it has no effect on a Service',
  ),
  externalName: rule(
    'annotation/external-name',
    'warning',
    'a sync annotation on an `ExternalName` Service, which is never synced',
  ),
  notSynced: rule(
    'sync/not-synced',
    'warning',
    'only with registrar settings given (`lint --registrar-settings`): the Service asks to be synced but the settings exclude it',
  ),

  syncInvalid: rule(
    'service-sync/invalid',
    'error',
    'not exactly one of `1 t T TRUE true True 0 f F FALSE false False` (Go ParseBool)',
  ),

  nameEmpty: rule('service-name/empty', 'error', 'empty or whitespace only'),
  nameTooLong: rule('service-name/too-long', 'error', 'longer than 255 characters after trimming'),
  nameInvalidCharacter: rule(
    'service-name/invalid-character',
    'error',
    'contains a control character or `/`',
  ),
  nameWhitespace: rule(
    'service-name/whitespace',
    'warning',
    'leading or trailing whitespace (it is trimmed)',
  ),
  nameNotDnsLabel: rule(
    'service-name/not-dns-label',
    'warning',
    'not a DNS label (at most 63 letters, digits and hyphens, no hyphen at either end): Consul DNS cannot resolve it and generators in other clusters must rename it',
  ),

  portEmpty: rule(
    'service-port/empty',
    'error',
    'whitespace only (an empty value `""` is accepted and means the first port, as in consul-k8s)',
  ),
  portNotDecimal: rule(
    'service-port/not-decimal',
    'warning',
    'a Go integer literal from 1 to 65535 other than plain decimal (`0x2328`, `010`, `+80`, `1_000`): consul-k8s reads it with Go ParseInt base 0 (`0x2328` is 9000, `010` is 8) and the registrar registers that port too; the message gives the decimal to write',
  ),
  portOutOfRange: rule(
    'service-port/out-of-range',
    'error',
    'a number outside 1-65535 in any Go integer form (`-5`, `70000`, `0x10000`), which consul-k8s would register as is',
  ),
  portInvalid: rule(
    'service-port/invalid',
    'error',
    'neither a Go integer literal nor a possible port name (a DNS-1123 label: lowercase letters, digits and `-`, at most 63), e.g. `not a port!` or `HTTP`',
  ),
  portUnknownName: rule(
    'service-port/unknown-name',
    'warning',
    'a possible port name that matches no `spec.ports[].name`: consul-k8s registers the first Service port on every instance (endpoint instances too, instead of their endpoint port), and so does the registrar',
  ),
  portZero: rule(
    'service-port/zero',
    'warning',
    '`0` in any Go integer form (`0`, `00`, `0x0`, `-0`), which consul-k8s reads as "no port given": the default port is used',
  ),
  portNotDeclared: rule(
    'service-port/not-declared',
    'warning',
    'a decimal number that is not a `port`, `targetPort` or `nodePort` of the Service',
  ),

  tagsEmpty: rule('service-tags/empty-tag', 'warning', 'an empty or whitespace-only tag (`a,,b`, `a, ,b`)'),
  tagsWhitespace: rule('service-tags/whitespace', 'warning', 'a tag with whitespace inside it'),
  tagsDuplicate: rule('service-tags/duplicate', 'warning', 'the same tag twice'),
  tagsSyncTag: rule(
    'service-tags/sync-tag',
    'warning',
    'a tag equal to the sync tag (`--consul-k8s-tag`, default `k8s`), which the registrar adds anyway',
  ),

  metaInvalidKey: rule(
    'service-meta/invalid-key',
    'error',
    'KEY is empty or has characters other than letters, digits, `_` and `-`',
  ),
  metaKeyTooLong: rule('service-meta/key-too-long', 'error', 'KEY longer than 128 characters'),
  metaValueTooLong: rule(
    'service-meta/value-too-long',
    'error',
    'value longer than 512 bytes in UTF-8 (Consul counts bytes: 300 CJK characters are 900)',
  ),
  metaReservedKey: rule(
    'service-meta/reserved-key',
    'error',
    'KEY starts with `consul-` (reserved by Consul; the check is case-sensitive, so `Consul-team` is accepted)',
  ),
  metaOwnershipKey: rule(
    'service-meta/ownership-key',
    'error',
    'KEY is one the sync sets itself: `external-source` or any `external-k8s-*` key (`external-k8s-ns`, `external-k8s-cluster-id`, …), which mark who owns a registration',
  ),
  metaPortKey: rule(
    'service-meta/port-key',
    'warning',
    'KEY starts with `port-` and may collide with the `port-<name>` meta the sync adds',
  ),
  metaTooMany: rule(
    'service-meta/too-many',
    'error',
    'more than 64 meta pairs in total, counting the ones the sync adds: `external-source`, `external-k8s-ns` and one `port-<name>` per port (on UPDATE, a Service already over the limit is allowed while the count does not grow)',
  ),
  metaNoRoom: rule(
    'service-meta/no-room',
    'warning',
    'within 64 pairs as counted above, but not with the keys this registrar also adds to each instance (`external-k8s-cluster-id`, and four `external-k8s-*` endpoint keys on endpoint-based instances): the keys that do not fit are dropped',
  ),

  weightInvalid: rule(
    'service-weight/invalid',
    'error',
    'not an integer as Go `strconv.Atoi` reads it (`+5` and `05` are 5), or outside 1-65535 (Consul resets larger weights to 1); an empty value is skipped, as consul-k8s does',
  ),
  weightNoEffect: rule('service-weight/no-effect', 'warning', '`1`, the default weight'),
  weightIgnored: rule(
    'service-weight/ignored-for-type',
    'warning',
    "the Service's instances ignore weights: ClusterIP, NodePort, or LoadBalancer synced by endpoints (weights apply to external-IP and LoadBalancer ingress instances)",
  ),
} as const satisfies Record<string, Rule>;

/** One annotation as the documentation presents it. */
export interface AnnotationSpec {
  key: string;
  summary: string;
  accepts: string;
  rules: Rule[];
}

export const ANNOTATION_SPECS: AnnotationSpec[] = [
  {
    key: SERVICE_SYNC,
    summary:
      'Sync this Service to Consul (`true`) or not (`false`), overriding `--k8s-default-sync`. Namespace filters and `--sync-clusterip-services` still apply.',
    accepts: '`true` or `false` (or any other Go ParseBool spelling: `1 t T TRUE True 0 f F FALSE False`).',
    rules: [RULES.syncInvalid],
  },
  {
    key: SERVICE_NAME,
    summary: 'The Consul service name, replacing `[--consul-service-prefix]<name>[-<namespace>]`.',
    accepts:
      'A DNS label is best (letters, digits, hyphens, at most 63); any name up to 255 characters without `/` or control characters is accepted.',
    rules: [
      RULES.nameEmpty,
      RULES.nameTooLong,
      RULES.nameInvalidCharacter,
      RULES.nameWhitespace,
      RULES.nameNotDnsLabel,
    ],
  },
  {
    key: SERVICE_PORT,
    summary:
      'Which port to register, read as consul-k8s reads it. A number: that port on every instance. A port name: on endpoint instances (ClusterIP, LoadBalancer synced by endpoints) the EndpointSlice port of that name, elsewhere the Service port (its node port on NodePort Services); a name that matches no port gives the first Service port everywhere. Default: on endpoint instances the first port of each EndpointSlice, elsewhere the first Service port (its node port on NodePort Services). The annotation is ignored on a Service without ports.',
    accepts:
      'A decimal port number 1-65535 (other Go integer literals such as `0x2328` are read as consul-k8s reads them, with a warning), or the name of one of the Service\'s ports; `""` (empty) means the default.',
    rules: [
      RULES.portEmpty,
      RULES.portInvalid,
      RULES.portOutOfRange,
      RULES.portNotDecimal,
      RULES.portUnknownName,
      RULES.portZero,
      RULES.portNotDeclared,
    ],
  },
  {
    key: SERVICE_TAGS,
    summary: 'Extra Consul tags, added to the sync tag (`k8s`).',
    accepts: 'Comma-separated tags; `\\,` puts a comma inside a tag; each tag is trimmed.',
    rules: [RULES.tagsEmpty, RULES.tagsWhitespace, RULES.tagsDuplicate, RULES.tagsSyncTag],
  },
  {
    key: `${SERVICE_META_PREFIX}<KEY>`,
    summary: 'Adds service meta `<KEY>=<value>` to every instance.',
    accepts:
      "KEY: letters, digits, `_`, `-`, at most 128 characters, not starting with `consul-` or `external-k8s-`, not `external-source`; value: at most 512 bytes (UTF-8); at most 64 pairs including the sync's own.",
    rules: [
      RULES.metaInvalidKey,
      RULES.metaKeyTooLong,
      RULES.metaValueTooLong,
      RULES.metaReservedKey,
      RULES.metaOwnershipKey,
      RULES.metaPortKey,
      RULES.metaTooMany,
      RULES.metaNoRoom,
    ],
  },
  {
    key: SERVICE_WEIGHT,
    summary: 'The `Weights.Passing` of external-IP and LoadBalancer ingress instances (DNS SRV weighting).',
    accepts:
      'An integer from 1 to 65535 as Go `strconv.Atoi` reads it (`+5` and `05` are 5); values above 1 have an effect; `""` (empty) is skipped.',
    rules: [RULES.weightInvalid, RULES.weightNoEffect, RULES.weightIgnored],
  },
];

/** Rules that are not about one annotation's value. */
export const GENERAL_RULES: Rule[] = [
  RULES.notString,
  RULES.unknownKey,
  RULES.podAnnotation,
  RULES.externalName,
  RULES.notSynced,
];

export const ALL_RULES: Rule[] = Object.values(RULES);

/**
 * Warnings about a value consul-k8s reads in a way that decides where traffic goes, and that the
 * registrar reads the same way: it reports them in a Warning Event on the Service, like errors.
 */
export const CONSUL_K8S_READINGS: readonly Rule[] = [RULES.portNotDecimal, RULES.portUnknownName];
