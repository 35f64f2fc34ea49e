/** Every `consul.hashicorp.com/*` key this project reads or writes on a Service. */
export const ANNOTATION_PREFIX = 'consul.hashicorp.com/';

/** Keys the registrar reads (consul-k8s names and meaning). */
export const SERVICE_SYNC = `${ANNOTATION_PREFIX}service-sync`;
export const SERVICE_NAME = `${ANNOTATION_PREFIX}service-name`;
export const SERVICE_PORT = `${ANNOTATION_PREFIX}service-port`;
export const SERVICE_TAGS = `${ANNOTATION_PREFIX}service-tags`;
export const SERVICE_META_PREFIX = `${ANNOTATION_PREFIX}service-meta-`;
export const SERVICE_WEIGHT = `${ANNOTATION_PREFIX}service-weight`;

/** Keys the generator writes on the ExternalName Services it renders. */
export const SYNCED = `${ANNOTATION_PREFIX}synced`;
export const CONSUL_SERVICE_NAME = `${ANNOTATION_PREFIX}consul-service-name`;
export const CONSUL_SERVICE_TAGS = `${ANNOTATION_PREFIX}consul-service-tags`;

export const GENERATOR_KEYS: readonly string[] = [
  SYNCED,
  SERVICE_SYNC,
  CONSUL_SERVICE_NAME,
  CONSUL_SERVICE_TAGS,
];

/** The keys the registrar reads (besides `service-meta-<KEY>`, matched by SERVICE_META_PREFIX). */
export const REGISTRAR_KEYS: readonly string[] = [
  SERVICE_SYNC,
  SERVICE_NAME,
  SERVICE_PORT,
  SERVICE_TAGS,
  SERVICE_WEIGHT,
];
/** The registrar's keys, then the generator's own: every other key under the prefix is unknown. */
export const KNOWN_KEYS: readonly string[] = [...new Set([...REGISTRAR_KEYS, ...GENERATOR_KEYS])];

/** Label the generator puts on its Services (consul-k8s convention) and the managed-by label. */
export const SYNCED_LABEL = 'consul';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'consul-k8s-gitops';
