/**
 * Pure: lint results -> JUnit XML (the Jenkins/Ant dialect CI systems read). One testsuite per file
 * checked; each error is a failing testcase; a warning is a passing testcase with the message in
 * `system-out` unless `strict`, where it fails too (the same rule as the exit status); a file that
 * could not be read or parsed is a testcase with an `error`. A clean file is one passing testcase.
 */
import type { InputProblem } from './format';
import type { LintFinding } from './lint';

/** XML 1.0 cannot carry most control characters even escaped: they are replaced. */
export function xmlText(value: string): string {
  return (
    value
      // eslint-disable-next-line no-control-regex -- removing what XML 1.0 forbids is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/\r/g, '&#13;')
      .replace(/\n/g, '&#10;')
      .replace(/\t/g, '&#9;')
  );
}

interface Case {
  name: string;
  outcome: 'pass' | 'failure' | 'error';
  message?: string;
  type?: string;
  output?: string;
}

function caseXml(path: string, c: Case): string {
  const open = `    <testcase classname="${xmlText(path)}" name="${xmlText(c.name)}"`;
  if (c.outcome === 'pass' && c.output === undefined) return `${open}/>`;
  const body =
    c.outcome === 'pass'
      ? `<system-out>${xmlText(c.output ?? '')}</system-out>`
      : `<${c.outcome} type="${xmlText(c.type ?? '')}" message="${xmlText(c.message ?? '')}">${xmlText(c.message ?? '')}</${c.outcome}>`;
  return `${open}>\n      ${body}\n    </testcase>`;
}

function findingCase(f: LintFinding, strict: boolean): Case {
  const subject = f.name ? ` (Service ${f.namespace ? `${f.namespace}/` : ''}${f.name})` : '';
  const name = `line ${f.line}: ${f.rule}${subject}`;
  const text = `${f.path}:${f.line}: ${f.severity}: ${f.message}`;
  if (f.severity === 'error' || strict) return { name, outcome: 'failure', type: f.rule, message: text };
  return { name, outcome: 'pass', output: text };
}

export function formatJunit(
  files: string[],
  findings: LintFinding[],
  problems: InputProblem[],
  strict: boolean,
): string {
  const byPath = new Map<string, Case[]>();
  const add = (path: string, c: Case) => byPath.set(path, [...(byPath.get(path) ?? []), c]);
  for (const path of files) byPath.set(path, []);
  for (const p of problems) {
    const where = p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : '';
    add(p.path, {
      name: 'read',
      outcome: 'error',
      type: 'input',
      message: `${p.path}${where}: ${p.message}`,
    });
  }
  for (const f of findings) add(f.path, findingCase(f, strict));

  let tests = 0;
  let failures = 0;
  let errors = 0;
  const suites: string[] = [];
  for (const [path, found] of byPath) {
    const cases = found.length > 0 ? found : [{ name: 'annotations', outcome: 'pass' as const }];
    const suiteFailures = cases.filter((c) => c.outcome === 'failure').length;
    const suiteErrors = cases.filter((c) => c.outcome === 'error').length;
    tests += cases.length;
    failures += suiteFailures;
    errors += suiteErrors;
    suites.push(
      `  <testsuite name="${xmlText(path)}" tests="${cases.length}" failures="${suiteFailures}" errors="${suiteErrors}">`,
      ...cases.map((c) => caseXml(path, c)),
      '  </testsuite>',
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="consul-k8s-gitops lint" tests="${tests}" failures="${failures}" errors="${errors}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
