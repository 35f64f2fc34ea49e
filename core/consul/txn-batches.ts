/**
 * How catalog operations are cut into `/v1/txn` requests: consecutive batches bounded by Consul's
 * operation count and by body bytes, order kept. Pure.
 */

/** Consul's documented limit of operations in one `/v1/txn` request. */
export const MAX_TXN_OPS = 64;

/**
 * Bytes we put in one `/v1/txn` body: under Consul's `limits.txn_max_req_len` (524288 by
 * default, a 413 above it) with room for the request framing.
 */
export const MAX_TXN_BYTES = 480 * 1024;

/** Splits operations into consecutive batches of at most `size` (order kept). */
export function batchOps<T>(ops: readonly T[], size = MAX_TXN_OPS): T[][] {
  return batchTxnOps(ops, { maxOps: size });
}

export interface TxnLimits {
  /** Operations per transaction (default MAX_TXN_OPS). */
  maxOps?: number;
  /** JSON bytes per transaction body (default MAX_TXN_BYTES). */
  maxBytes?: number;
  /** Serialized size of one operation; default its JSON length in UTF-8 bytes. */
  sizeOf?: (op: never) => number;
}

/** JSON size of one value in UTF-8 bytes (what goes on the wire). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Splits operations into consecutive batches bounded by count and by body bytes (`[a,b]`: one
 * byte per separator plus the brackets), order kept. An operation too large on its own goes alone
 * (Consul answers 413 and the caller falls back to a single call).
 */
export function batchTxnOps<T>(ops: readonly T[], limits: TxnLimits = {}): T[][] {
  const maxOps = limits.maxOps ?? MAX_TXN_OPS;
  const maxBytes = limits.maxBytes ?? MAX_TXN_BYTES;
  if (!Number.isInteger(maxOps) || maxOps < 1)
    throw new RangeError(`batch size must be an integer >= 1, got ${maxOps}`);
  if (!(maxBytes > 2)) throw new RangeError(`batch byte limit must be > 2, got ${maxBytes}`);
  const sizeOf = (limits.sizeOf as ((op: T) => number) | undefined) ?? jsonBytes;
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 2;
  for (const op of ops) {
    const size = sizeOf(op);
    if (current.length > 0 && (current.length >= maxOps || bytes + 1 + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 2;
    }
    bytes += size + (current.length > 0 ? 1 : 0);
    current.push(op);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
