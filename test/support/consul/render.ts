/**
 * Wire shapes of the Consul double's answers (PascalCase, as Consul's structs encode them), and
 * case-insensitive reading of request bodies (Go's encoding/json matches field names that way).
 */
import type { CheckInput, CheckRecord, NodeInput, NodeRecord, ServiceInput, ServiceRecord } from './state';

export function renderNode(node: NodeRecord) {
  return {
    ID: node.ID,
    Node: node.Node,
    Address: node.Address,
    Datacenter: node.Datacenter,
    TaggedAddresses: node.TaggedAddresses,
    Meta: node.Meta,
    ...(node.Partition !== undefined ? { Partition: node.Partition } : {}),
    CreateIndex: node.CreateIndex,
    ModifyIndex: node.ModifyIndex,
  };
}

/** Consul Enterprise answers carry the record's namespace and partition; OSS records have none. */
function tenancyOf(record: { Namespace?: string; Partition?: string }) {
  return {
    ...(record.Namespace !== undefined ? { Namespace: record.Namespace } : {}),
    ...(record.Partition !== undefined ? { Partition: record.Partition } : {}),
  };
}

/** structs.NodeService: `/catalog/node-services`, `/health/service` `.Service`, txn results. */
export function renderNodeService(service: ServiceRecord) {
  const out: Record<string, unknown> = {
    ID: service.ID,
    Service: service.Service,
    Tags: service.Tags,
    Address: service.Address,
    Meta: service.Meta,
    Port: service.Port,
    Weights: service.Weights,
    EnableTagOverride: service.EnableTagOverride,
  };
  if (service.Kind) out.Kind = service.Kind;
  if (service.TaggedAddresses) out.TaggedAddresses = service.TaggedAddresses;
  Object.assign(out, tenancyOf(service));
  out.CreateIndex = service.CreateIndex;
  out.ModifyIndex = service.ModifyIndex;
  return out;
}

/** structs.ServiceNode: one element of `/catalog/service/:name`. */
export function renderServiceNode(node: NodeRecord, service: ServiceRecord) {
  return {
    ID: node.ID,
    Node: node.Node,
    Address: node.Address,
    Datacenter: node.Datacenter,
    TaggedAddresses: node.TaggedAddresses,
    NodeMeta: node.Meta,
    ServiceKind: service.Kind,
    ServiceID: service.ID,
    ServiceName: service.Service,
    ServiceTags: service.Tags,
    ServiceAddress: service.Address,
    ServiceTaggedAddresses: service.TaggedAddresses ?? {},
    ServiceWeights: service.Weights,
    ServiceMeta: service.Meta,
    ServicePort: service.Port,
    ServiceEnableTagOverride: service.EnableTagOverride,
    ...tenancyOf(service),
    CreateIndex: service.CreateIndex,
    ModifyIndex: service.ModifyIndex,
  };
}

export function renderCheck(check: CheckRecord) {
  return { ...check };
}

/** Case-insensitive field access on a decoded JSON object. */
export function field(obj: unknown, name: string): unknown {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const record = obj as Record<string, unknown>;
  if (name in record) return record[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(record)) if (key.toLowerCase() === lower) return record[key];
  return undefined;
}

/** Type error for a JSON field, worded like Go's decoder. */
export class DecodeError extends Error {}

function str(obj: unknown, name: string): string | undefined {
  const v = field(obj, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw new DecodeError(`json: cannot unmarshal ${typeof v} into Go struct field .${name} of type string`);
  return v;
}
function num(obj: unknown, name: string): number | undefined {
  const v = field(obj, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new DecodeError(`json: cannot unmarshal ${typeof v} into Go struct field .${name} of type int`);
  }
  return v;
}
function bool(obj: unknown, name: string): boolean | undefined {
  const v = field(obj, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean')
    throw new DecodeError(`json: cannot unmarshal ${typeof v} into Go struct field .${name} of type bool`);
  return v;
}
function strMap(obj: unknown, name: string): Record<string, string> | undefined {
  const v = field(obj, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw new DecodeError(`json: cannot unmarshal into Go struct field .${name} of type map[string]string`);
  }
  return v as Record<string, string>;
}
function strList(obj: unknown, name: string): string[] | undefined {
  const v = field(obj, name);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new DecodeError(`json: cannot unmarshal into Go struct field .${name} of type []string`);
  }
  return v as string[];
}

function defined<T extends object>(obj: T): T {
  for (const key of Object.keys(obj) as Array<keyof T>) if (obj[key] === undefined) delete obj[key];
  return obj;
}

export function readNodeInput(obj: unknown): NodeInput {
  return defined({
    ID: str(obj, 'ID'),
    Node: str(obj, 'Node'),
    Address: str(obj, 'Address'),
    Datacenter: str(obj, 'Datacenter'),
    TaggedAddresses: strMap(obj, 'TaggedAddresses'),
    Meta: strMap(obj, 'Meta'),
    ModifyIndex: num(obj, 'ModifyIndex'),
  });
}

export function readServiceInput(obj: unknown): ServiceInput {
  const weights = field(obj, 'Weights');
  const tagged = field(obj, 'TaggedAddresses');
  return defined({
    ID: str(obj, 'ID'),
    Service: str(obj, 'Service'),
    Tags: strList(obj, 'Tags'),
    Address: str(obj, 'Address'),
    Meta: strMap(obj, 'Meta'),
    Port: num(obj, 'Port'),
    Weights:
      weights === undefined || weights === null
        ? undefined
        : defined({ Passing: num(weights, 'Passing'), Warning: num(weights, 'Warning') }),
    EnableTagOverride: bool(obj, 'EnableTagOverride'),
    Kind: str(obj, 'Kind'),
    TaggedAddresses:
      tagged && typeof tagged === 'object'
        ? (tagged as Record<string, { Address: string; Port: number }>)
        : undefined,
    ModifyIndex: num(obj, 'ModifyIndex'),
  });
}

export function readCheckInput(obj: unknown): CheckInput {
  const definition = field(obj, 'Definition');
  return defined({
    Node: str(obj, 'Node'),
    CheckID: str(obj, 'CheckID'),
    Name: str(obj, 'Name'),
    Status: str(obj, 'Status'),
    Notes: str(obj, 'Notes'),
    Output: str(obj, 'Output'),
    ServiceID: str(obj, 'ServiceID'),
    Type: str(obj, 'Type'),
    Definition:
      definition && typeof definition === 'object' ? (definition as Record<string, unknown>) : undefined,
    ModifyIndex: num(obj, 'ModifyIndex'),
  });
}

export { str as readString, bool as readBool };
