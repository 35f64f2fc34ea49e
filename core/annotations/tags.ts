export interface TagScan {
  /** The tags exactly as consul-k8s produces them (a whitespace-only piece becomes ""). */
  tags: string[];
  /** Strictly empty pieces consul-k8s skipped (`a,,b`, a leading or trailing comma). */
  skippedEmpty: number;
}

/**
 * Splits a `service-tags` value exactly as consul-k8s does: `,` separates, a comma preceded by a
 * backslash is part of the tag, strictly empty pieces are skipped, every piece is trimmed.
 */
export function scanTags(value: string): TagScan {
  const tags: string[] = [];
  let skippedEmpty = 0;
  let next = '';
  for (const char of value) {
    if (char !== ',') {
      next += char;
      continue;
    }
    if (next.length === 0) {
      skippedEmpty++;
      continue;
    }
    if (next.endsWith('\\')) {
      next = next.slice(0, -1) + ',';
      continue;
    }
    tags.push(next.trim());
    next = '';
  }
  if (next.length > 0) tags.push(next.trim());
  else if (value.length > 0) skippedEmpty++;
  return { tags, skippedEmpty };
}

export function splitTags(value: string): string[] {
  return scanTags(value).tags;
}
