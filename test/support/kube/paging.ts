/**
 * Chunked lists (`limit` / `continue`), as the API server serves them: items in key order
 * (namespace/name), a `continue` token while more remain, `remainingItemCount`, the first page's
 * resourceVersion on every page. A token from before the retained history (`expireHistory()`) is
 * refused with 410 Expired, like a continue token whose etcd revision was compacted; a token that
 * does not parse is 400. Simplification: later pages show the objects' current state rather than a
 * snapshot at the first page's revision.
 */
import { apiVersionOf, type ResourceType } from './resources';
import type { ListResult } from './store';
import { badRequest, StatusError } from './status';

interface Token {
  rv: number;
  after: string;
}

const itemKey = (view: { metadata?: { namespace?: string; name?: string } }): string =>
  `${view.metadata?.namespace ?? ''}/${view.metadata?.name ?? ''}`;

function decode(token: string): Token {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<Token>;
    if (typeof parsed.rv === 'number' && typeof parsed.after === 'string') return parsed as Token;
  } catch {
    // fall through to the API server's answer for a token it did not issue
  }
  throw badRequest(`continue key is not valid: ${JSON.stringify(token.slice(0, 40))}`);
}

/** True when the request asks for a chunked list. */
export function isPagedList(query: URLSearchParams): boolean {
  return Number(query.get('limit') ?? '0') > 0 || (query.get('continue') ?? '') !== '';
}

export function pagedListJson(
  resource: ResourceType,
  list: ListResult,
  query: URLSearchParams,
  oldestResumableVersion: number,
): string {
  const token = query.get('continue') ? decode(query.get('continue') ?? '') : undefined;
  if (token && token.rv < oldestResumableVersion) {
    throw new StatusError(
      410,
      'Expired',
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
    );
  }
  const limit = Number(query.get('limit') ?? '0');
  const sorted = list.items
    .map((item) => ({ item, key: itemKey(item.view) }))
    .filter(({ key }) => !token || key > token.after)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const page = limit > 0 ? sorted.slice(0, limit) : sorted;
  const remaining = sorted.length - page.length;
  const rv = token?.rv ?? list.resourceVersion;
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
  if (remaining > 0) {
    const last = page[page.length - 1]?.key ?? '';
    metadata.continue = Buffer.from(JSON.stringify({ rv, after: last })).toString('base64url');
    metadata.remainingItemCount = remaining;
  }
  const head = JSON.stringify({ kind: `${resource.kind}List`, apiVersion: apiVersionOf(resource), metadata });
  return `${head.slice(0, -1)},"items":[${page.map(({ item }) => item.json).join(',')}]}`;
}
