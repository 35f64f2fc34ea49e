/** Pure: an audit result -> text for people (by namespace) or JSON for machines. */
import type { AuditResult } from './collect';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export interface ReportWrites {
  written: string[];
  deleted: string[];
  failed: Array<{ namespace: string; message: string }>;
}

export function formatAuditText(result: AuditResult, writes?: ReportWrites): string {
  const lines: string[] = [];
  for (const ns of result.namespaces) {
    lines.push(
      `${ns.namespace}: ${plural(ns.errors, 'error')}, ${plural(ns.warnings, 'warning')} in ${plural(ns.services, 'Service')}`,
    );
    for (const f of ns.findings) lines.push(`  ${f.service}: ${f.severity}: ${f.message} [${f.rule}]`);
  }
  const s = result.summary;
  lines.push(
    `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')} in ${plural(s.services, 'Service')} with consul.hashicorp.com/ annotations (${plural(s.servicesRead, 'Service')} read, ${plural(s.namespaces, 'namespace')} reported)`,
  );
  if (writes) {
    lines.push(
      `PolicyReports: ${writes.written.length} written, ${writes.deleted.length} stale deleted, ${writes.failed.length} failed`,
    );
    for (const f of writes.failed) lines.push(`  ${f.namespace}: ${f.message}`);
  }
  return `${lines.join('\n')}\n`;
}

export function formatAuditJson(result: AuditResult, writes?: ReportWrites): string {
  const namespaces = result.namespaces.map(({ passed: _passed, ...ns }) => ns);
  return `${JSON.stringify({ namespaces, summary: result.summary, ...(writes ? { reports: writes } : {}) }, null, 2)}\n`;
}
