/** Pure: located Services -> findings with file positions, and the run's summary. */
import { analyzeService, type AnalyzeOptions, type Finding } from '../core/annotations';
import type { LocatedService } from './manifests';

export interface LintFinding extends Finding {
  path: string;
  line: number;
  namespace?: string;
  name?: string;
}

export interface LintSummary {
  files: number;
  services: number;
  errors: number;
  warnings: number;
  unreadable: number;
}

export function lintServices(
  path: string,
  services: LocatedService[],
  options: AnalyzeOptions,
): LintFinding[] {
  return services.flatMap(({ service, documentLine, keyLines }) =>
    analyzeService(service, options).findings.map((finding) => ({
      ...finding,
      path,
      line: keyLines.get(finding.annotation) ?? documentLine,
      ...(typeof service.metadata?.namespace === 'string' ? { namespace: service.metadata.namespace } : {}),
      ...(typeof service.metadata?.name === 'string' ? { name: service.metadata.name } : {}),
    })),
  );
}

/** 0: no errors; 1: errors (or, when strict, warnings); 2: some input could not be read or parsed. */
export function exitCodeFor(summary: LintSummary, strict: boolean): 0 | 1 | 2 {
  if (summary.unreadable > 0) return 2;
  if (summary.errors > 0 || (strict && summary.warnings > 0)) return 1;
  return 0;
}
