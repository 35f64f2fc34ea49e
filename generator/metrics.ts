/** The generator's Prometheus metrics (low-cardinality labels only). */
import { Counter, Gauge, type Registry } from '../core/runtime/metrics';

export class GeneratorMetrics {
  readonly servicesRendered: Gauge;
  readonly servicesSkipped: Gauge;
  readonly runs: Counter<'result'>;
  readonly commits: Counter;
  readonly pushes: Counter;
  readonly pushRetries: Counter;
  readonly guardRefusals: Counter;
  readonly lastSuccess: Gauge;
  readonly catalogIncomplete: Gauge;
  readonly servicesUnconfirmed: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    const prefix = 'consul_k8s_gitops_generator_';
    this.servicesRendered = new Gauge({
      name: `${prefix}services_rendered`,
      help: 'Services rendered by the last run.',
      registers,
    });
    this.servicesSkipped = new Gauge({
      name: `${prefix}services_skipped`,
      help: 'Consul services skipped by the last run (filters, loop guard, conflicts, invalid names).',
      registers,
    });
    this.runs = new Counter({
      name: `${prefix}runs_total`,
      help: 'Runs by result (committed, up_to_date, refused, error).',
      labelNames: ['result'],
      registers,
    });
    this.commits = new Counter({ name: `${prefix}commits_total`, help: 'Commits made.', registers });
    this.pushes = new Counter({ name: `${prefix}pushes_total`, help: 'Successful pushes.', registers });
    this.pushRetries = new Counter({
      name: `${prefix}push_retries_total`,
      help: 'Pushes retried after a non-fast-forward rejection.',
      registers,
    });
    this.guardRefusals = new Counter({
      name: `${prefix}guard_refusals_total`,
      help: 'Runs refused by the mass-deletion guard.',
      registers,
    });
    this.catalogIncomplete = new Gauge({
      name: `${prefix}catalog_incomplete`,
      help: '1 when the last catalog read was partial (filtered by ACLs) or failed: nothing it could not see was removed.',
      registers,
    });
    this.servicesUnconfirmed = new Gauge({
      name: `${prefix}services_unconfirmed`,
      help: 'Committed Services the last (partial) read could not confirm and kept as they are.',
      registers,
    });
    this.lastSuccess = new Gauge({
      name: `${prefix}last_success_timestamp_seconds`,
      help: 'Unix time of the last successful run.',
      registers,
    });
  }

  /**
   * Counts a run that finished with `status` (a RunOutcome status): `runs_total` by result, and the
   * time of success unless the mass-deletion guard refused it.
   */
  runFinished(status: string): void {
    this.runs.inc({ result: status === 'up-to-date' ? 'up_to_date' : status.replace('-', '_') });
    if (status !== 'refused') this.lastSuccess.set(Date.now() / 1000);
  }

  /** Counts a run stopped by an error. */
  runFailed(): void {
    this.runs.inc({ result: 'error' });
  }
}
