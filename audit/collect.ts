/**
 * Pure: Services -> findings grouped by namespace. Every Service is run through the one parser
 * (`analyzeService`); Services without any `consul.hashicorp.com/` annotation are counted but not
 * reported, as the webhook's match condition never sends them either.
 */
import {
  analyzeService,
  ANNOTATION_PREFIX,
  type AnalyzeOptions,
  type Finding,
  type ServiceLike,
} from '../core/annotations';

interface ServiceRef {
  name: string;
  uid?: string;
}

interface AuditFinding extends Finding {
  service: string;
  uid?: string;
}

export interface NamespaceAudit {
  namespace: string;
  /** Services with at least one `consul.hashicorp.com/` annotation. */
  services: number;
  errors: number;
  warnings: number;
  findings: AuditFinding[];
  /** Annotated Services without any finding (PolicyReport `pass` results). */
  passed: ServiceRef[];
}

interface AuditSummary {
  namespaces: number;
  /** Services read from the cluster. */
  servicesRead: number;
  /** Of those, Services with `consul.hashicorp.com/` annotations. */
  services: number;
  errors: number;
  warnings: number;
}

export interface AuditResult {
  namespaces: NamespaceAudit[];
  summary: AuditSummary;
}

type AuditedService = ServiceLike & { metadata?: { uid?: string } };

function hasConsulAnnotation(service: ServiceLike): boolean {
  const annotations: unknown = service?.metadata?.annotations;
  if (!annotations || typeof annotations !== 'object') return false;
  return Object.keys(annotations).some((key) => key.toLowerCase().startsWith(ANNOTATION_PREFIX));
}

/** Accumulates Services page by page, so memory holds findings, not the cluster's Services. */
export class AuditCollector {
  private byNamespace = new Map<string, NamespaceAudit>();
  private read = 0;

  constructor(private readonly options: AnalyzeOptions) {}

  /** A chunked list that had to start over (its continue token expired) must not count twice. */
  reset(): void {
    this.byNamespace = new Map();
    this.read = 0;
  }

  add(service: AuditedService): void {
    this.read++;
    if (!hasConsulAnnotation(service)) return;
    const namespace = service.metadata?.namespace ?? '';
    const name = service.metadata?.name ?? '';
    const uid = service.metadata?.uid;
    let entry = this.byNamespace.get(namespace);
    if (!entry) {
      entry = { namespace, services: 0, errors: 0, warnings: 0, findings: [], passed: [] };
      this.byNamespace.set(namespace, entry);
    }
    entry.services++;
    const { findings } = analyzeService(service, this.options);
    if (findings.length === 0) entry.passed.push(uid ? { name, uid } : { name });
    for (const finding of findings) {
      entry.findings.push({ service: name, ...(uid ? { uid } : {}), ...finding });
      if (finding.severity === 'error') entry.errors++;
      else entry.warnings++;
    }
  }

  result(): AuditResult {
    const namespaces = [...this.byNamespace.values()].sort((a, b) => (a.namespace < b.namespace ? -1 : 1));
    for (const entry of namespaces) {
      entry.findings.sort((a, b) => (a.service === b.service ? 0 : a.service < b.service ? -1 : 1));
      entry.passed.sort((a, b) => (a.name < b.name ? -1 : 1));
    }
    const sum = (pick: (n: NamespaceAudit) => number) => namespaces.reduce((total, n) => total + pick(n), 0);
    return {
      namespaces,
      summary: {
        namespaces: namespaces.length,
        servicesRead: this.read,
        services: sum((n) => n.services),
        errors: sum((n) => n.errors),
        warnings: sum((n) => n.warnings),
      },
    };
  }
}

/** 0: no errors; 1: errors (with `strict`, warnings too). Failures to read or write are 2 (command). */
export function auditExitCode(summary: AuditSummary, strict: boolean): 0 | 1 {
  return summary.errors > 0 || (strict && summary.warnings > 0) ? 1 : 0;
}
