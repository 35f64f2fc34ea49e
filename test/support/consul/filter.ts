/**
 * The subset of Consul's `?filter=` language (hashicorp/go-bexpr) the double supports:
 * `Sel == "v"`, `Sel != "v"`, `"v" in Sel`, `"v" not in Sel`, `Sel contains "v"`,
 * `Sel is empty`, `Sel is not empty`, `Sel matches "re"`, combined with and / or / not and
 * parentheses. Selectors are dotted field paths; map keys as `Meta.key` or `Meta["key"]`.
 */

export type Predicate = (item: unknown) => boolean;

export class FilterError extends Error {}

type Token = { kind: 'str' | 'word' | 'op' | 'lp' | 'rp' | 'lb' | 'rb' | 'dot'; text: string };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === '`') {
      let j = i + 1;
      let text = '';
      while (j < input.length && input[j] !== c) {
        if (c === '"' && input[j] === '\\' && j + 1 < input.length) {
          text += input[j + 1];
          j += 2;
        } else {
          text += input[j];
          j++;
        }
      }
      if (j >= input.length) throw new FilterError(`unterminated string at ${i}`);
      tokens.push({ kind: 'str', text });
      i = j + 1;
    } else if (input.startsWith('==', i) || input.startsWith('!=', i)) {
      tokens.push({ kind: 'op', text: input.slice(i, i + 2) });
      i += 2;
    } else if (c === '(' || c === ')' || c === '[' || c === ']' || c === '.') {
      tokens.push({
        kind: c === '(' ? 'lp' : c === ')' ? 'rp' : c === '[' ? 'lb' : c === ']' ? 'rb' : 'dot',
        text: c,
      });
      i++;
    } else {
      const match = /^[A-Za-z0-9_\-:/]+/.exec(input.slice(i));
      if (!match) throw new FilterError(`unexpected character ${JSON.stringify(c)} at ${i}`);
      tokens.push({ kind: 'word', text: match[0] });
      i += match[0].length;
    }
  }
  return tokens;
}

function lookup(item: unknown, path: string[]): unknown {
  let value: unknown = item;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function contains(container: unknown, needle: string): boolean {
  if (Array.isArray(container)) return container.some((v) => String(v) === needle);
  if (typeof container === 'string') return container.includes(needle);
  if (container && typeof container === 'object')
    return Object.prototype.hasOwnProperty.call(container, needle);
  return false;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'empty', 'contains', 'matches']);

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Predicate {
    const predicate = this.or();
    if (this.pos < this.tokens.length) throw new FilterError(`unexpected "${this.tokens[this.pos]!.text}"`);
    return predicate;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  private isWord(text: string): boolean {
    const t = this.peek();
    return t?.kind === 'word' && t.text === text;
  }
  private next(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new FilterError('unexpected end of expression');
    return t;
  }

  private or(): Predicate {
    let left = this.and();
    while (this.isWord('or')) {
      this.pos++;
      const l = left;
      const r = this.and();
      left = (item) => l(item) || r(item);
    }
    return left;
  }

  private and(): Predicate {
    let left = this.not();
    while (this.isWord('and')) {
      this.pos++;
      const l = left;
      const r = this.not();
      left = (item) => l(item) && r(item);
    }
    return left;
  }

  private not(): Predicate {
    if (this.isWord('not')) {
      this.pos++;
      const inner = this.not();
      return (item) => !inner(item);
    }
    if (this.peek()?.kind === 'lp') {
      this.pos++;
      const inner = this.or();
      if (this.next().kind !== 'rp') throw new FilterError('expected ")"');
      return inner;
    }
    return this.match();
  }

  private selector(): string[] {
    const first = this.next();
    if (first.kind !== 'word' || KEYWORDS.has(first.text))
      throw new FilterError(`expected a selector, got "${first.text}"`);
    const path = [first.text];
    for (;;) {
      const t = this.peek();
      if (t?.kind === 'dot') {
        this.pos++;
        const part = this.next();
        if (part.kind !== 'word') throw new FilterError('expected a field name after "."');
        path.push(part.text);
      } else if (t?.kind === 'lb') {
        this.pos++;
        const key = this.next();
        if (key.kind !== 'str') throw new FilterError('expected a quoted key inside []');
        if (this.next().kind !== 'rb') throw new FilterError('expected "]"');
        path.push(key.text);
      } else {
        return path;
      }
    }
  }

  private value(): string {
    const t = this.next();
    if (t.kind === 'str' || (t.kind === 'word' && !KEYWORDS.has(t.text))) return t.text;
    throw new FilterError(`expected a value, got "${t.text}"`);
  }

  private match(): Predicate {
    const t = this.peek();
    // "value" [not] in Selector
    if (t?.kind === 'str') {
      const needle = this.value();
      let negate = false;
      if (this.isWord('not')) {
        this.pos++;
        negate = true;
      }
      if (!this.isWord('in')) throw new FilterError('expected "in" after a value');
      this.pos++;
      const path = this.selector();
      return (item) => contains(lookup(item, path), needle) !== negate;
    }
    const path = this.selector();
    const op = this.next();
    if (op.kind === 'op') {
      const expected = this.value();
      const equal = (item: unknown) => {
        const actual = lookup(item, path);
        return actual !== undefined && actual !== null && String(actual) === expected;
      };
      return op.text === '==' ? equal : (item) => !equal(item);
    }
    if (op.kind === 'word' && op.text === 'is') {
      let negate = false;
      if (this.isWord('not')) {
        this.pos++;
        negate = true;
      }
      if (!this.isWord('empty')) throw new FilterError('expected "empty"');
      this.pos++;
      return (item) => isEmpty(lookup(item, path)) !== negate;
    }
    let negate = false;
    let verb = op;
    if (op.kind === 'word' && op.text === 'not') {
      negate = true;
      verb = this.next();
    }
    if (verb.kind === 'word' && verb.text === 'contains') {
      const needle = this.value();
      return (item) => contains(lookup(item, path), needle) !== negate;
    }
    if (verb.kind === 'word' && verb.text === 'matches') {
      const pattern = this.value();
      let re: RegExp;
      try {
        re = new RegExp(pattern);
      } catch {
        throw new FilterError(`invalid regular expression ${JSON.stringify(pattern)}`);
      }
      return (item) => {
        const actual = lookup(item, path);
        return (typeof actual === 'string' && re.test(actual)) !== negate;
      };
    }
    throw new FilterError(`unexpected "${verb.text}" after selector ${path.join('.')}`);
  }
}

/** Compiles a filter expression; throws FilterError with the reason. */
export function compileFilter(expression: string): Predicate {
  return new Parser(tokenize(expression)).parse();
}
