/**
 * The catalog's wire types: service instances, nodes, health checks, the register/deregister
 * bodies and the catalog operations of `/v1/txn`, with Consul's PascalCase field names. Types only.
 */

interface Weights {
  Passing: number;
  Warning: number;
}

/** A service instance as `/v1/catalog/node-services` and txn results return it. */
export interface NodeService {
  ID: string;
  Service: string;
  Tags: string[];
  Meta: Record<string, string>;
  Address: string;
  Port: number;
  Weights?: Weights;
  EnableTagOverride?: boolean;
  Kind?: string;
  TaggedAddresses?: Record<string, { Address: string; Port: number }>;
  /** Consul Enterprise: the namespace and admin partition of the instance. */
  Namespace?: string;
  Partition?: string;
  CreateIndex?: number;
  ModifyIndex?: number;
}

export interface CatalogNode {
  ID?: string;
  Node: string;
  Address: string;
  Datacenter?: string;
  TaggedAddresses?: Record<string, string>;
  Meta?: Record<string, string>;
  /** Consul Enterprise: the node's admin partition. */
  Partition?: string;
  CreateIndex?: number;
  ModifyIndex?: number;
}

type CheckStatus = 'passing' | 'warning' | 'critical';

export interface HealthCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: CheckStatus;
  Notes?: string;
  Output?: string;
  ServiceID?: string;
  ServiceName?: string;
  ServiceTags?: string[];
  Definition?: Record<string, unknown>;
  /** Consul Enterprise: the check's namespace (its service's) and admin partition. */
  Namespace?: string;
  Partition?: string;
  CreateIndex?: number;
  ModifyIndex?: number;
}

export interface HealthServiceEntry {
  Node: CatalogNode;
  Service: NodeService;
  Checks: HealthCheck[];
}

/** Body of `PUT /v1/catalog/register`. */
export interface CatalogRegistration {
  ID?: string;
  Node: string;
  Address: string;
  Datacenter?: string;
  TaggedAddresses?: Record<string, string>;
  NodeMeta?: Record<string, string>;
  Service?: Partial<NodeService> & { Service: string };
  Check?: Partial<HealthCheck> & { CheckID?: string; Name: string };
  Checks?: Array<Partial<HealthCheck> & { CheckID?: string; Name: string }>;
  SkipNodeUpdate?: boolean;
  /** Consul Enterprise: the node's admin partition. */
  Partition?: string;
}

/** Body of `PUT /v1/catalog/deregister`: the node, or one service or check of it. */
export interface CatalogDeregistration {
  Node: string;
  Datacenter?: string;
  ServiceID?: string;
  CheckID?: string;
  /** Consul Enterprise: the namespace of the service or check, and the admin partition. */
  Namespace?: string;
  Partition?: string;
}

type NodeVerb = 'set' | 'cas' | 'get' | 'delete' | 'delete-cas';
/** Catalog operations of `/v1/txn` (KV and session ops are not used here). */
export type CatalogTxnOp =
  | { Node: { Verb: NodeVerb; Node: Partial<CatalogNode> & { Node: string } } }
  | { Service: { Verb: NodeVerb; Node: string; Service: Partial<NodeService> & { ID: string } } }
  | { Check: { Verb: NodeVerb; Check: Partial<HealthCheck> & { Node: string; CheckID: string } } };

export type TxnResult = { Node: CatalogNode } | { Service: NodeService } | { Check: HealthCheck };
