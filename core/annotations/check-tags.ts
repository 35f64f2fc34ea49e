/**
 * The `service-tags` check: the tags a Service adds, split as consul-k8s splits them (tags.ts),
 * with warnings for empty pieces, whitespace, repeats and the sync tag itself. The usual value is
 * checked in native passes; per-tag checks (a bounded hash set for repeats) only when needed. Pure.
 */
import { SERVICE_TAGS } from './keys';
import { RULES } from './rules';
import { hasRepeatedTag, scanTags, TagSet } from './tags';
import { showValue, type Findings } from './findings';

export function checkTags(value: string, syncTag: string, out: Findings): string[] {
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
