/**
 * The catalog-file source: a JSON snapshot in the `/v1/catalog/services` shape (service name ->
 * tags), where a service may instead be an object with `Tags` and the instances' `Meta`.
 * See docs/generator.md ("Catalog file format").
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { sleep } from '../../core/kube/backoff';
import type { CatalogService, CatalogSnapshot } from '../types';
import { CatalogSourceError, type CatalogSource } from './source';

const metaSchema = z.record(z.string(), z.string());
const detailedSchema = z.strictObject({
  Tags: z.array(z.string()).default([]),
  /** Meta shared by every instance (shorthand for one instance carrying it). */
  Meta: metaSchema.optional(),
  Instances: z.array(z.strictObject({ Meta: metaSchema.default({}) })).optional(),
});
const entrySchema = z.union([z.array(z.string()), detailedSchema]);
const fileSchema = z.record(z.string(), entrySchema);

/** Parses catalog-file text; throws CatalogSourceError naming the field and the reason. */
export function parseCatalogFile(text: string, origin = 'catalog file'): CatalogSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CatalogSourceError(`${origin}: not valid JSON (${(err as Error).message})`, 'invalid');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CatalogSourceError(
      `${origin}: expected a JSON object mapping service names to tags (the /v1/catalog/services shape)`,
      'invalid',
    );
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path
      .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
      .join('');
    throw new CatalogSourceError(
      `${origin}: ${where.replace(/^\./, '') || '(top level)'}: ${describeIssue(issue)}`,
      'invalid',
    );
  }
  const services: CatalogService[] = Object.entries(parsed.data).map(([name, entry]) => {
    if (Array.isArray(entry)) return { name, tags: entry, instances: [{ meta: {} }] };
    const instances = (entry.Instances ?? [{ Meta: {} }]).map((instance) => ({
      meta: { ...(entry.Meta ?? {}), ...instance.Meta },
    }));
    return { name, tags: entry.Tags, instances };
  });
  const index = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return { services, index };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union') {
    return 'expected an array of tags or an object with "Tags", "Meta" and/or "Instances"';
  }
  if (issue.code === 'unrecognized_keys') {
    return `unknown field(s) ${issue.keys.map((key) => `"${key}"`).join(', ')} (expected Tags, Meta, Instances)`;
  }
  return issue.message;
}

const POLL_MS = 1000;

/** Reads the file on every `read()`; in watch mode, polls its modification time and content. */
export class CatalogFileSource implements CatalogSource {
  readonly description: string;

  constructor(private readonly path: string) {
    this.description = `catalog file ${path}`;
  }

  async read(): Promise<CatalogSnapshot> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CatalogSourceError(
        `--catalog-file: cannot read "${this.path}"${code ? ` (${code})` : ''}`,
        'config',
      );
    }
    return parseCatalogFile(text, `--catalog-file ${this.path}`);
  }

  async waitForChange(index: string | undefined, signal: AbortSignal): Promise<string | undefined> {
    let lastMtime = await this.mtime();
    const current = (await this.read()).index;
    if (current !== index) return current;
    for (;;) {
      if (!(await sleep(POLL_MS, signal))) return index;
      const mtime = await this.mtime();
      if (mtime === lastMtime) continue;
      lastMtime = mtime;
      const snapshot = await this.read();
      if (snapshot.index !== index) return snapshot.index;
    }
  }

  private async mtime(): Promise<number> {
    try {
      return (await stat(this.path)).mtimeMs;
    } catch {
      return -1;
    }
  }
}
