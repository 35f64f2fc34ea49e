/**
 * The webhook's Prometheus metrics. Label values come from bounded sets (operation, verdict, rule,
 * result) and label children are cached, so recording a request allocates nothing.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Finding } from '../core/annotations';
import type { Operation, Verdict } from './review';

/** Operation label for requests that never became a review (bad requests). */
type OperationLabel = Operation | 'unknown';
/** Verdict label: a review verdict, or `bad_request` (4xx before any review). */
type VerdictLabel = Verdict | 'bad_request';

interface Inc {
  inc(): void;
}
interface Observe {
  observe(value: number): void;
}

export class WebhookMetrics {
  private readonly requests: Counter<'operation' | 'verdict'>;
  private readonly duration: Histogram<'operation'>;
  private readonly findings: Counter<'rule' | 'severity'>;
  private readonly tlsReloads: Counter<'result'>;
  private readonly certificateNotAfter: Gauge;
  private readonly requestChildren = new Map<string, Inc>();
  private readonly durationChildren = new Map<string, Observe>();
  private readonly findingChildren = new Map<string, Inc>();

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'webhook_admission_requests_total',
      help: 'Admission requests by operation and verdict (allowed, warned, denied, skipped, bad_request).',
      labelNames: ['operation', 'verdict'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'webhook_admission_duration_seconds',
      help: 'Time from request start to response written, by operation.',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.findings = new Counter({
      name: 'webhook_findings_total',
      help: 'Annotation findings in reviewed Services, by rule and severity (errors counted also when not enforced).',
      labelNames: ['rule', 'severity'],
      registers: [registry],
    });
    this.tlsReloads = new Counter({
      name: 'webhook_tls_reloads_total',
      help: 'Serving certificate reloads after the files changed, by result (success, failure).',
      labelNames: ['result'],
      registers: [registry],
    });
    this.certificateNotAfter = new Gauge({
      name: 'webhook_tls_certificate_not_after_seconds',
      help: 'Expiry (notAfter, Unix seconds) of the serving certificate in use.',
      registers: [registry],
    });
  }

  /** Counts one finished request and observes its duration. */
  recordRequest(operation: OperationLabel, verdict: VerdictLabel, seconds: number): void {
    const key = `${operation}|${verdict}`;
    let counter = this.requestChildren.get(key);
    if (!counter) {
      counter = this.requests.labels(operation, verdict);
      this.requestChildren.set(key, counter);
    }
    counter.inc();
    let histogram = this.durationChildren.get(operation);
    if (!histogram) {
      histogram = this.duration.labels(operation);
      this.durationChildren.set(operation, histogram);
    }
    histogram.observe(seconds);
  }

  recordFindings(findings: readonly Finding[]): void {
    for (const finding of findings) {
      let counter = this.findingChildren.get(finding.rule);
      if (!counter) {
        counter = this.findings.labels(finding.rule, finding.severity);
        this.findingChildren.set(finding.rule, counter);
      }
      counter.inc();
    }
  }

  recordTlsReload(result: 'success' | 'failure'): void {
    this.tlsReloads.labels(result).inc();
  }

  setCertificateNotAfter(unixSeconds: number): void {
    this.certificateNotAfter.set(unixSeconds);
  }
}
