/**
 * Writes diff operations to Consul in `/v1/txn` transactions bounded by operations and bytes, in
 * order. One refused instance never holds back the others: when Consul rolls a transaction back
 * naming operations (an ACL denial, an invalid registration), the other instances are written in
 * a transaction of their own and each named instance is tried alone, so only what Consul refuses
 * on its own is reported as refused (consul-k8s registers every instance with its own call, with
 * the same isolation). A transaction refused without naming an operation (e.g. a 413) falls back
 * to single calls. Transient errors, an unknown token and a refused node stop the pass and are
 * returned, so the caller retries later with fresh state. With Consul Enterprise namespaces, a
 * namespace is created before its first registration (`namespaces`); one Consul will not create
 * refuses the registrations into it, as any other refusal. The request bodies are built, purely,
 * in catalog-requests.ts; this file sends them and judges the answers.
 */
import {
  applyCatalogTxn,
  batchTxnOps,
  type ConsulClient,
  ConsulError,
  deregisterCatalog,
  isPermissionDenied,
  isTokenNotFound,
  jsonBytes,
  MAX_TXN_BYTES,
  MAX_TXN_OPS,
  registerCatalog,
  toConsulError,
} from '../core/consul';
import type { NamespaceCreator } from '../core/consul/namespaces';
import { SequentialRequestBody } from '../core/consul/bodies';
import { isNodeOp, opSubject, toCatalogCall, toTxnOp } from './catalog-requests';
import type { Op } from './diff';

interface ApplyOptions {
  consul: ConsulClient;
  nodeName: string;
  /** Consul Enterprise: the admin partition written into every operation. */
  partition?: string;
  /** Consul Enterprise: creates the namespaces the registrations go to (absent: none are created). */
  namespaces?: NamespaceCreator;
  maxOpsPerTxn?: number;
  /** Body bytes per transaction (default MAX_TXN_BYTES, under Consul's 512 KiB). */
  maxTxnBytes?: number;
  /**
   * Asked before every write: false stops the pass (e.g. leadership was lost mid-pass); a number
   * is the time the write may take (ms), e.g. what is left of the lease, so no write can land
   * after another replica could have taken over.
   */
  mayWrite?: () => boolean | number;
}

/** Why Consul refused an operation: the token lacks a permission, or the registration is invalid. */
export type RefusalCause = 'permission' | 'invalid';

export interface RejectedOp {
  op: Op;
  reason: string;
  cause: RefusalCause;
}

export interface ApplyOutcome {
  /** Operations Consul accepted, in order. */
  applied: Op[];
  /** Operations Consul refused on their own; retrying them unchanged cannot succeed. */
  rejected: RejectedOp[];
  transactions: number;
  singleCalls: number;
  /** Set when the pass stopped on a transient or token error; the ops after `applied` were not written. */
  error?: ConsulError;
  /** Set when `mayWrite` stopped the pass; the ops after `applied` were not written. */
  stopped?: boolean;
}

function causeOf(text: string): RefusalCause {
  return isPermissionDenied(text) ? 'permission' : 'invalid';
}

export async function applyOps(ops: readonly Op[], options: ApplyOptions): Promise<ApplyOutcome> {
  const outcome: ApplyOutcome = { applied: [], rejected: [], transactions: 0, singleCalls: 0 };
  const writable = options.namespaces ? await ensureNamespaces(ops, options.namespaces, outcome) : ops;
  if (outcome.error) return outcome;
  const writer = new Writer(options, outcome);
  for (const batch of writer.batches(writable)) {
    if (!(await writer.batch(batch, false))) break;
  }
  return outcome;
}

/** The namespace a registration goes to (deletes need none created). */
function targetNamespace(op: Op): string | undefined {
  return op.kind === 'service' || op.kind === 'check' ? op.instance.namespace : undefined;
}

/**
 * Creates the namespaces the registrations go to; the ops into one Consul refuses to create are
 * rejected (permission or invalid), a transient failure stops the pass (`outcome.error`).
 */
async function ensureNamespaces(
  ops: readonly Op[],
  creator: NamespaceCreator,
  outcome: ApplyOutcome,
): Promise<readonly Op[]> {
  const refused = new Map<string, ConsulError>();
  for (const namespace of new Set(ops.map(targetNamespace))) {
    if (namespace === undefined) continue;
    try {
      await creator.ensure(namespace);
    } catch (err) {
      const error = err instanceof ConsulError ? err : toConsulError(err, 'namespace');
      if (error.kind === 'transient' || isTokenNotFound(error)) {
        outcome.error = error;
        return [];
      }
      refused.set(namespace, error);
    }
  }
  if (refused.size === 0) return ops;
  return ops.filter((op) => {
    const namespace = targetNamespace(op);
    const error = namespace === undefined ? undefined : refused.get(namespace);
    if (!error) return true;
    const reason = `namespace "${namespace}" could not be created: ${error.message}`;
    outcome.rejected.push({ op, reason, cause: error.kind === 'auth' ? 'permission' : 'invalid' });
    return false;
  });
}

/** One pass of writes; every method returns false when the pass must stop (error or stop). */
class Writer {
  private readonly maxOps: number;
  private readonly maxBytes: number;
  /** The pass's transactions are sent one at a time, so they share one body buffer. */
  private readonly body = new SequentialRequestBody();

  constructor(
    private readonly options: ApplyOptions,
    private readonly outcome: ApplyOutcome,
  ) {
    this.maxOps = options.maxOpsPerTxn ?? MAX_TXN_OPS;
    this.maxBytes = options.maxTxnBytes ?? MAX_TXN_BYTES;
  }

  batches(ops: readonly Op[]): Op[][] {
    const { nodeName, partition } = this.options;
    return batchTxnOps(ops, {
      maxOps: this.maxOps,
      maxBytes: this.maxBytes,
      sizeOf: (op: Op) => jsonBytes(toTxnOp(op, nodeName, partition)),
    });
  }

  /** The time the next write may take, or undefined to stop (mayWrite said no). */
  private budget(): { timeoutMs?: number } | undefined {
    const answer = this.options.mayWrite?.() ?? true;
    if (answer === false || (typeof answer === 'number' && answer <= 0)) {
      this.outcome.stopped = true;
      return undefined;
    }
    return typeof answer === 'number' ? { timeoutMs: answer } : {};
  }

  /**
   * One transaction. `alone`: the ops of one instance, retried after a rollback that named it;
   * a rollback now means Consul refuses this instance itself.
   */
  async batch(ops: readonly Op[], alone: boolean): Promise<boolean> {
    const budget = this.budget();
    if (!budget) return false;
    try {
      await applyCatalogTxn(
        this.options.consul,
        ops.map((op) => toTxnOp(op, this.options.nodeName, this.options.partition)),
        {
          maxOpsPerTxn: ops.length,
          maxBytes: Number.MAX_SAFE_INTEGER,
          results: false,
          body: this.body,
          ...budget,
        },
      );
      this.outcome.transactions += 1;
      this.outcome.applied.push(...ops);
      return true;
    } catch (err) {
      const error = err instanceof ConsulError ? err : toConsulError(err, 'txn');
      if (error.opErrors.length > 0) return this.split(ops, error, alone);
      if (error.kind === 'bad-request') return this.singly(ops);
      this.outcome.error = error;
      return false;
    }
  }

  /** A rollback naming operations: the rest goes on, each named instance is tried alone. */
  private async split(ops: readonly Op[], error: ConsulError, alone: boolean): Promise<boolean> {
    const named = new Map<string, string>();
    for (const opError of error.opErrors) {
      const op = ops[opError.OpIndex];
      // The first error of an instance is the cause; later ones follow from it.
      if (op && !named.has(opSubject(op))) named.set(opSubject(op), opError.What);
    }
    // Without the node nothing can be written; an op we cannot place is not ours to judge.
    if (named.size === 0 || ops.some((op) => isNodeOp(op) && named.has(opSubject(op)))) {
      this.outcome.error = error;
      return false;
    }
    const rest = ops.filter((op) => !named.has(opSubject(op)));
    if (alone || (rest.length === 0 && named.size === 1)) {
      const reason = [...named.values()][0]!;
      for (const op of ops) this.outcome.rejected.push({ op, reason, cause: causeOf(reason) });
      return true;
    }
    if (rest.length > 0 && !(await this.batch(rest, false))) return false;
    for (const subject of named.keys()) {
      if (
        !(await this.batch(
          ops.filter((op) => opSubject(op) === subject),
          true,
        ))
      )
        return false;
    }
    return true;
  }

  /** Single register/deregister calls (a transaction refused as a whole). */
  private async singly(ops: readonly Op[]): Promise<boolean> {
    for (const op of ops) {
      const budget = this.budget();
      if (!budget) return false;
      try {
        await singleCall(op, this.options, budget.timeoutMs);
        this.outcome.singleCalls += 1;
        this.outcome.applied.push(op);
      } catch (err) {
        const error = err instanceof ConsulError ? err : toConsulError(err, 'catalog');
        const refusal =
          error.kind === 'bad-request' || (error.kind === 'auth' && !isTokenNotFound(error) && !isNodeOp(op));
        if (!refusal) {
          this.outcome.error = error;
          return false;
        }
        this.outcome.rejected.push({
          op,
          reason: error.message,
          cause: error.kind === 'auth' ? 'permission' : causeOf(error.message),
        });
      }
    }
    return true;
  }
}

async function singleCall(op: Op, options: ApplyOptions, timeoutMs: number | undefined): Promise<void> {
  const write = timeoutMs === undefined ? {} : { timeoutMs };
  const call = toCatalogCall(op, options.nodeName, options.partition);
  return call.verb === 'register'
    ? registerCatalog(options.consul, call.body, write)
    : deregisterCatalog(options.consul, call.body, write);
}
