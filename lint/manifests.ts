/**
 * Pure: manifest text -> the Services in it, each with the source line of every annotation key.
 * YAML (multi-document) and JSON; `List` kinds and top-level arrays are expanded; other kinds are skipped.
 *
 * Read as kubectl reads it (sigs.k8s.io/yaml over go-yaml v2, YAML 1.1): unquoted `on`, `off`,
 * `yes`, `no`, `y`, `n` (any case variant go-yaml knows) are booleans, so an annotation written
 * that way is not a string and kubectl refuses the manifest; timestamps stay strings; a duplicate
 * key in a mapping is an error (both lines are named), not "the last one wins".
 */
import yaml from 'js-yaml';
import { ANNOTATION_PREFIX, type ServiceLike } from '../core/annotations';

export interface LocatedService {
  service: ServiceLike;
  /** 1-based line of the document that holds the Service. */
  documentLine: number;
  /** 1-based line of each annotation key, for the keys under the annotation prefix. */
  keyLines: Map<string, number>;
}

export class ManifestSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
  }
}

interface KeyOccurrence {
  key: string;
  line: number;
}

interface DocumentScan {
  startLine: number;
  occurrences: KeyOccurrence[];
}

/** Splits listener events into documents (a document ends when nesting depth returns to 0). */
/** go-yaml v2's booleans (YAML 1.1), which js-yaml's default YAML 1.2 schema reads as strings. */
const YAML11_BOOLEANS: Readonly<Record<string, boolean>> = Object.fromEntries([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((s) => [s, true]),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((s) => [s, false]),
]);

const yaml11Bool = new yaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && Object.hasOwn(YAML11_BOOLEANS, data),
  construct: (data: string) => YAML11_BOOLEANS[data],
  predicate: (object: unknown) => typeof object === 'boolean',
});

// js-yaml exports its types, @types/js-yaml does not declare them.
const { merge, binary, omap, pairs, set } = (yaml as unknown as { types: Record<string, yaml.Type> }).types;

/**
 * YAML as kubectl reads it: the core schema with 1.1 booleans in place of 1.2's (same tag, so it
 * replaces it), merge keys, and no timestamps (go-yaml leaves them strings).
 */
const KUBECTL_SCHEMA = yaml.CORE_SCHEMA.extend({
  implicit: [yaml11Bool, merge!],
  explicit: [binary!, omap!, pairs!, set!],
});

function scanDocuments(text: string): { documents: unknown[]; scans: DocumentScan[] } {
  const scans: DocumentScan[] = [];
  let depth = 0;
  let current: DocumentScan | undefined;
  const documents = yaml.loadAll(text, undefined, {
    schema: KUBECTL_SCHEMA,
    listener(event, state) {
      if (event === 'open') {
        if (depth === 0) {
          current = { startLine: state.line + 1, occurrences: [] };
          scans.push(current);
        }
        depth++;
        return;
      }
      depth--;
      const result: unknown = state.result;
      if (typeof result === 'string' && result.toLowerCase().startsWith(ANNOTATION_PREFIX)) {
        current?.occurrences.push({ key: result, line: state.line + 1 });
      }
    },
  });
  return { documents, scans };
}

function isService(object: unknown): object is ServiceLike {
  if (!object || typeof object !== 'object') return false;
  const { kind, apiVersion } = object as { kind?: unknown; apiVersion?: unknown };
  return kind === 'Service' && (apiVersion === undefined || apiVersion === 'v1');
}

function itemsOf(document: unknown): unknown[] {
  if (Array.isArray(document)) return document.flatMap(itemsOf);
  const { kind, items } = (document ?? {}) as { kind?: unknown; items?: unknown };
  if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(items))
    return items.flatMap(itemsOf);
  return [document];
}

/** The key a duplicate-key error points at: a quoted or plain scalar up to its `:`. */
function keyAt(line: string, column: number): string | undefined {
  const rest = line.slice(column);
  const quoted = /^"((?:[^"\\]|\\.)*)"|^'((?:[^']|'')*)'/.exec(rest);
  if (quoted) {
    if (quoted[2] !== undefined) return quoted[2].replace(/''/g, "'");
    try {
      return JSON.parse(`"${quoted[1]}"`) as string;
    } catch {
      return quoted[1];
    }
  }
  const plain = /^([^:#\s][^:#]*?)\s*:(\s|$)/.exec(rest);
  return plain?.[1];
}

/** Column where a line's mapping key starts, past indentation and `- ` sequence markers. */
function keyColumn(line: string): number {
  const match = /^(\s*(?:-\s+)*)/.exec(line);
  return match ? match[1]!.length : 0;
}

/**
 * The line of the first occurrence of a duplicated key: the nearest earlier line of the same
 * mapping (the same key column, nothing less indented in between) holding the same key.
 */
function firstOccurrence(lines: string[], line: number, column: number, key: string): number | undefined {
  const before = lines[line]!.slice(0, column);
  // A flow mapping on one line: `{a: 1, a: 2}`.
  if (before.includes(`${key}:`) || before.includes(`"${key}"`)) return line;
  for (let i = line - 1; i >= 0; i--) {
    const text = lines[i]!;
    if (text.trim() === '' || text.trim().startsWith('#')) continue;
    const at = keyColumn(text);
    if (at === column && keyAt(text, column) === key) return i;
    if (at < column && !/^\s*-\s/.test(text)) return undefined;
    if (at < column) return undefined;
  }
  return undefined;
}

function duplicateKeyError(text: string, err: yaml.YAMLException): ManifestSyntaxError {
  const lines = text.split(/\r?\n/);
  const { line, column } = err.mark;
  const key = lines[line] === undefined ? undefined : keyAt(lines[line], column);
  const first = key === undefined ? undefined : firstOccurrence(lines, line, column, key);
  const shown = key === undefined ? 'a key' : `key ${JSON.stringify(key.slice(0, 80))}`;
  const where = first === undefined ? `line ${line + 1}` : `lines ${first + 1} and ${line + 1}`;
  return new ManifestSyntaxError(
    line + 1,
    column + 1,
    `duplicate ${shown} on ${where}; kubectl refuses duplicate keys, keep one`,
  );
}

/** Throws ManifestSyntaxError with the position when the text is not valid YAML/JSON. */
export function findServices(text: string): LocatedService[] {
  let scanned: ReturnType<typeof scanDocuments>;
  try {
    scanned = scanDocuments(text);
  } catch (err) {
    if (err instanceof yaml.YAMLException) {
      if (err.reason === 'duplicated mapping key') throw duplicateKeyError(text, err);
      throw new ManifestSyntaxError(err.mark.line + 1, err.mark.column + 1, err.reason);
    }
    throw err;
  }
  // Every document, empty ones included, has exactly one root node: scans align with documents.
  const located: LocatedService[] = [];
  scanned.documents.forEach((document, index) => {
    const scan = scanned.scans[index] ?? { startLine: 1, occurrences: [] };
    // Lines of each string, in document order: a key's line is its first occurrence after the
    // previous key's, found through a per-string queue (linear, however many keys).
    const queues = new Map<string, number[]>();
    scan.occurrences.forEach((o, i) => {
      const queue = queues.get(o.key);
      if (queue) queue.push(i);
      else queues.set(o.key, [i]);
    });
    const heads = new Map<string, number>();
    let cursor = 0;
    for (const item of itemsOf(document)) {
      if (!isService(item)) continue;
      const keyLines = new Map<string, number>();
      const annotations: unknown = item.metadata?.annotations;
      if (annotations && typeof annotations === 'object') {
        for (const key of Object.keys(annotations)) {
          if (key.slice(0, ANNOTATION_PREFIX.length).toLowerCase() !== ANNOTATION_PREFIX) continue;
          const queue = queues.get(key) ?? [];
          let head = heads.get(key) ?? 0;
          while (head < queue.length && queue[head]! < cursor) head++;
          heads.set(key, head);
          const at = queue[head];
          if (at !== undefined) {
            keyLines.set(key, scan.occurrences[at]!.line);
            cursor = at + 1;
          }
        }
      }
      located.push({ service: item, documentLine: scan.startLine, keyLines });
    }
  });
  return located;
}
