/** "Did you mean …" for `consul.hashicorp.com/` keys the sync does not read. */
import { distance } from 'fastest-levenshtein';
import { ANNOTATION_PREFIX, SERVICE_META_PREFIX } from './keys';

const META_SUFFIX = SERVICE_META_PREFIX.slice(ANNOTATION_PREFIX.length);

/** Pod-only annotations of consul-k8s (connect-inject, metrics, sidecar settings), by key prefix. */
const POD_KEY_PREFIXES = [
  'connect-',
  'transparent-proxy',
  'envoy-',
  'sidecar-proxy-',
  'consul-sidecar-',
  'enable-metrics',
  'enable-sidecar-proxy',
  'merged-metrics-port',
  'prometheus-',
  'service-metrics-',
  'consul-envoy-',
  'consul-dataplane-',
  'use-proxy-health-check',
  'enable-console-dataplane',
  'kubernetes-service',
  'inject-',
  'proxy-config-map',
  'pod-',
  'consul-namespace',
];

export function isPodAnnotationKey(key: string): boolean {
  const suffix = key.slice(ANNOTATION_PREFIX.length);
  return POD_KEY_PREFIXES.some((prefix) => suffix.startsWith(prefix));
}

/** The known key the user most likely meant, or undefined when nothing is close. */
export function suggestKey(key: string, knownKeys: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const exactButCase = knownKeys.find((known) => known.toLowerCase() === lower);
  if (exactButCase) return exactButCase;
  const suffix = lower.startsWith(ANNOTATION_PREFIX) ? lower.slice(ANNOTATION_PREFIX.length) : lower;
  const originalSuffix = key.slice(key.length - suffix.length);

  // A misspelt meta prefix keeps the user's meta key: `servce-meta-team` -> `service-meta-team`.
  // Only prefixes up to 2 longer than `service-meta-` can be within distance 2 of it, and a longer
  // one is close only when the key starts with `service-meta`: the loop ends after a few hyphens,
  // however many the key has.
  const stem = META_SUFFIX.slice(0, -1);
  const startsWithStem = suffix.startsWith(stem);
  for (let hyphen = suffix.indexOf('-'); hyphen >= 0; hyphen = suffix.indexOf('-', hyphen + 1)) {
    const prefix = suffix.slice(0, hyphen + 1);
    const short = prefix.length <= META_SUFFIX.length + 2;
    if (!short && !startsWithStem) break;
    const rest = originalSuffix.slice(hyphen + 1);
    const close =
      (startsWithStem && prefix.length > stem.length) || (short && distance(prefix, META_SUFFIX) <= 2);
    if (rest.length > 0 && close) return SERVICE_META_PREFIX + rest;
  }

  let best: { key: string; distance: number } | undefined;
  for (const known of knownKeys) {
    const knownSuffix = known.slice(ANNOTATION_PREFIX.length).toLowerCase();
    // The distance is at least the difference in length: far longer keys cannot be close.
    if (suffix.length > 2 * knownSuffix.length + 2) continue;
    const d = distance(suffix, knownSuffix);
    if (d <= Math.max(2, Math.floor(knownSuffix.length / 4)) && (!best || d < best.distance)) {
      best = { key: known, distance: d };
    }
  }
  return best?.key;
}
