/**
 * Typed catalog and health reads for the registrar and the generator: service names (optionally
 * `stale` and `filter`ed; bexprString quotes filter values), a node's instances (streamed, so a
 * huge node never exists as one parsed tree), one node, and the healthy instances of a service. Each returns the `X-Consul-Index` to block on (blocking-read.ts).
 */
import type { ConsulClient } from './client';
import { indexedRead, type Indexed, type ReadOptions, type StreamingDecoder } from './blocking-read';
import type { CatalogNode, HealthServiceEntry, NodeService } from './catalog-types';
import { type JsonPath, JsonValueStream } from '../json/select';

/** Quotes a string for a go-bexpr expression (`"..."` with `\` and `"` escaped), as in a `filter`. */
export function bexprString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

interface ServicesQuery extends ReadOptions {
  /** `filter`: only instances matching it count (names whose every instance fails are left out). */
  filter?: string;
  /**
   * `stale`: let any server answer, as consul-k8s's to-k8s reads it (the read then scales with the
   * servers, not the leader). Default false: the leader answers.
   */
  stale?: boolean;
}

/** `GET /v1/catalog/services[?stale][&filter=...]`: each visible service name, with the union of its matching instances' tags. */
export async function readCatalogServices(
  consul: ConsulClient,
  options: ServicesQuery = {},
): Promise<Indexed<Record<string, string[]>>> {
  const query: Record<string, string> = {};
  if (options.stale) query.stale = '';
  if (options.filter !== undefined) query.filter = options.filter;
  const result = await indexedRead<Record<string, string[]> | null>(
    consul,
    'catalog.services',
    '/catalog/services',
    {},
    query,
    options,
  );
  return { ...result, value: result.value ?? {} };
}

/** Consul Enterprise: the namespace a read covers (`*`: every namespace, on list endpoints). */
interface NamespaceOption {
  namespace?: string;
}

function namespaceQuery(options: NamespaceOption): Record<string, string> {
  return options.namespace === undefined ? {} : { ns: options.namespace };
}

/**
 * `GET /v1/catalog/node-services/:node`: the node (null when unknown) and its instances. Each
 * instance passes through `reduce` as it is read (core/json/select.ts), so a node with 30,000 services
 * never exists as one parsed tree.
 */
export async function readNodeServices<S = NodeService>(
  consul: ConsulClient,
  node: string,
  options: ReadOptions &
    NamespaceOption & {
      /** A Consul filter expression over the node's services (evaluated by Consul). */
      filter?: string;
    } = {},
  reduce: (service: NodeService) => S = (service) => service as S,
): Promise<Indexed<{ node: CatalogNode | null; services: S[] }>> {
  const value: { node: CatalogNode | null; services: S[] } = { node: null, services: [] };
  const stream = new JsonValueStream(isNodeOrService, (path, selected) => {
    if (path[0] === 'Node') value.node = selected as CatalogNode | null;
    else value.services.push(reduce(selected as NodeService));
  });
  const decoder: StreamingDecoder<typeof value> = {
    write: (chunk) => stream.write(chunk),
    end: () => {
      stream.end();
      return value;
    },
  };
  return indexedRead(
    consul,
    'catalog.node-services',
    '/catalog/node-services/{node}',
    { node },
    { ...namespaceQuery(options), ...(options.filter === undefined ? {} : { filter: options.filter }) },
    options,
    decoder,
  );
}

const isNodeOrService = (path: JsonPath) =>
  (path.length === 1 && path[0] === 'Node') || (path.length === 2 && path[0] === 'Services');

/** One node by name (`GET /v1/catalog/nodes` filtered to it, so its services are not read), or null. */
export async function readNode(consul: ConsulClient, node: string): Promise<CatalogNode | null> {
  const result = await indexedRead<CatalogNode[] | null>(
    consul,
    'catalog.nodes',
    '/catalog/nodes',
    {},
    { filter: `Node == ${JSON.stringify(node)}` },
    {},
  );
  return result.value?.find((entry) => entry.Node === node) ?? null;
}

/** `GET /v1/health/service/:name` (`passing` keeps only instances whose checks all pass). */
export async function readHealthService(
  consul: ConsulClient,
  service: string,
  options: ReadOptions & { passing?: boolean; tag?: string } = {},
): Promise<Indexed<HealthServiceEntry[]>> {
  const query: Record<string, string> = {};
  if (options.passing) query.passing = 'true';
  if (options.tag !== undefined) query.tag = options.tag;
  const result = await indexedRead<HealthServiceEntry[] | null>(
    consul,
    'health.service',
    '/health/service/{service}',
    { service },
    query,
    options,
  );
  return { ...result, value: result.value ?? [] };
}
