/** The registrar's Prometheus metrics (low-cardinality labels only: op kind, error class). */
import { Counter, Gauge, Histogram, type Registry } from '../core/runtime';

export interface RegistrarMetrics {
  desiredInstances: Gauge;
  registeredInstances: Gauge;
  operations: Counter<'kind'>;
  transactions: Counter;
  singleCalls: Counter;
  rejectedOperations: Counter<'kind'>;
  refusedOperations: Counter<'reason'>;
  refusedServices: Gauge<'reason'>;
  reconcileDuration: Histogram<'scope'>;
  consulErrors: Counter<'class'>;
  leader: Gauge;
  lastSuccessfulSync: Gauge;
}

export function createRegistrarMetrics(registry: Registry): RegistrarMetrics {
  const registers = [registry];
  const metrics: RegistrarMetrics = {
    desiredInstances: new Gauge({
      name: 'registrar_desired_instances',
      help: 'Service instances the Kubernetes caches say should be in Consul.',
      registers,
    }),
    registeredInstances: new Gauge({
      name: 'registrar_registered_instances',
      help: 'Service instances owned by this cluster that are registered in Consul, as last read or written.',
      registers,
    }),
    operations: new Counter({
      name: 'registrar_operations_total',
      help: 'Catalog operations applied, by kind (node, service, check, delete, delete-check).',
      labelNames: ['kind'],
      registers,
    }),
    transactions: new Counter({
      name: 'registrar_consul_transactions_total',
      help: 'Successful /v1/txn requests.',
      registers,
    }),
    singleCalls: new Counter({
      name: 'registrar_consul_single_calls_total',
      help: 'Single register/deregister calls made because a transaction could not carry the change.',
      registers,
    }),
    rejectedOperations: new Counter({
      name: 'registrar_rejected_operations_total',
      help: 'Operations Consul refused as invalid (not retried until the Service changes).',
      labelNames: ['kind'],
      registers,
    }),
    refusedOperations: new Counter({
      name: 'registrar_refused_operations_total',
      help: 'Operations Consul refused on their own, by reason (permission: the ACL token lacks a permission; invalid: the registration).',
      labelNames: ['reason'],
      registers,
    }),
    refusedServices: new Gauge({
      name: 'registrar_refused_services',
      help: 'Kubernetes Services whose registration Consul currently refuses, by reason (permission, invalid).',
      labelNames: ['reason'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'registrar_reconcile_duration_seconds',
      help: 'Time to compute and apply one reconcile, by scope (full or service).',
      labelNames: ['scope'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    consulErrors: new Counter({
      name: 'registrar_consul_errors_total',
      help: 'Consul request failures by class (transient, auth, bad-request).',
      labelNames: ['class'],
      registers,
    }),
    leader: new Gauge({
      name: 'registrar_leader',
      help: '1 while this replica is the leader (the only one that writes), else 0.',
      registers,
    }),
    lastSuccessfulSync: new Gauge({
      name: 'registrar_last_successful_sync_timestamp_seconds',
      help: 'Unix time of the last reconcile that left Consul equal to the desired state.',
      registers,
    }),
  };
  // Both series exist from the start, so alerts on them need no absent() clause.
  for (const reason of ['permission', 'invalid']) metrics.refusedServices.set({ reason }, 0);
  return metrics;
}
