import fc from 'fast-check';
import {
  type JsonPath,
  JsonSelectError,
  JsonValueStream,
  type KeepSpec,
  pruneJson,
  selectJsonValues,
} from './select';

/** The selection of `text` fed to a JsonValueStream cut at `cuts` (byte offsets, any order). */
function collectInChunks(
  text: string,
  select: (path: JsonPath) => boolean,
  cuts: number[],
): Array<[JsonPath, unknown]> {
  const body = Buffer.from(text, 'utf8');
  const found: Array<[JsonPath, unknown]> = [];
  const stream = new JsonValueStream(select, (path, value) => found.push([[...path], value]));
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b)) {
    stream.write(body.subarray(from, cut));
    from = cut;
  }
  stream.write(body.subarray(from));
  stream.end();
  return found;
}

function collect(text: string, select: (path: JsonPath) => boolean): Array<[JsonPath, unknown]> {
  const found: Array<[JsonPath, unknown]> = [];
  selectJsonValues(Buffer.from(text, 'utf8'), select, (path, value) => found.push([[...path], value]));
  return found;
}

/** The same selection on the parsed tree: what selectJsonValues must agree with. */
function reference(
  value: unknown,
  select: (path: JsonPath) => boolean,
  path: JsonPath = [],
): Array<[JsonPath, unknown]> {
  if (select(path)) return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((item, index) => reference(item, select, [...path, index]));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) => reference(item, select, [...path, key]));
  return [];
}

test("Consul's node-services shape: the node and each service, one at a time", () => {
  const body = JSON.stringify({
    Node: { Node: 'k8s-sync', Address: '127.0.0.1', Meta: { 'external-source': 'kubernetes' } },
    Services: [
      { ID: 'a', Service: 'web', Tags: ['k8s'], Meta: { 'x,"y': '}]' } },
      { ID: 'b', Service: 'api', Tags: [], Meta: null },
    ],
  });
  const select = (path: JsonPath) =>
    (path.length === 1 && path[0] === 'Node') || (path.length === 2 && path[0] === 'Services');
  expect(collect(body, select)).toEqual([
    [['Node'], { Node: 'k8s-sync', Address: '127.0.0.1', Meta: { 'external-source': 'kubernetes' } }],
    [['Services', 0], { ID: 'a', Service: 'web', Tags: ['k8s'], Meta: { 'x,"y': '}]' } }],
    [['Services', 1], { ID: 'b', Service: 'api', Tags: [], Meta: null }],
  ]);
});

test('top-level arrays, empty containers, literals, whitespace and escapes', () => {
  const body = ' [ {"a":"\\"]"} , [] , {} , 12.5e3 , true , null , "\\u00e9\\\\" ] \n';
  expect(collect(body, (path) => path.length === 1).map(([, value]) => value)).toEqual([
    { a: '"]' },
    [],
    {},
    12500,
    true,
    null,
    'é\\',
  ]);
  expect(collect('null', () => false)).toEqual([]);
  expect(collect('[]', (path) => path.length === 1)).toEqual([]);
});

test('agrees with JSON.parse on any document, for any selection depth', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(4), (value, depth) => {
      const text = JSON.stringify(value);
      const select = (path: JsonPath) => path.length === depth;
      const parsed = JSON.parse(text) as unknown;
      expect(collect(text, select)).toEqual(reference(parsed, select));
      expect(collect(JSON.stringify(value, null, 2), select)).toEqual(reference(parsed, select));
    }),
    { numRuns: 500 },
  );
});

test('a document cut into chunks anywhere (inside keys, strings, escapes, literals) selects the same', () => {
  fc.assert(
    fc.property(
      fc.jsonValue({ maxDepth: 4 }),
      fc.nat(3),
      fc.array(fc.nat(), { maxLength: 12 }),
      (value, depth, cuts) => {
        const select = (path: JsonPath) => path.length === depth;
        for (const text of [JSON.stringify(value), JSON.stringify(value, null, 1)]) {
          expect(collectInChunks(text, select, cuts)).toEqual(collect(text, select));
        }
      },
    ),
    { numRuns: 500 },
  );
  // Byte by byte, through a multi-byte character and an escape.
  const text = '{"Services":[{"ID":"é\\\\\\"x","N":-12.5e3},true],"Node":null}';
  const every = [...Array(Buffer.byteLength(text)).keys()];
  const select = (path: JsonPath) => path.length === 2 || path[0] === 'Node';
  expect(collectInChunks(text, select, every)).toEqual(collect(text, select));
  expect(collectInChunks(text, select, every)).toHaveLength(3);
});

test('a truncated or malformed body is an error, not a partial result', () => {
  const select = (path: JsonPath) => path.length === 2;
  for (const body of [
    '{"Services":[{"ID":"a"},',
    '{"Services":[{"ID":"a"',
    '[{"a":"b}]',
    '{"a":1} {"b":2}',
    '{1:2}',
  ]) {
    expect(() => collect(body, select)).toThrow(
      expect.objectContaining({ name: expect.stringMatching(/JsonSelectError|SyntaxError/) }),
    );
  }
});

describe('pruneJson', () => {
  /** What pruneJson must return, computed from the whole parsed document. */
  function reference(value: unknown, keep: KeepSpec): unknown {
    if (keep === true || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      if (Object.hasOwn(keep, key)) out[key] = reference(member, keep[key]!);
    }
    return out;
  }
  const keepSpecs: fc.Arbitrary<KeepSpec> = fc.letrec<{ spec: KeepSpec }>((tie) => ({
    spec: fc.oneof(
      { depthSize: 'small' },
      fc.constant<KeepSpec>(true),
      fc.dictionary(fc.constantFrom('a', 'b', 'c', 'request', 'object'), tie('spec'), { maxKeys: 3 }),
    ),
  })).spec;
  const documents = fc.letrec<{ doc: unknown }>((tie) => ({
    doc: fc.oneof(
      { depthSize: 'small' },
      fc.jsonValue({ maxDepth: 1 }),
      fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'request', 'object'), tie('doc'), { maxKeys: 5 }),
    ),
  })).doc;

  test('keeps exactly the named members, whatever the document, with any whitespace', () => {
    fc.assert(
      fc.property(documents, keepSpecs, fc.boolean(), (doc, keep, pretty) => {
        const text = JSON.stringify(doc, null, pretty ? 2 : undefined);
        expect(pruneJson(Buffer.from(text), keep)).toEqual(reference(JSON.parse(text), keep));
      }),
    );
  });

  test('duplicate keys resolve as JSON.parse does; "__proto__" stays an own member', () => {
    const text = '{"a":{"x":1},"a":2,"__proto__":{"polluted":true}}';
    const pruned = pruneJson(Buffer.from(text), { a: { x: true }, ['__proto__']: true }) as Record<
      string,
      unknown
    >;
    expect(pruned.a).toBe(2);
    expect(Object.getPrototypeOf(pruned)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(pruned, '__proto__')?.value).toEqual({ polluted: true });
  });

  test('a skipped member costs a scan, not a parse: a million empty objects are passed over', () => {
    const junk = `[${'{},'.repeat(1_000_000)}{}]`;
    const text = `{"junk":${junk},"a":{"b":"kept","c":${junk}}}`;
    expect(pruneJson(Buffer.from(text), { a: { b: true } })).toEqual({ a: { b: 'kept' } });
  });

  test('a truncated or trailing document is refused', () => {
    expect(() => pruneJson(Buffer.from('{"a":1'), { a: true })).toThrow(JsonSelectError);
    expect(() => pruneJson(Buffer.from('{"a":1} x'), { a: true })).toThrow(JsonSelectError);
    expect(() => pruneJson(Buffer.from(''), { a: true })).toThrow(JsonSelectError);
  });
});
