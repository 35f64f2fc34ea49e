/**
 * Reads selected values out of a large JSON document without building the whole tree: the
 * document is walked once, byte by byte, and each value whose path `select` accepts is parsed on
 * its own (`JSON.parse` of its bytes) and handed to `onValue`, so it can be reduced before the
 * next one is read. At 30,000 catalog entries, `JSON.parse` of the whole answer holds a string and
 * a tree several times the body's size at once; this holds the body and one entry.
 *
 * Why not a streaming JSON library: stream-json (the common one) is ESM-only from 3.x and
 * tokenises in JavaScript, several times slower than `JSON.parse`; here the walk only tracks
 * structure and the values themselves are parsed natively. Linear in the body size; the
 * document must be well-formed where it is walked (Consul's own answers), and selected values
 * are checked by `JSON.parse`.
 */
export type JsonPath = ReadonlyArray<string | number>;

interface Frame {
  kind: 'object' | 'array';
  /** The member being read: the key in an object, the index in an array. */
  at: string | number;
  /** Objects: a key comes next (after `{` or `,`). */
  expectKey: boolean;
}

export class JsonSelectError extends Error {
  override readonly name = 'JsonSelectError';
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

const isWhitespace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
const isDelimiter = (byte: number) =>
  byte === COMMA || byte === CLOSE_OBJECT || byte === CLOSE_ARRAY || isWhitespace(byte);

/** The index just past the string that opens at `start` (a `"`). */
function endOfString(body: Buffer, start: number): number {
  for (let i = start + 1; i < body.length; i++) {
    const byte = body[i];
    if (byte === BACKSLASH) i++;
    else if (byte === QUOTE) return i + 1;
  }
  throw new JsonSelectError('unterminated string');
}

/** The index just past the value that starts at `start` (object, array, string or literal). */
function endOfValue(body: Buffer, start: number): number {
  const first = body[start];
  if (first === QUOTE) return endOfString(body, start);
  if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
    let i = start;
    while (i < body.length && !isDelimiter(body[i]!)) i++;
    return i;
  }
  let depth = 0;
  for (let i = start; i < body.length; i++) {
    const byte = body[i];
    if (byte === QUOTE) i = endOfString(body, i) - 1;
    else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) depth++;
    else if ((byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) && --depth === 0) return i + 1;
  }
  throw new JsonSelectError('unterminated value');
}

const parse = (body: Buffer, start: number, end: number): unknown =>
  JSON.parse(body.toString('utf8', start, end));

/**
 * Walks `body` and calls `onValue(path, value)` for every value whose path `select` accepts (its
 * insides are not walked). Paths are keys and array indexes from the top: `['Services', 3]`.
 */
export function selectJsonValues(
  body: Buffer,
  select: (path: JsonPath) => boolean,
  onValue: (path: JsonPath, value: unknown) => void,
): void {
  const stream = new JsonValueStream(select, onValue);
  stream.write(body);
  stream.end();
}

/** How far a value that started in an earlier chunk has been read. */
interface ValueScan {
  /** Open objects and arrays inside the value. */
  depth: number;
  inString: boolean;
  escaped: boolean;
  /** A number, `true`, `false` or `null`: it ends at the next delimiter. */
  literal: boolean;
}

/** The value (or key) being read, and what becomes of it. */
interface PendingValue {
  role: 'key' | 'selected' | 'skipped';
  scan: ValueScan;
  /** Its bytes so far (not kept for skipped values). */
  pieces: Buffer[];
  path: JsonPath;
}

/**
 * Advances through `chunk` from `start`; returns the index just past the value's end, or -1 when
 * the chunk ends first (`scan` then says where the next chunk continues).
 */
function scanValue(chunk: Buffer, start: number, scan: ValueScan): number {
  for (let i = start; i < chunk.length; i++) {
    const byte = chunk[i]!;
    if (scan.inString) {
      if (scan.escaped) scan.escaped = false;
      else if (byte === BACKSLASH) scan.escaped = true;
      else if (byte === QUOTE) {
        scan.inString = false;
        if (scan.depth === 0) return i + 1;
      }
    } else if (scan.literal) {
      if (isDelimiter(byte)) return i;
    } else if (byte === QUOTE) {
      scan.inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      scan.depth++;
    } else if ((byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) && --scan.depth === 0) {
      return i + 1;
    }
  }
  return -1;
}

/**
 * `selectJsonValues` over a document that arrives in chunks (an HTTP answer as it is received),
 * so the whole body never exists in memory: the walk's state carries over from one chunk to the
 * next, and only the bytes of a selected value (or key) that spans chunks are held until it ends.
 * `end()` checks the document is complete.
 */
export class JsonValueStream {
  private readonly stack: Frame[] = [];
  private done = false;
  private pending: PendingValue | undefined;

  constructor(
    private readonly select: (path: JsonPath) => boolean,
    private readonly onValue: (path: JsonPath, value: unknown) => void,
  ) {}

  write(chunk: Buffer): void {
    let i = 0;
    if (this.pending) {
      i = this.continueValue(chunk, 0);
      if (i < 0) return;
    }
    while (i < chunk.length) {
      const byte = chunk[i]!;
      const frame = this.stack.at(-1);
      if (isWhitespace(byte) || byte === COLON) {
        i++;
      } else if (byte === COMMA) {
        if (frame?.kind === 'array') (frame.at as number)++;
        else if (frame) frame.expectKey = true;
        i++;
      } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        this.stack.pop();
        if (this.stack.length === 0) this.done = true;
        i++;
      } else if (frame?.expectKey) {
        if (byte !== QUOTE) throw new JsonSelectError(`expected a key at byte ${i}`);
        i = this.startValue(chunk, i, 'key', []);
      } else {
        if (this.done) throw new JsonSelectError(`unexpected data after the document at byte ${i}`);
        const path = this.stack.map((open) => open.at);
        if (this.select(path)) {
          i = this.startValue(chunk, i, 'selected', path);
        } else if (byte === OPEN_OBJECT) {
          this.stack.push({ kind: 'object', at: '', expectKey: true });
          i++;
        } else if (byte === OPEN_ARRAY) {
          this.stack.push({ kind: 'array', at: 0, expectKey: false });
          i++;
        } else {
          i = this.startValue(chunk, i, 'skipped', path);
        }
      }
      if (i < 0) return;
    }
  }

  /** The document has ended: finishes a trailing literal, or throws when it is incomplete. */
  end(): void {
    const pending = this.pending;
    if (pending) {
      if (!pending.scan.literal) {
        throw new JsonSelectError(pending.scan.inString ? 'unterminated string' : 'unterminated value');
      }
      this.finishValue(Buffer.concat(pending.pieces));
    }
    if (this.stack.length > 0) throw new JsonSelectError('the document ends inside an object or array');
  }

  /** Reads a value that starts at `start`; returns where the walk goes on, or -1 at the chunk's end. */
  private startValue(chunk: Buffer, start: number, role: PendingValue['role'], path: JsonPath): number {
    const first = chunk[start];
    const quoted = first === QUOTE;
    const scan: ValueScan = {
      depth: 0,
      inString: quoted,
      escaped: false,
      literal: !quoted && first !== OPEN_OBJECT && first !== OPEN_ARRAY,
    };
    this.pending = { role, scan, pieces: [], path };
    return this.continueValue(chunk, start, quoted ? start + 1 : start);
  }

  private continueValue(chunk: Buffer, from: number, scanFrom = from): number {
    const pending = this.pending!;
    const end = scanValue(chunk, scanFrom, pending.scan);
    const keep = pending.role !== 'skipped';
    if (end < 0) {
      if (keep) pending.pieces.push(chunk.subarray(from));
      return -1;
    }
    if (!keep) this.finishValue(undefined);
    else if (pending.pieces.length === 0) this.finishValue(chunk.subarray(from, end));
    else this.finishValue(Buffer.concat([...pending.pieces, chunk.subarray(from, end)]));
    return end;
  }

  private finishValue(bytes: Buffer | undefined): void {
    const { role, path } = this.pending!;
    this.pending = undefined;
    if (role === 'key') {
      const frame = this.stack.at(-1)!;
      frame.at = JSON.parse(bytes!.toString('utf8')) as string;
      frame.expectKey = false;
      return;
    }
    if (role === 'selected') this.onValue(path, JSON.parse(bytes!.toString('utf8')));
    if (this.stack.length === 0) this.done = true;
  }
}

/** What `pruneJson` keeps: `true` keeps the whole value; an object keeps only those members. */
export type KeepSpec = true | { readonly [key: string]: KeepSpec };

const skipWhitespace = (body: Buffer, start: number): number => {
  let i = start;
  while (i < body.length && isWhitespace(body[i]!)) i++;
  return i;
};

/**
 * The document with only the members `keep` names, read without building the rest: skipped
 * values are only scanned for their end (not checked), kept ones are parsed natively. Where
 * `keep` names members but the document holds something other than an object, that value is kept
 * whole, so code reading the result sees the same types as in the whole document. Duplicate keys
 * resolve as `JSON.parse` resolves them (the last wins). Linear in the body size; recursion is as
 * deep as `keep`, never as deep as the document.
 */
export function pruneJson(body: Buffer, keep: KeepSpec): unknown {
  const [value, end] = readKept(body, skipWhitespace(body, 0), keep);
  const rest = skipWhitespace(body, end);
  if (rest < body.length) throw new JsonSelectError(`unexpected data after the document at byte ${rest}`);
  return value;
}

function readKept(body: Buffer, start: number, keep: KeepSpec): [unknown, number] {
  if (start >= body.length) throw new JsonSelectError('the document ends where a value was expected');
  if (keep === true || body[start] !== OPEN_OBJECT) {
    const end = endOfValue(body, start);
    return [parse(body, start, end), end];
  }
  const out: Record<string, unknown> = {};
  let i = skipWhitespace(body, start + 1);
  if (body[i] === CLOSE_OBJECT) return [out, i + 1];
  for (;;) {
    if (body[i] !== QUOTE) throw new JsonSelectError(`expected a key at byte ${i}`);
    const keyEnd = endOfString(body, i);
    const key = parse(body, i, keyEnd) as string;
    i = skipWhitespace(body, keyEnd);
    if (body[i] !== COLON) throw new JsonSelectError(`expected ":" at byte ${i}`);
    i = skipWhitespace(body, i + 1);
    const child = Object.hasOwn(keep, key) ? keep[key] : undefined;
    if (child === undefined) {
      i = endOfValue(body, i);
    } else {
      const [value, end] = readKept(body, i, child);
      // An own property even for "__proto__", as JSON.parse makes it.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      i = end;
    }
    i = skipWhitespace(body, i);
    if (body[i] === COMMA) i = skipWhitespace(body, i + 1);
    else if (body[i] === CLOSE_OBJECT) return [out, i + 1];
    else throw new JsonSelectError(`expected "," or "}" at byte ${i}`);
  }
}
