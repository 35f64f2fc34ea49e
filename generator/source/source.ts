/** Where the generator reads the Consul catalog from: Consul itself or a catalog file. */
import type { CatalogSnapshot } from './catalog';

export interface CatalogSource {
  /** Human description for logs (never contains credentials). */
  readonly description: string;
  /** One consistent read of the catalog. Throws CatalogSourceError on any failure. */
  read(signal?: AbortSignal): Promise<CatalogSnapshot>;
  /**
   * Resolves with the new index once the catalog may have changed since `index` (blocking query,
   * file change), or when `signal` aborts. Throws CatalogSourceError on failure.
   */
  waitForChange(index: string | undefined, signal: AbortSignal): Promise<string | undefined>;
}

/**
 * The catalog could not be read (or was refused). Never a reason to delete anything:
 * a run that gets this stops before touching the repository.
 */
export class CatalogSourceError extends Error {
  constructor(
    message: string,
    /**
     * Watch mode retries every kind with backoff (a file can be fixed, a token granted); all but
     * `transient` also fail `/healthz` until a run succeeds, since they need a person.
     */
    readonly kind: 'transient' | 'denied' | 'invalid' | 'config' = 'transient',
  ) {
    super(message);
    this.name = 'CatalogSourceError';
  }
}

/** Consul could not be read (down, 403, timeout): a failed read, not bad input. */
export function isCatalogReadFailure(err: unknown): boolean {
  return err instanceof CatalogSourceError && (err.kind === 'transient' || err.kind === 'denied');
}
