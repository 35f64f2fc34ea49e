/**
 * How one diff operation is written to Consul, pure: its `/v1/txn` operation, or the single
 * catalog register/deregister call that replaces it when a transaction is refused as a whole,
 * with Consul Enterprise's namespace and partition fields; and which instance an operation is
 * about, which keeps an instance's operations together. apply.ts sends them.
 */
import type { CatalogRegistration, CatalogTxnOp } from '../core/consul';
import type { CatalogDeregistration } from '../core/consul/catalog-types';
import {
  DEFAULT_WEIGHTS,
  NODE_ADDRESS,
  READINESS_CHECK_NAME,
  READINESS_CHECK_TYPE,
  type Instance,
} from './catalog';
import type { Op } from './diff';

/** The instance an operation is about (deletes: the service ID), to keep its sibling ops together. */
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

/** An operation on the node itself: without it nothing else can be written. */
export function isNodeOp(op: Op): boolean {
  return op.kind === 'node' || op.kind === 'delete-node';
}

/**
 * Consul Enterprise's placement fields: `Namespace` and `Partition` as the txn and catalog bodies
 * take them (Consul's txn endpoint reads no `ns`/`partition` query parameter). Nothing for OSS.
 */
function tenancyFields(namespace: string | undefined, partition: string | undefined) {
  return {
    ...(namespace !== undefined ? { Namespace: namespace } : {}),
    ...(partition !== undefined ? { Partition: partition } : {}),
  };
}

function serviceBody(instance: Instance, partition: string | undefined) {
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
    ...tenancyFields(instance.namespace, partition),
  };
}

function checkBody(instance: Instance, nodeName: string, partition: string | undefined) {
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
    ...tenancyFields(instance.namespace, partition),
  };
}

/** The operation as one entry of a `/v1/txn` transaction. */
export function toTxnOp(op: Op, nodeName: string, partition?: string): CatalogTxnOp {
  switch (op.kind) {
    case 'node':
      return {
        Node: {
          Verb: 'set',
          Node: {
            Node: op.node.name,
            Address: op.node.address,
            Meta: { ...op.node.meta },
            ...tenancyFields(undefined, partition),
          },
        },
      };
    case 'service':
      return { Service: { Verb: 'set', Node: nodeName, Service: serviceBody(op.instance, partition) } };
    case 'check':
      return { Check: { Verb: 'set', Check: checkBody(op.instance, nodeName, partition) } };
    case 'delete':
      // The name lets Consul check service:write on it (ACLs) as for a set.
      return {
        Service: {
          Verb: 'delete',
          Node: nodeName,
          Service: { ID: op.serviceId, Service: op.service, ...tenancyFields(op.namespace, partition) },
        },
      };
    case 'delete-check':
      return {
        Check: {
          Verb: 'delete',
          Check: { Node: nodeName, CheckID: op.checkId, ...tenancyFields(op.namespace, partition) },
        },
      };
    case 'delete-node':
      return { Node: { Verb: 'delete', Node: { Node: op.node, ...tenancyFields(undefined, partition) } } };
  }
}

/** A single catalog call: a register or deregister request body. */
type CatalogCall =
  { verb: 'register'; body: CatalogRegistration } | { verb: 'deregister'; body: CatalogDeregistration };

/** The operation as a single catalog call (a transaction refused as a whole). */
export function toCatalogCall(op: Op, nodeName: string, partition?: string): CatalogCall {
  const node = { Node: nodeName, ...tenancyFields(undefined, partition) };
  const base: CatalogRegistration = { ...node, Address: NODE_ADDRESS, SkipNodeUpdate: true };
  switch (op.kind) {
    case 'node':
      return {
        verb: 'register',
        body: {
          Node: op.node.name,
          Address: op.node.address,
          NodeMeta: { ...op.node.meta },
          ...tenancyFields(undefined, partition),
        },
      };
    case 'service':
      return { verb: 'register', body: { ...base, Service: serviceBody(op.instance, partition) } };
    case 'check':
      return { verb: 'register', body: { ...base, Check: checkBody(op.instance, nodeName, partition) } };
    case 'delete':
      return {
        verb: 'deregister',
        body: { ...node, ServiceID: op.serviceId, ...tenancyFields(op.namespace, undefined) },
      };
    case 'delete-check':
      return {
        verb: 'deregister',
        body: { ...node, CheckID: op.checkId, ...tenancyFields(op.namespace, undefined) },
      };
    case 'delete-node':
      return { verb: 'deregister', body: { Node: op.node, ...tenancyFields(undefined, partition) } };
  }
}
