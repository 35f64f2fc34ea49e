/** Pure: lint results -> text for people (`path:line: severity: message`) or JSON for machines. */
import type { LintFinding, LintSummary } from './lint';

export interface InputProblem {
  path: string;
  /** Where the problem is, when known (syntax errors). */
  line?: number;
  column?: number;
  message: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatText(findings: LintFinding[], problems: InputProblem[], summary: LintSummary): string {
  const lines = [
    ...problems.map(
      (p) => `${p.path}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''}: error: ${p.message}`,
    ),
    ...findings.map((f) => `${f.path}:${f.line}: ${f.severity}: ${f.message}`),
  ];
  const parts = [plural(summary.errors, 'error'), plural(summary.warnings, 'warning')];
  if (summary.unreadable > 0) parts.push(`${plural(summary.unreadable, 'file')} unreadable`);
  lines.push(
    `${parts.join(', ')} in ${plural(summary.services, 'Service')} (${plural(summary.files, 'file')} checked)`,
  );
  return `${lines.join('\n')}\n`;
}

export function formatJson(findings: LintFinding[], problems: InputProblem[], summary: LintSummary): string {
  return `${JSON.stringify({ findings, inputErrors: problems, summary }, null, 2)}\n`;
}
