/**
 * The catalog-file source: a JSON snapshot in the `/v1/catalog/services` shape (service name ->
 * tags), where a service may instead be an object with `Tags` and the instances' `Meta` (field
 * names in any case; `ServiceTags`/`ServiceMeta` accepted too).
 * See docs/generator.md ("Catalog file format").
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { sleep } from '../../core/kube/backoff';
import { factsOfInstances } from './instance-rules';
import type { CatalogService, CatalogSnapshot } from './catalog';
import { CatalogSourceError, type CatalogSource } from './source';

const metaSchema = z.record(z.string(), z.string());
const tagsSchema = z.array(z.string());
const detailedSchema = z.strictObject({
  Tags: tagsSchema.default([]),
  /** Meta shared by every instance (shorthand for one instance carrying it). */
  Meta: metaSchema.optional(),
  Instances: z.array(z.strictObject({ Meta: metaSchema.default({}) })).optional(),
});

/**
 * Field spellings accepted for the canonical `Tags`/`Meta`/`Instances` (any case; `ServiceTags`
 * and `ServiceMeta` as `/v1/catalog/service/:name` names them), so a snapshot assembled from
 * other Consul answers or written by hand in lowercase reads the same.
 */
const FIELD_ALIASES: Readonly<Record<string, string>> = {
  tags: 'Tags',
  servicetags: 'Tags',
  meta: 'Meta',
  servicemeta: 'Meta',
  instances: 'Instances',
};

/** `entry` with its known fields under their canonical names; unknown ones are kept for the schema to refuse. */
function canonicalFields(entry: object, origin: string, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry)) {
    const canonical = FIELD_ALIASES[key.toLowerCase()] ?? key;
    if (source[canonical] !== undefined) {
      throw new CatalogSourceError(
        `${origin}: ${where}: "${source[canonical]}" and "${key}" both give ${canonical}; keep one`,
        'invalid',
      );
    }
    source[canonical] = key;
    out[canonical] = value;
  }
  return out;
}

function canonicalService(entry: object, origin: string, name: string): Record<string, unknown> {
  const service = canonicalFields(entry, origin, name);
  if (Array.isArray(service.Instances)) {
    service.Instances = service.Instances.map((instance: unknown, index) =>
      instance !== null && typeof instance === 'object' && !Array.isArray(instance)
        ? canonicalFields(instance, origin, `${name}.Instances[${index}]`)
        : instance,
    );
  }
  return service;
}

/**
 * Parses catalog-file text; throws CatalogSourceError naming the field and the reason.
 * `clusterId` (`--cluster-id`) decides which Kubernetes instances are this cluster's.
 */
export function parseCatalogFile(text: string, origin = 'catalog file', clusterId?: string): CatalogSnapshot {
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
  const services: CatalogService[] = [];
  for (const [name, entry] of Object.entries(json)) {
    if (Array.isArray(entry)) {
      services.push({
        name,
        tags: check(tagsSchema, entry, origin, name),
        optedOut: false,
        fromKubernetes: 'none',
      });
    } else if (entry !== null && typeof entry === 'object') {
      const detailed = check(detailedSchema, canonicalService(entry, origin, name), origin, name);
      const metas = (detailed.Instances ?? [{ Meta: {} }]).map((instance) => ({
        ...(detailed.Meta ?? {}),
        ...instance.Meta,
      }));
      services.push({ name, tags: detailed.Tags, ...factsOfInstances(metas, clusterId) });
    } else {
      throw new CatalogSourceError(
        `${origin}: ${name}: expected an array of tags or an object with "Tags", "Meta" and/or "Instances"`,
        'invalid',
      );
    }
  }
  const index = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return { services, index };
}

function check<T>(schema: z.ZodType<T>, value: unknown, origin: string, name: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
    .join('');
  const reason =
    issue.code === 'unrecognized_keys'
      ? `unknown field(s) ${issue.keys.map((key) => `"${key}"`).join(', ')} (expected Tags, Meta, Instances)`
      : issue.message;
  throw new CatalogSourceError(`${origin}: ${name}${where}: ${reason}`, 'invalid');
}

const POLL_MS = 1000;

/** Reads the file on every `read()`; in watch mode, polls its modification time and content. */
export class CatalogFileSource implements CatalogSource {
  readonly description: string;

  constructor(
    private readonly path: string,
    private readonly clusterId?: string,
  ) {
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
    return parseCatalogFile(text, `--catalog-file ${this.path}`, this.clusterId);
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
