/**
 * The Consul source. A read costs a fixed number of requests whatever the catalog's size, all
 * `/v1/catalog/services?stale` (as consul-k8s's to-k8s reads it): every name with its tags, then
 * the names having an instance that opts out, that came from Kubernetes, and (with a cluster ID)
 * that came from this cluster — each a `filter` on `ServiceMeta` (see instance-rules.ts). The only
 * per-service read is one `/v1/health/service` when the datacenter must go into externalName
 * (the listing does not say which datacenter answered).
 *
 * Any Consul error or 403 becomes a CatalogSourceError (nothing is changed). An answer filtered
 * by ACLs is returned with a gap: the run then removes nothing, since what it cannot see may exist.
 */
import {
  ConsulError,
  createConsulClient,
  nextBlockingIndex,
  readCatalogServices,
  readHealthService,
  type ConsulClient,
  type ConsulConfig,
} from '../../core/consul';
import { factsFromListings, instanceFilters } from './instance-rules';
import type { CatalogGap, CatalogService, CatalogSnapshot } from './catalog';
import { CatalogSourceError, type CatalogSource } from './source';

const DEFAULT_WAIT_MS = 5 * 60_000;
const FILTERED_BY_ACLS =
  'filtered by ACLs (X-Consul-Results-Filtered-By-ACLs: true): the token cannot read every service';

const ANONYMOUS_UNDER_DENY =
  'read without a token from a Consul whose default ACL policy is deny: Consul does not say what it filters from such a read (set CONSUL_HTTP_TOKEN)';

interface ConsulSourceOptions {
  /** `--cluster-id`: which Kubernetes registrations are this cluster's. */
  clusterId?: string;
  /** Read the datacenter that answered (for `--consul-datacenter-dns` without a value). */
  needsDatacenter?: boolean;
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
    const filters = instanceFilters(this.options.clusterId);
    const query = (what: string, filter?: string) =>
      readCatalogServices(this.consul, {
        stale: true,
        ...(filter ? { filter } : {}),
        ...(signal ? { signal } : {}),
      }).then((answer) => ({ what, answer }));
    try {
      const [all, optedOut, fromKubernetes, thisCluster] = await Promise.all([
        query('/v1/catalog/services'),
        query('/v1/catalog/services (instances opting out)', filters.optedOut),
        query('/v1/catalog/services (instances from Kubernetes)', filters.fromKubernetes),
        ...(filters.thisCluster
          ? [query("/v1/catalog/services (instances from this cluster's Kubernetes)", filters.thisCluster)]
          : []),
      ]);
      const names = (listing: { answer: { value: Record<string, string[]> } } | undefined) =>
        new Set(Object.keys(listing?.answer.value ?? {}));
      const listings = {
        optedOut: names(optedOut),
        fromKubernetes: names(fromKubernetes),
        ...(thisCluster ? { thisCluster: names(thisCluster) } : {}),
      };
      const services: CatalogService[] = Object.entries(all!.answer.value).map(([name, tags]) => ({
        name,
        tags: tags ?? [],
        ...factsFromListings(name, listings),
      }));
      const gaps: CatalogGap[] = [all, optedOut, fromKubernetes, thisCluster].flatMap((listing) => {
        if (listing?.answer.filteredByAcls) return [{ what: listing.what, reason: FILTERED_BY_ACLS }];
        if (listing?.answer.maybeFilteredByAcls)
          return [{ what: listing.what, reason: ANONYMOUS_UNDER_DENY }];
        return [];
      });
      const datacenter = await this.datacenter(services, signal);
      return {
        services,
        index: all!.answer.index,
        ...(datacenter ? { datacenter } : {}),
        ...(gaps.length > 0 ? { gaps } : {}),
      };
    } catch (err) {
      throw asSourceError(err);
    }
  }

  /** The datacenter that answered, from one instance (only when the output needs it). */
  private async datacenter(services: CatalogService[], signal?: AbortSignal): Promise<string | undefined> {
    if (!this.options.needsDatacenter || services.length === 0) return undefined;
    const entries = await readHealthService(this.consul, services[0]!.name, signal ? { signal } : {});
    return entries.value.find((entry) => entry.Node.Datacenter)?.Node.Datacenter;
  }

  async waitForChange(index: string | undefined, signal: AbortSignal): Promise<string | undefined> {
    try {
      const blockOn = index === undefined ? undefined : nextBlockingIndex(undefined, index);
      const listing = await readCatalogServices(this.consul, {
        stale: true,
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
