/**
 * Worst-case annotation sets for the analyzer (issue 10, finding 1, and relatives), each close to
 * the API server's 256 KiB limit on all annotations of an object. Shared by the regression tests
 * and `bench/analyzer.ts`.
 */
const P = 'consul.hashicorp.com/';
/** The API server's limit on the total size of an object's annotations (keys + values). */
export const ANNOTATIONS_LIMIT_BYTES = 256 * 1024;

function fill(piece: (i: number) => string, budget: number, separator = ','): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; ; i++) {
    const next = piece(i);
    if (size + next.length + separator.length > budget) break;
    parts.push(next);
    size += next.length + separator.length;
  }
  return parts.join(separator);
}

/** Many annotation keys, each `key -> value`, until the total is just under the limit. */
function manyKeys(key: (i: number) => string, value: string): Record<string, string> {
  const annotations: Record<string, string> = {};
  let size = 0;
  for (let i = 0; ; i++) {
    const k = key(i);
    if (size + k.length + value.length > ANNOTATIONS_LIMIT_BYTES - 64) break;
    annotations[k] = value;
    size += k.length + value.length;
  }
  return annotations;
}

export const HOSTILE_ANNOTATION_SETS: Record<string, () => Record<string, string>> = {
  /** Finding 1: `a b,` repeated 16k times (64 KiB): one whitespace warning per tag before. */
  'tags "a b," x16k (64 KiB)': () => ({ [`${P}service-tags`]: 'a b,'.repeat(16384) }),
  /** Finding 1: ~60k unique tags in 250 KiB: a quadratic duplicate check before. */
  'unique tags (250 KiB)': () => ({ [`${P}service-tags`]: fill((i) => `t${i}`, 250 * 1024) }),
  'whitespace tags (250 KiB)': () => ({ [`${P}service-tags`]: 'a b,'.repeat(62 * 1024) }),
  'escaped commas (250 KiB)': () => ({ [`${P}service-tags`]: 'a\\,'.repeat(83 * 1024) }),
  'unknown keys (256 KiB)': () => manyKeys((i) => `${P}servce-nme-${i}`, 'x'),
  'invalid meta keys (256 KiB)': () => manyKeys((i) => `${P}service-meta-bad.key.${i}`, 'x'),
  'valid meta keys, far too many (256 KiB)': () => manyKeys((i) => `${P}service-meta-k${i}`, 'v'),
  'long key with hyphens (250 KiB)': () => ({ [`${P}${'-a'.repeat(125 * 1024)}`]: 'x' }),
  'long values (250 KiB)': () => ({
    [`${P}service-sync`]: 'y'.repeat(60 * 1024),
    [`${P}service-name`]: ' \u0001'.repeat(30 * 1024),
    [`${P}service-port`]: '0'.repeat(60 * 1024),
    [`${P}service-weight`]: '0'.repeat(60 * 1024) + 'x',
  }),
};

/** A Service carrying `annotations`, as the webhook receives it. */
export function serviceWith(annotations: Record<string, string>): {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; annotations: Record<string, string> };
  spec: { type: string; ports: Array<{ name: string; port: number }> };
} {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'shop', annotations },
    spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80 }] },
  };
}
