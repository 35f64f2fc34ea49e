/**
 * Label and field selectors as the API server parses them (the subset we use): label
 * requirements `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`; field requirements
 * `path=v`, `path==v`, `path!=v` over the fields a resource supports (metadata.name and
 * metadata.namespace everywhere, a few more on Events). Pure functions.
 */
type Labels = Record<string, string> | undefined;
export type Matcher = (labels: Labels) => boolean;

export class SelectorError extends Error {}

export function parseLabelSelector(selector: string | undefined): Matcher {
  if (selector === undefined || selector.trim() === '') return () => true;
  const matchers = splitTopLevel(selector).map(parseLabelRequirement);
  return (labels) => matchers.every((m) => m(labels));
}

function parseLabelRequirement(raw: string): Matcher {
  const text = raw.trim();
  const setMatch = /^([^\s!=(),]+)\s+(in|notin)\s+\(([^()]*)\)$/.exec(text);
  if (setMatch) {
    const [, key = '', op, list = ''] = setMatch;
    const values = new Set(
      list
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    );
    if (values.size === 0)
      throw new SelectorError(
        `unable to parse requirement: ${text}: for 'in', 'notin' operators, values set can't be empty`,
      );
    checkKey(key, text);
    return op === 'in'
      ? (l) => l?.[key] !== undefined && values.has(l[key])
      : (l) => l?.[key] === undefined || !values.has(l[key]);
  }
  const eq = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(text);
  if (eq) {
    const [, key = '', op, value = ''] = eq;
    checkKey(key, text);
    return op === '!=' ? (l) => l?.[key] !== value : (l) => l?.[key] === value;
  }
  const exists = /^(!?)\s*([^\s!=(),]+)$/.exec(text);
  if (exists) {
    const [, not, key = ''] = exists;
    checkKey(key, text);
    return not ? (l) => l?.[key] === undefined : (l) => l?.[key] !== undefined;
  }
  throw new SelectorError(`unable to parse requirement: ${JSON.stringify(text)}`);
}

function checkKey(key: string, text: string): void {
  if (!/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/.test(key)) {
    throw new SelectorError(
      `unable to parse requirement: ${JSON.stringify(text)}: invalid label key ${JSON.stringify(key)}`,
    );
  }
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts;
}

export type FieldMatcher = (obj: Record<string, unknown>) => boolean;

export function parseFieldSelector(selector: string | undefined, supported: readonly string[]): FieldMatcher {
  if (selector === undefined || selector.trim() === '') return () => true;
  const matchers = selector.split(',').map((raw): FieldMatcher => {
    const m = /^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(raw);
    if (!m) throw new SelectorError(`invalid selector: ${JSON.stringify(raw)}; can't understand`);
    const [, path = '', op, value = ''] = m;
    if (!supported.includes(path)) throw new SelectorError(`field label not supported: ${path}`);
    const read = (obj: Record<string, unknown>): string => String(readPath(obj, path) ?? '');
    return op === '!=' ? (o) => read(o) !== value : (o) => read(o) === value;
  });
  return (obj) => matchers.every((m) => m(obj));
}

function readPath(obj: unknown, path: string): unknown {
  let current: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
