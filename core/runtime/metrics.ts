/** Prometheus metrics: one registry per process/component, default process metrics included. */
import { Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

interface MetricsOptions {
  /** Collect Node/process metrics (`process_*`, `nodejs_*`); default true. */
  defaultMetrics?: boolean;
  /** Labels added to every series (keep them constant, e.g. `{ component: 'webhook' }`). */
  defaultLabels?: Record<string, string>;
}

/**
 * A fresh registry. Components create their own metrics on it
 * (`new Counter({ name, help, labelNames, registers: [registry] })`) with low-cardinality labels
 * only (operation, verdict, rule, kind — never names, namespaces or uids).
 */
export function createMetricsRegistry(options: MetricsOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
