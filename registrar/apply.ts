/**
 * Writes diff operations to Consul: `/v1/txn` batches of at most 64 operations, in order. A batch
 * Consul rejects as a whole without naming an operation (e.g. a body over its size limit) falls
 * back to single register/deregister calls for that batch; an operation Consul names as invalid is
 * dropped (with its instance's other operations) and the rest retried. Transient and ACL errors
 * stop the pass and are returned, so the caller can retry later with fresh state.
 */
import {
  applyCatalogTxn,
  type CatalogRegistration,
  type CatalogTxnOp,
  type ConsulClient,
  ConsulError,
  deregisterCatalog,
  MAX_TXN_OPS,
  registerCatalog,
  toConsulError,
} from '../core/consul';
import {
  DEFAULT_WEIGHTS,
  NODE_ADDRESS,
  READINESS_CHECK_NAME,
  READINESS_CHECK_TYPE,
  type Instance,
} from './catalog';
import type { Op } from './diff';

export interface ApplyOptions {
  consul: ConsulClient;
  nodeName: string;
  maxOpsPerTxn?: number;
  /** Asked before every write; false stops the pass (e.g. leadership was lost mid-pass). */
  mayWrite?: () => boolean;
}

export interface RejectedOp {
  op: Op;
  reason: string;
}

export interface ApplyOutcome {
  /** Operations Consul accepted, in order. */
  applied: Op[];
  /** Operations Consul refused as invalid; retrying them unchanged cannot succeed. */
  rejected: RejectedOp[];
  transactions: number;
  singleCalls: number;
  /** Set when the pass stopped on a transient or ACL error; the ops after `applied` were not written. */
  error?: ConsulError;
  /** Set when `mayWrite` stopped the pass; the ops after `applied` were not written. */
  stopped?: boolean;
}

/** The instance an operation is about (deletes: the service ID), to drop its sibling ops together. */
export function opSubject(op: Op): string {
  switch (op.kind) {
    case 'node':
      return `node:${op.node.name}`;
    case 'delete-node':
      return `node:${op.node}`;
    case 'service':
    case 'check':
      return op.instance.id;
    case 'delete':
    case 'delete-check':
      return op.serviceId;
  }
}

export async function applyOps(ops: readonly Op[], options: ApplyOptions): Promise<ApplyOutcome> {
  const outcome: ApplyOutcome = { applied: [], rejected: [], transactions: 0, singleCalls: 0 };
  const size = options.maxOpsPerTxn ?? MAX_TXN_OPS;
  let remaining: readonly Op[] = ops;
  let next = 0; // index of the first op of `remaining` not yet written
  while (next < remaining.length) {
    if (options.mayWrite && !options.mayWrite()) {
      outcome.stopped = true;
      return outcome;
    }
    const batch = remaining.slice(next, next + size);
    try {
      await applyCatalogTxn(
        options.consul,
        batch.map((op) => toTxnOp(op, options.nodeName)),
        { maxOpsPerTxn: size },
      );
      outcome.transactions += 1;
      outcome.applied.push(...batch);
      next += batch.length;
      continue;
    } catch (err) {
      const error = err instanceof ConsulError ? err : toConsulError(err, 'txn');
      if (error.kind !== 'bad-request') {
        outcome.error = error;
        return outcome;
      }
      if (error.opErrors.length === 0) {
        // The transaction as a whole was refused: write this batch one call at a time.
        const single = await applySingly(batch, options, outcome);
        if (single) {
          outcome.error = single;
          return outcome;
        }
        next += batch.length;
        continue;
      }
      const bad = new Map<string, string>();
      for (const opError of error.opErrors) {
        const op = batch[opError.OpIndex];
        // The first error of an instance is the cause; later ones follow from it.
        if (op && !bad.has(opSubject(op))) bad.set(opSubject(op), opError.What);
      }
      if (bad.size === 0) {
        outcome.error = error;
        return outcome;
      }
      // Drop every op of the refused instances (their siblings would fail too), keep the rest.
      const kept: Op[] = [];
      for (const op of remaining.slice(next)) {
        const reason = bad.get(opSubject(op));
        if (reason === undefined) kept.push(op);
        else outcome.rejected.push({ op, reason });
      }
      remaining = kept;
      next = 0;
    }
  }
  return outcome;
}

/** Returns the error that stopped it (transient or auth), else undefined. */
async function applySingly(
  batch: readonly Op[],
  options: ApplyOptions,
  outcome: ApplyOutcome,
): Promise<ConsulError | undefined> {
  for (const op of batch) {
    if (options.mayWrite && !options.mayWrite()) {
      outcome.stopped = true;
      return undefined;
    }
    try {
      await singleCall(op, options);
      outcome.singleCalls += 1;
      outcome.applied.push(op);
    } catch (err) {
      const error = err instanceof ConsulError ? err : toConsulError(err, 'catalog');
      if (error.kind !== 'bad-request') return error;
      outcome.rejected.push({ op, reason: error.message });
    }
  }
  return undefined;
}

function serviceBody(instance: Instance) {
  const weights = instance.weights ?? DEFAULT_WEIGHTS;
  return {
    ID: instance.id,
    Service: instance.service,
    Tags: [...instance.tags],
    Address: instance.address,
    Port: instance.port,
    Meta: { ...instance.meta },
    // Always explicit, so what Consul stores is exactly what the diff compares against.
    Weights: { Passing: weights.passing, Warning: weights.warning },
  };
}

function checkBody(instance: Instance, nodeName: string) {
  const check = instance.check!;
  return {
    Node: nodeName,
    CheckID: check.id,
    Name: READINESS_CHECK_NAME,
    Type: READINESS_CHECK_TYPE,
    Status: check.status,
    Output: check.output,
    ServiceID: instance.id,
    ServiceName: instance.service,
  };
}

export function toTxnOp(op: Op, nodeName: string): CatalogTxnOp {
  switch (op.kind) {
    case 'node':
      return {
        Node: {
          Verb: 'set',
          Node: { Node: op.node.name, Address: op.node.address, Meta: { ...op.node.meta } },
        },
      };
    case 'service':
      return { Service: { Verb: 'set', Node: nodeName, Service: serviceBody(op.instance) } };
    case 'check':
      return { Check: { Verb: 'set', Check: checkBody(op.instance, nodeName) } };
    case 'delete':
      // The name lets Consul check service:write on it (ACLs) as for a set.
      return {
        Service: { Verb: 'delete', Node: nodeName, Service: { ID: op.serviceId, Service: op.service } },
      };
    case 'delete-check':
      return { Check: { Verb: 'delete', Check: { Node: nodeName, CheckID: op.checkId } } };
    case 'delete-node':
      return { Node: { Verb: 'delete', Node: { Node: op.node } } };
  }
}

async function singleCall(op: Op, options: ApplyOptions): Promise<void> {
  const { consul, nodeName } = options;
  const base: CatalogRegistration = { Node: nodeName, Address: NODE_ADDRESS, SkipNodeUpdate: true };
  switch (op.kind) {
    case 'node':
      return registerCatalog(consul, {
        Node: op.node.name,
        Address: op.node.address,
        NodeMeta: { ...op.node.meta },
      });
    case 'service':
      return registerCatalog(consul, { ...base, Service: serviceBody(op.instance) });
    case 'check':
      return registerCatalog(consul, { ...base, Check: checkBody(op.instance, nodeName) });
    case 'delete':
      return deregisterCatalog(consul, { Node: nodeName, ServiceID: op.serviceId });
    case 'delete-check':
      return deregisterCatalog(consul, { Node: nodeName, CheckID: op.checkId });
    case 'delete-node':
      return deregisterCatalog(consul, { Node: op.node });
  }
}
