/**
 * Pure: one namespace's audit -> a wgpolicyk8s.io/v1alpha2 PolicyReport shaped as Kyverno writes
 * them (results with policy, rule, result, severity, source, timestamp, resources; a summary of
 * counts), so Policy Reporter, Kyverno's UI and `kubectl get polr` show them next to Kyverno's.
 */
import type { NamespaceAudit } from './collect';

export const POLICY_REPORT_API_GROUP = 'wgpolicyk8s.io';
export const POLICY_REPORT_VERSION = 'v1alpha2';
export const POLICY_REPORT_PLURAL = 'policyreports';
/** One report per namespace, always this name: re-runs replace it. */
export const POLICY_REPORT_NAME = 'consul-k8s-gitops-service-annotations';
const POLICY_NAME = 'consul-k8s-gitops-service-annotations';
const REPORT_LABELS = {
  'app.kubernetes.io/managed-by': 'consul-k8s-gitops',
  'app.kubernetes.io/part-of': 'consul-k8s-gitops',
} as const;
export const REPORT_LABEL_SELECTOR = Object.entries(REPORT_LABELS)
  .map(([k, v]) => `${k}=${v}`)
  .join(',');
/**
 * Results kept per report: a PolicyReport is one etcd object (1.5 MiB at most); ~600 bytes per
 * result keeps it well below. The summary still counts every result.
 */
export const MAX_RESULTS = 1000;
export const TRUNCATED_ANNOTATION = 'consul-k8s-gitops.io/results-truncated';

interface PolicyReportResult {
  policy: string;
  rule: string;
  result: 'pass' | 'fail' | 'warn';
  severity: 'high' | 'low' | 'info';
  category: string;
  source: string;
  scored: boolean;
  message: string;
  timestamp: { seconds: number; nanos: number };
  resources: Array<{ apiVersion: string; kind: string; namespace: string; name: string; uid?: string }>;
  properties?: Record<string, string>;
}

export interface PolicyReport {
  apiVersion: string;
  kind: 'PolicyReport';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  results: PolicyReportResult[];
  summary: { pass: number; fail: number; warn: number; error: number; skip: number };
}

const CATEGORY = 'Consul catalog sync';
const SOURCE = 'consul-k8s-gitops';

export function policyReportFor(ns: NamespaceAudit, now: Date): PolicyReport {
  const timestamp = { seconds: Math.floor(now.getTime() / 1000), nanos: 0 };
  const resource = (name: string, uid?: string) => ({
    apiVersion: 'v1',
    kind: 'Service',
    namespace: ns.namespace,
    name,
    ...(uid ? { uid } : {}),
  });
  const all: PolicyReportResult[] = [
    ...ns.findings.map((f) => ({
      policy: POLICY_NAME,
      rule: f.rule,
      result: f.severity === 'error' ? ('fail' as const) : ('warn' as const),
      severity: f.severity === 'error' ? ('high' as const) : ('low' as const),
      category: CATEGORY,
      source: SOURCE,
      scored: true,
      message: f.message,
      timestamp,
      resources: [resource(f.service, f.uid)],
      properties: { annotation: f.annotation, ...(f.value !== undefined ? { value: f.value } : {}) },
    })),
    ...ns.passed.map((s) => ({
      policy: POLICY_NAME,
      rule: 'service-annotations',
      result: 'pass' as const,
      severity: 'info' as const,
      category: CATEGORY,
      source: SOURCE,
      scored: true,
      message: 'every consul.hashicorp.com/ annotation is valid',
      timestamp,
      resources: [resource(s.name, s.uid)],
    })),
  ];
  const count = (result: PolicyReportResult['result']) => all.filter((r) => r.result === result).length;
  const results = all.slice(0, MAX_RESULTS);
  return {
    apiVersion: `${POLICY_REPORT_API_GROUP}/${POLICY_REPORT_VERSION}`,
    kind: 'PolicyReport',
    metadata: {
      name: POLICY_REPORT_NAME,
      namespace: ns.namespace,
      labels: { ...REPORT_LABELS },
      ...(all.length > results.length
        ? { annotations: { [TRUNCATED_ANNOTATION]: String(all.length - results.length) } }
        : {}),
    },
    results,
    summary: { pass: count('pass'), fail: count('fail'), warn: count('warn'), error: 0, skip: 0 },
  };
}
