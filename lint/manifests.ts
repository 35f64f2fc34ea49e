/**
 * Pure: manifest text -> the Services in it, each with the source line of every annotation key.
 * YAML (multi-document) and JSON; `List` kinds and top-level arrays are expanded; other kinds are skipped.
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
function scanDocuments(text: string): { documents: unknown[]; scans: DocumentScan[] } {
  const scans: DocumentScan[] = [];
  let depth = 0;
  let current: DocumentScan | undefined;
  const documents = yaml.loadAll(text, undefined, {
    json: true,
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

/** Throws ManifestSyntaxError with the position when the text is not valid YAML/JSON. */
export function findServices(text: string): LocatedService[] {
  let scanned: ReturnType<typeof scanDocuments>;
  try {
    scanned = scanDocuments(text);
  } catch (err) {
    if (err instanceof yaml.YAMLException) {
      throw new ManifestSyntaxError(err.mark.line + 1, err.mark.column + 1, err.reason);
    }
    throw err;
  }
  // Every document, empty ones included, has exactly one root node: scans align with documents.
  const located: LocatedService[] = [];
  scanned.documents.forEach((document, index) => {
    const scan = scanned.scans[index] ?? { startLine: 1, occurrences: [] };
    let cursor = 0;
    for (const item of itemsOf(document)) {
      if (!isService(item)) continue;
      const keyLines = new Map<string, number>();
      const annotations: unknown = item.metadata?.annotations;
      if (annotations && typeof annotations === 'object') {
        for (const key of Object.keys(annotations)) {
          if (!key.toLowerCase().startsWith(ANNOTATION_PREFIX)) continue;
          const at = scan.occurrences.findIndex((o, i) => i >= cursor && o.key === key);
          if (at >= 0) {
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
