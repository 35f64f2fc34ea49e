/**
 * Reads what Consul holds for our node (instances and checks) and keeps an in-memory copy that
 * follows our own writes, so a single-Service change is diffed without reading Consul again.
 */
import {
  clientToken,
  type ConsulClient,
  type HealthCheck,
  type NodeService,
  rawConsulRequest,
  readNodeServices,
  toConsulError,
} from '../core/consul';
import { JsonValueStream } from '../core/json/select';
import { DEFAULT_NAMESPACE, WILDCARD_NAMESPACE } from '../core/consul/namespaces';
import { isOwnedBy, READINESS_CHECK_NAME, READINESS_CHECK_TYPE } from './catalog';
import { type ActualCheck, type ActualInstance, type ActualState, instanceMatches, type Op } from './diff';
import { instanceKey, type Tenancy } from './namespaces';

/**
 * What a full read may reuse: at 30,000 instances and 24,000 checks a second copy of everything
 * that did not change is most of a resync's memory, and the copy held before (the mirror, whose
 * instances are the desired state's own objects) already says the same.
 */
interface KnownEntries {
  /** The held instance equal to `read` (same key, `instanceMatches`), or undefined. */
  instance(read: ActualInstance): ActualInstance | undefined;
  /** The held check equal to `read` in every field, or undefined. */
  check(read: ActualCheck): ActualCheck | undefined;
}

/** `GET /v1/health/node/:node`: every check on the node (in every namespace with `ns=*`). */
async function readNodeChecks(
  consul: ConsulClient,
  node: string,
  query: Record<string, string>,
  namespaced: boolean,
  known: KnownEntries | undefined,
): Promise<ActualCheck[]> {
  const checks: ActualCheck[] = [];
  const stream = new JsonValueStream(
    (path) => path.length === 1,
    (_path, entry) => {
      const check = fromHealthCheck(entry as HealthCheck, namespaced);
      checks.push(known?.check(check) ?? check);
    },
  );
  try {
    await rawConsulRequest(consul, {
      method: 'GET',
      name: 'health.node',
      path: '/health/node/{node}',
      params: { node },
      query,
      timeoutMs: 30_000,
      onBodyChunk: (chunk) => stream.write(chunk),
    });
    stream.end();
    return checks;
  } catch (err) {
    throw toConsulError(err, 'health.node', clientToken(consul));
  }
}

/**
 * Our node's instances and checks. With namespaces, across every namespace (`ns=*`, as consul-k8s
 * reads its node), so instances left in a namespace we no longer write to are found and removed.
 * One read after the other, each reduced to what the diff needs while it is read: at 30,000
 * instances each answer is tens of MB of JSON, and whole parsed trees set the process's peak
 * memory (BENCHMARKS.md, registrar RSS).
 */
export async function readActualState(
  consul: ConsulClient,
  nodeName: string,
  tenancy: Tenancy = { requestedBy: [] },
  /** Only the instances this Consul filter expression matches (`--purge --filter`). */
  filter?: string,
  /** Entries already held: an equal one read again is returned instead of a second copy. */
  known?: KnownEntries,
): Promise<ActualState> {
  const namespaced = tenancy.namespaces !== undefined;
  const options = {
    ...(namespaced ? { namespace: WILDCARD_NAMESPACE } : {}),
    ...(filter === undefined ? {} : { filter }),
  };
  const services = (
    await readNodeServices(consul, nodeName, options, (service) => {
      const instance = fromNodeService(service, namespaced);
      return known?.instance(instance) ?? instance;
    })
  ).value;
  const checks = await readNodeChecks(
    consul,
    nodeName,
    namespaced ? { ns: WILDCARD_NAMESPACE } : {},
    namespaced,
    known,
  );
  const node = services.node && { address: services.node.Address, meta: services.node.Meta ?? {} };
  return node ? { instances: services.services, checks, node } : { instances: services.services, checks };
}

function fromNodeService(service: NodeService, namespaced: boolean): ActualInstance {
  const instance: ActualInstance = {
    id: service.ID,
    service: service.Service,
    address: service.Address,
    port: service.Port,
    tags: service.Tags ?? [],
    meta: service.Meta ?? {},
  };
  if (service.Weights)
    instance.weights = { passing: service.Weights.Passing, warning: service.Weights.Warning };
  if (namespaced) instance.namespace = service.Namespace ?? DEFAULT_NAMESPACE;
  return instance;
}

function fromHealthCheck(check: HealthCheck & { Type?: string }, namespaced: boolean): ActualCheck {
  const result: ActualCheck = {
    id: check.CheckID,
    serviceId: check.ServiceID ?? '',
    name: check.Name,
    status: check.Status,
    output: check.Output ?? '',
  };
  if (check.Type !== undefined) result.type = check.Type;
  if (namespaced) result.namespace = check.Namespace ?? DEFAULT_NAMESPACE;
  return result;
}

function checkKey(check: ActualCheck): string {
  return instanceKey(check.serviceId, check.namespace);
}

function sameCheck(a: ActualCheck, b: ActualCheck): boolean {
  return (
    a.id === b.id &&
    a.serviceId === b.serviceId &&
    a.name === b.name &&
    a.status === b.status &&
    a.output === b.output &&
    a.type === b.type &&
    a.namespace === b.namespace
  );
}

/** Our copy of the node's catalog entries, updated by every operation Consul accepted. */
export class CatalogMirror implements KnownEntries {
  private node: ActualState['node'];
  /** By instance key (namespace and ID, see namespaces.ts). */
  private readonly instances = new Map<string, ActualInstance>();
  /** Checks by instance key, then check ID. */
  private readonly checks = new Map<string, Map<string, ActualCheck>>();

  replace(state: ActualState): void {
    this.node = state.node;
    this.instances.clear();
    this.checks.clear();
    for (const instance of state.instances)
      this.instances.set(instanceKey(instance.id, instance.namespace), instance);
    for (const check of state.checks) this.setCheck(check);
  }

  instance(read: ActualInstance): ActualInstance | undefined {
    const held = this.instances.get(instanceKey(read.id, read.namespace));
    return held && held.id === read.id && instanceMatches(held, read) ? held : undefined;
  }

  check(read: ActualCheck): ActualCheck | undefined {
    const held = this.checks.get(checkKey(read))?.get(read.id);
    return held && sameCheck(held, read) ? held : undefined;
  }

  /** The part of the mirror a diff over these instance keys (`instanceKey`) needs. */
  subset(keys: Iterable<string>): ActualState {
    const instances: ActualInstance[] = [];
    const checks: ActualCheck[] = [];
    for (const key of new Set(keys)) {
      const instance = this.instances.get(key);
      if (instance) instances.push(instance);
      checks.push(...(this.checks.get(key)?.values() ?? []));
    }
    const state: ActualState = { instances, checks };
    if (this.node) state.node = this.node;
    return state;
  }

  ownedCount(clusterId: string): number {
    let count = 0;
    for (const instance of this.instances.values()) if (isOwnedBy(instance.meta, clusterId)) count++;
    return count;
  }

  record(ops: readonly Op[]): void {
    for (const op of ops) {
      switch (op.kind) {
        case 'node':
          this.node = { address: op.node.address, meta: { ...op.node.meta } };
          break;
        case 'service':
          // Kept as is (the desired Instance): what Consul now stores, without another copy.
          this.instances.set(instanceKey(op.instance.id, op.instance.namespace), op.instance);
          break;
        case 'check':
          this.setCheck({
            id: op.instance.check.id,
            serviceId: op.instance.id,
            name: READINESS_CHECK_NAME,
            type: READINESS_CHECK_TYPE,
            status: op.instance.check.status,
            output: op.instance.check.output,
            ...(op.instance.namespace !== undefined ? { namespace: op.instance.namespace } : {}),
          });
          break;
        case 'delete': {
          const key = instanceKey(op.serviceId, op.namespace);
          this.instances.delete(key);
          this.checks.delete(key);
          break;
        }
        case 'delete-check':
          this.checks.get(instanceKey(op.serviceId, op.namespace))?.delete(op.checkId);
          break;
        case 'delete-node':
          this.node = undefined;
          this.instances.clear();
          this.checks.clear();
          break;
      }
    }
  }

  private setCheck(check: ActualCheck): void {
    const key = checkKey(check);
    let byId = this.checks.get(key);
    if (!byId) this.checks.set(key, (byId = new Map()));
    byId.set(check.id, check);
  }
}
