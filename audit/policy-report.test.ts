import { MAX_RESULTS, policyReportFor, TRUNCATED_ANNOTATION } from './policy-report';
import type { NamespaceAudit } from './collect';

describe('policyReportFor', () => {
  it('caps the results kept in one object (etcd limit) while the summary counts them all', () => {
    const ns: NamespaceAudit = {
      namespace: 'big',
      services: MAX_RESULTS + 10,
      errors: 0,
      warnings: 0,
      findings: [],
      passed: Array.from({ length: MAX_RESULTS + 10 }, (_, i) => ({ name: `s${i}` })),
    };
    const report = policyReportFor(ns, new Date(0));
    expect(report.results).toHaveLength(MAX_RESULTS);
    expect(report.summary.pass).toBe(MAX_RESULTS + 10);
    expect(report.metadata.annotations).toEqual({ [TRUNCATED_ANNOTATION]: '10' });
    expect(JSON.stringify(report).length).toBeLessThan(1024 * 1024);
  });
});
