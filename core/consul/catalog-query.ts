/**
 * `GET /v1/catalog/services` with the query parameters a read of the whole catalog in O(1)
 * requests needs: `stale` (any server answers, as consul-k8s's to-k8s reads it) and `filter`
 * (a go-bexpr expression over the service instances, e.g. on `ServiceMeta`). Additive beside
 * catalog-reads.ts's `readCatalogServices`, which takes neither.
 */
import { EventEmitter } from 'node:events';
import { blockingTimeoutMs, type Indexed, type ReadOptions } from './blocking-read';
import { clientToken, rawConsulRequest, type ConsulClient, type ConsulRequestContext } from './client';
import { toConsulError } from './errors';

interface ServicesQuery extends ReadOptions {
  /** `filter`: only instances matching it count (names whose every instance fails are left out). */
  filter?: string;
  /** `stale`: let any server answer (default true: the read scales with the servers, not the leader). */
  stale?: boolean;
}

const IMMEDIATE_TIMEOUT_MS = 15_000;

/** Quotes a string for a go-bexpr expression (`"..."` with `\` and `"` escaped). */
export function bexprString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `GET /v1/catalog/services?stale&filter=...`: service name -> union of the matching instances' tags. */
export async function queryCatalogServices(
  consul: ConsulClient,
  query: ServicesQuery = {},
): Promise<Indexed<Record<string, string[]>>> {
  const params: Record<string, string> = {};
  if (query.stale ?? true) params.stale = '';
  if (query.filter !== undefined) params.filter = query.filter;
  const blocking = query.index !== undefined && query.index !== '0';
  if (blocking) {
    params.index = query.index!;
    if (query.waitMs !== undefined) params.wait = `${Math.max(1, Math.round(query.waitMs))}ms`;
  }
  const ctx = new EventEmitter() as ConsulRequestContext;
  ctx.includeResponse = true;
  const cancel = (): boolean => ctx.emit('cancel');
  if (query.signal?.aborted) queueMicrotask(cancel);
  else query.signal?.addEventListener('abort', cancel, { once: true });
  try {
    const [res, body] = await rawConsulRequest(consul, {
      method: 'GET',
      name: 'catalog.services',
      path: '/catalog/services',
      query: params,
      ctx,
      timeoutMs: blocking ? blockingTimeoutMs(query.waitMs ?? 5 * 60_000) : IMMEDIATE_TIMEOUT_MS,
    });
    const header = (name: string): string | undefined => {
      const value = res.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    return {
      index: header('x-consul-index') ?? '0',
      knownLeader: header('x-consul-knownleader') === 'true',
      filteredByAcls: header('x-consul-results-filtered-by-acls') === 'true',
      maybeFilteredByAcls: !clientToken(consul) && header('x-consul-default-acl-policy') === 'deny',
      value: (body as Record<string, string[]> | null) ?? {},
    };
  } catch (err) {
    throw toConsulError(err, 'catalog.services', clientToken(consul));
  } finally {
    query.signal?.removeEventListener('abort', cancel);
  }
}
