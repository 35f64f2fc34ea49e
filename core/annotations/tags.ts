interface TagScan {
  /** The tags exactly as consul-k8s produces them (a whitespace-only piece becomes ""). */
  tags: string[];
  /** Strictly empty pieces consul-k8s skipped (`a,,b`, a leading or trailing comma). */
  skippedEmpty: number;
}

/** A comma not preceded by a backslash (a lookbehind: the split stays native). */
const UNESCAPED_COMMA = /(?<!\\),/;
const ESCAPED_COMMA = '\\,';

/**
 * Splits a `service-tags` value exactly as consul-k8s does (control-plane/catalog/to-consul
 * `parseTags`): `,` separates, a comma preceded by a backslash is part of the tag, strictly empty
 * pieces are skipped, every piece is trimmed. Native searches and slices, no per-character string
 * building: linear in the value's length.
 */
export function scanTags(value: string): TagScan {
  const tags: string[] = [];
  let skippedEmpty = 0;
  if (value.indexOf('\\') < 0) {
    // No escapes (the usual case): a plain split, much faster on long values.
    if (value === '') return { tags, skippedEmpty };
    // Nothing to trim without whitespace: a trim per piece is most of the cost of 60,000 tags.
    const trim = /\s/.test(value);
    // Compacted in place: a second array of 60,000 pieces costs as much as the split.
    const pieces = value.split(',');
    let kept = 0;
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (piece === '') skippedEmpty++;
      else pieces[kept++] = trim && hasEdgeSpace(piece) ? piece.trim() : piece;
    }
    pieces.length = kept;
    return { tags: pieces, skippedEmpty };
  }
  // With escapes: a comma right after a backslash is part of the tag (the backslash dropped),
  // any other comma ends it. Native passes only: a split on unescaped commas, then per tag a
  // split and join on the escapes (several times faster than replaceAll on long tags).
  const pieces = value.split(UNESCAPED_COMMA);
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (piece === '') {
      // `a,,b`, a leading or a trailing comma: consul-k8s skips the empty piece.
      skippedEmpty++;
      continue;
    }
    tags.push((piece.includes(ESCAPED_COMMA) ? piece.split(ESCAPED_COMMA).join(',') : piece).trim());
  }
  return { tags, skippedEmpty };
}

/** Whether `trim()` would change the piece (its first or last character is whitespace). */
function hasEdgeSpace(piece: string): boolean {
  return isSpace(piece.charCodeAt(0)) || isSpace(piece.charCodeAt(piece.length - 1));
}

/** The characters `trim()` removes (ECMAScript WhiteSpace and LineTerminator), as `\s` matches them. */
function isSpace(code: number): boolean {
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return /\s/.test(String.fromCharCode(code));
}

export function splitTags(value: string): string[] {
  return scanTags(value).tags;
}

/**
 * A set of tags for the duplicate checks: an open-addressing table of indexes into the tags added,
 * keyed by an FNV-1a hash of each tag. For 60,000 short tags about a third of the time of a `Set`,
 * which hashes and interns every string. The hash is public, so someone could choose tags that
 * collide: probing is budgeted, and past the budget the table becomes a `Map` (V8's seeded hash),
 * so the cost stays linear in the value's length either way.
 */
export class TagSet {
  private readonly added: string[] = [];
  private table: Int32Array;
  private mask: number;
  private probeBudget: number;
  private fallback: Map<string, number> | undefined;

  constructor(expected: number) {
    let size = 64;
    while (size < expected * 2) size <<= 1;
    this.table = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    this.probeBudget = 4 * Math.max(expected, 16);
  }

  /** Adds the tag; false when it was there already. */
  add(tag: string): boolean {
    return this.find(tag, true) < 0;
  }

  /**
   * The position (in order of first addition) of a tag added before, or -1; `insert` adds it when
   * absent.
   */
  find(tag: string, insert = false): number {
    if (this.fallback) return this.findInFallback(tag, insert);
    if (insert && this.added.length * 2 >= this.table.length) this.grow();
    let hash = 0x811c9dc5;
    for (let i = 0; i < tag.length; i++) hash = Math.imul(hash ^ tag.charCodeAt(i), 0x01000193);
    for (let slot = (hash >>> 0) & this.mask; ; slot = (slot + 1) & this.mask) {
      const other = this.table[slot]!;
      if (other < 0) {
        if (insert) {
          this.table[slot] = this.added.length;
          this.added.push(tag);
        }
        return -1;
      }
      if (this.added[other] === tag) return other;
      if (--this.probeBudget < 0) {
        this.fallback = new Map(this.added.map((added, position) => [added, position]));
        return this.findInFallback(tag, insert);
      }
    }
  }

  private findInFallback(tag: string, insert: boolean): number {
    const position = this.fallback!.get(tag);
    if (position !== undefined) return position;
    if (insert) this.fallback!.set(tag, this.fallback!.size);
    return -1;
  }

  /** More tags than expected: start over with a table twice the size (rare; linear overall). */
  private grow(): void {
    const tags = this.added.splice(0);
    this.table = new Int32Array(this.table.length * 2).fill(-1);
    this.mask = this.table.length - 1;
    this.probeBudget += 4 * tags.length;
    for (const tag of tags) this.find(tag, true);
  }
}

/** True when some tag occurs twice. */
export function hasRepeatedTag(tags: readonly string[]): boolean {
  const set = new TagSet(tags.length);
  for (const tag of tags) if (!set.add(tag)) return true;
  return false;
}
