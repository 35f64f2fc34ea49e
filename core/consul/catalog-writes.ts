/**
 * Catalog writes: register and deregister with full PascalCase bodies (the npm client drops
 * fields), and catalog operations applied in bounded transactions (txn-batches.ts), each one
 * all-or-nothing. Every failure is a ConsulError (see errors.ts).
 */
import { clientToken, consulRequest, rawConsulRequest, type ConsulClient } from './client';
import { ConsulError, toConsulError, type TxnOpError } from './errors';
import { SequentialRequestBody } from './bodies';
import { DEFAULT_TIMEOUT_MS } from './blocking-read';
import { batchTxnOps, type TxnLimits } from './txn-batches';
import type { CatalogDeregistration, CatalogRegistration, CatalogTxnOp, TxnResult } from './catalog-types';

/** Per-write options: `timeoutMs` bounds the request (e.g. by the remaining lease time). */
interface WriteOptions {
  timeoutMs?: number;
}

/** `PUT /v1/catalog/<endpoint>` with `body` as given. */
async function putCatalog(
  consul: ConsulClient,
  endpoint: 'register' | 'deregister',
  body: CatalogRegistration | CatalogDeregistration,
  options: WriteOptions,
): Promise<void> {
  await consulRequest(consul, {
    method: 'PUT',
    name: `catalog.${endpoint}`,
    path: `/catalog/${endpoint}`,
    body,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
}

/** `PUT /v1/catalog/register` with the full body (the npm client drops Weights and more). */
export function registerCatalog(
  consul: ConsulClient,
  registration: CatalogRegistration,
  options: WriteOptions = {},
): Promise<void> {
  return putCatalog(consul, 'register', registration, options);
}

/** `PUT /v1/catalog/deregister`: removes the node, or one service/check when given. */
export function deregisterCatalog(
  consul: ConsulClient,
  deregistration: CatalogDeregistration,
  options: WriteOptions = {},
): Promise<void> {
  return putCatalog(consul, 'deregister', deregistration, options);
}

interface TxnApplyResult {
  /** Number of `/v1/txn` requests made. */
  transactions: number;
  results: TxnResult[];
}

const ignoreChunk = (): void => undefined;

/**
 * Applies catalog operations in transactions bounded by `maxOpsPerTxn` and `maxBytes` (each one
 * all-or-nothing), in order. On a failure, earlier batches stay applied: the ConsulError says how
 * many ops were committed (`committedOps`) and its per-op errors carry indexes into `ops` as given.
 */
export async function applyCatalogTxn(
  consul: ConsulClient,
  ops: readonly CatalogTxnOp[],
  options: {
    maxOpsPerTxn?: number;
    maxBytes?: number;
    timeoutMs?: number;
    /**
     * False: Consul's results (every written entry, echoed back) are not parsed and `results` stays
     * empty; a caller that only needs to know the writes committed saves their memory.
     */
    results?: boolean;
    /** Where bodies are written; pass one per sequence of calls awaited one at a time. */
    body?: SequentialRequestBody;
  } = {},
): Promise<TxnApplyResult> {
  const body = options.body ?? new SequentialRequestBody();
  const wantResults = options.results ?? true;
  const results: TxnResult[] = [];
  let committed = 0;
  let transactions = 0;
  const limits: TxnLimits = {};
  if (options.maxOpsPerTxn !== undefined) limits.maxOps = options.maxOpsPerTxn;
  if (options.maxBytes !== undefined) limits.maxBytes = options.maxBytes;
  for (const batch of batchTxnOps(ops, limits)) {
    transactions++;
    let answer: unknown;
    try {
      [, answer] = await rawConsulRequest(consul, {
        method: 'PUT',
        name: 'txn',
        path: '/txn',
        body: body.encode(batch),
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(wantResults ? {} : { onBodyChunk: ignoreChunk }),
      });
    } catch (err) {
      const base = toConsulError(err, 'txn', clientToken(consul));
      const opErrors: TxnOpError[] = base.opErrors.map((o) => ({
        OpIndex: o.OpIndex + committed,
        What: o.What,
      }));
      throw new ConsulError(base.message, base.kind, base.operation, base.statusCode, opErrors, committed);
    }
    const batchResults = wantResults
      ? (answer as { Results?: TxnResult[] | null } | undefined)?.Results
      : undefined;
    if (batchResults) results.push(...batchResults);
    committed += batch.length;
  }
  return { transactions, results };
}
