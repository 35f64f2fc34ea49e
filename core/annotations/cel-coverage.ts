/**
 * What the policy covers of the annotation rules: the rules CEL cannot express, and why, and for
 * each covered rule the words the webhook's and the policy's messages share (the agreement tests
 * check both sides with them). Pure data.
 */
import { RULES } from './rules';

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
