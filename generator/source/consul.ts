/**
 * The Consul source: `/v1/catalog/services` (names, tags, blocking index) plus each candidate's
 * instances from `/v1/health/service/:name` (their service meta: loop guard and opt-out).
 * Any Consul error, 403, or an empty answer filtered by ACLs becomes a CatalogSourceError, so a
 * run never mistakes "cannot see" for "gone".
 */
import { setMaxListeners } from 'node:events';
import {
  ConsulError,
  createConsulClient,
  nextBlockingIndex,
  readCatalogServices,
  readHealthService,
  type ConsulClient,
  type ConsulConfig,
} from '../../core/consul';
import type { CatalogService, CatalogSnapshot } from '../types';
import { CatalogSourceError, type CatalogSource } from './source';

const PARALLEL_READS = 16;
const DEFAULT_WAIT_MS = 5 * 60_000;

export interface ConsulSourceOptions {
  /**
   * Whether a service's instances (their meta) can change the outcome; when false they are not
   * read (one request saved per skipped service). Default: always read.
   */
  instancesMatter?: (name: string, tags: readonly string[]) => boolean;
  /** Blocking query wait (default 5 min). */
  waitMs?: number;
}

export class ConsulCatalogSource implements CatalogSource {
  readonly description: string;
  private readonly consul: ConsulClient;

  constructor(
    config: ConsulConfig,
    private readonly options: ConsulSourceOptions = {},
  ) {
    this.description = `Consul ${config.describe()}`;
    this.consul = createConsulClient(config);
  }

  async read(signal?: AbortSignal): Promise<CatalogSnapshot> {
    // Every parallel read listens for the abort.
    if (signal) setMaxListeners(PARALLEL_READS + 8, signal);
    try {
      const listing = await readCatalogServices(this.consul, signal ? { signal } : {});
      const names = Object.keys(listing.value);
      if (names.length === 0 && listing.filteredByAcls) {
        throw new CatalogSourceError(
          'Consul answered an empty catalog filtered by ACLs: the token has lost its read rights; nothing is changed',
          'denied',
        );
      }
      const services: CatalogService[] = [];
      let datacenter: string | undefined;
      const pending = names.map((name) => ({ name, tags: listing.value[name] ?? [] }));
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < pending.length) {
          const { name, tags } = pending[next++]!;
          if (this.options.instancesMatter && !this.options.instancesMatter(name, tags)) {
            services.push({ name, tags, instances: [] });
            continue;
          }
          const entries = await readHealthService(this.consul, name, signal ? { signal } : {});
          datacenter ??= entries.value.find((entry) => entry.Node.Datacenter)?.Node.Datacenter;
          services.push({
            name,
            tags,
            instances: entries.value.map((entry) => ({ meta: { ...(entry.Service.Meta ?? {}) } })),
          });
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, pending.length) }, worker));
      return { services, index: listing.index, ...(datacenter ? { datacenter } : {}) };
    } catch (err) {
      throw asSourceError(err);
    }
  }

  async waitForChange(index: string | undefined, signal: AbortSignal): Promise<string | undefined> {
    try {
      const blockOn = index === undefined ? undefined : nextBlockingIndex(undefined, index);
      const listing = await readCatalogServices(this.consul, {
        ...(blockOn !== undefined ? { index: blockOn } : {}),
        waitMs: this.options.waitMs ?? DEFAULT_WAIT_MS,
        signal,
      });
      return listing.index;
    } catch (err) {
      if (signal.aborted) return index;
      throw asSourceError(err);
    }
  }
}

function asSourceError(err: unknown): Error {
  if (err instanceof CatalogSourceError) return err;
  if (err instanceof ConsulError) {
    return new CatalogSourceError(
      `${err.message}${err.kind === 'auth' ? " (check the token's service:read and node:read rights)" : ''}; nothing is changed`,
      err.kind === 'auth' ? 'denied' : 'transient',
    );
  }
  return new CatalogSourceError(`Consul read failed: ${(err as Error).message}; nothing is changed`);
}
