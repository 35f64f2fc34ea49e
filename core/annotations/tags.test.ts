import fc from 'fast-check';
import { hasRepeatedTag, scanTags, TagSet } from './tags';

/** FNV-1a as hasRepeatedTag computes it, to build tags that land in one slot of its table. */
function fnv1a(tag: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < tag.length; i++) hash = Math.imul(hash ^ tag.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

describe('TagSet', () => {
  test('finds the first position of a tag like a Map, also past its probe budget', () => {
    const colliding: string[] = [];
    for (let i = 0; colliding.length < 200; i++) if ((fnv1a(`c${i}`) & 511) === 7) colliding.push(`c${i}`);
    const set = new TagSet(colliding.length);
    const positions = new Map<string, number>();
    for (const tag of [...colliding, ...colliding.slice(0, 50), 'x', 'c0']) {
      expect(set.find(tag, true)).toBe(positions.get(tag) ?? -1);
      if (!positions.has(tag)) positions.set(tag, positions.size);
    }
  });

  test('adds like a Set, past its expected size and past its probe budget', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 3 }), { maxLength: 300 }), fc.nat(50), (tags, expected) => {
        const set = new TagSet(expected);
        const reference = new Set<string>();
        for (const tag of tags) {
          const before = reference.size;
          expect(set.add(tag)).toBe(reference.add(tag).size !== before);
        }
      }),
    );
  });
});

describe('hasRepeatedTag', () => {
  test('agrees with a Set on any list of tags, short or long', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 4 }), { maxLength: 400 }), (tags) => {
        expect(hasRepeatedTag(tags)).toBe(new Set(tags).size !== tags.length);
      }),
    );
  });

  test('60,000 unique tags have no repeat; one repeat at the end is found', () => {
    const tags = Array.from({ length: 60_000 }, (_, i) => `t${i}`);
    expect(hasRepeatedTag(tags)).toBe(false);
    expect(hasRepeatedTag([...tags, 't31337'])).toBe(true);
  });

  test('tags chosen to collide in its table are still answered right (the probe budget falls back)', () => {
    // 200 tags -> a 512-slot table: keep candidates whose hash ends in the same 9 bits.
    const colliding: string[] = [];
    for (let i = 0; colliding.length < 200; i++) {
      if ((fnv1a(`c${i}`) & 511) === 7) colliding.push(`c${i}`);
    }
    expect(hasRepeatedTag(colliding)).toBe(false);
    expect(hasRepeatedTag([...colliding, colliding[150]!])).toBe(true);
  });
});

test('scanTags: the fast split and the escape-aware scan agree with consul-k8s on a few shapes', () => {
  expect(scanTags('a,b,,c')).toEqual({ tags: ['a', 'b', 'c'], skippedEmpty: 1 });
  expect(scanTags(' a , b ')).toEqual({ tags: ['a', 'b'], skippedEmpty: 0 });
  expect(scanTags('a\\,b,c')).toEqual({ tags: ['a,b', 'c'], skippedEmpty: 0 });
  // Only pieces with whitespace at an edge are trimmed, exactly as trim() would (NBSP, U+3000 too).
  expect(scanTags('a b,\u00a0c\u3000, d\t').tags).toEqual(['a b', 'c', 'd']);
});

/**
 * consul-k8s's parseTags (control-plane/catalog/to-consul/resource.go), character by character,
 * as the reference scanTags must agree with; it also counts the strictly empty pieces it skips.
 */
function goParseTags(value: string): { tags: string[]; skippedEmpty: number } {
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
      next = `${next.slice(0, -1)},`;
      continue;
    }
    tags.push(next.trim());
    next = '';
  }
  if (next.length > 0) tags.push(next.trim());
  else if (value.length > 0) skippedEmpty++;
  return { tags, skippedEmpty };
}

test('scanTags agrees with consul-k8s parseTags on any mix of commas, backslashes and spaces', () => {
  const pieces = fc.constantFrom(',', '\\', ' ', 'a', 'b', '\\,', ',,', '\t', '\u00a0');
  fc.assert(
    fc.property(fc.array(pieces, { maxLength: 40 }), (parts) => {
      const value = parts.join('');
      expect(scanTags(value)).toEqual(goParseTags(value));
    }),
    { numRuns: 2000 },
  );
});
