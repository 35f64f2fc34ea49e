/** Renders docs/annotations.md from the rule definitions (a test fails when the file is stale). */
import { ANNOTATION_SPECS, CONSUL_K8S_READINGS, GENERAL_RULES, type Rule } from './rules';
import { GENERATOR_KEYS } from './keys';

const ruleRows = (rules: Rule[]) => rules.map((r) => `| \`${r.id}\` | ${r.severity} | ${r.when} |`);

export function renderAnnotationsDoc(): string {
  const lines = [
    '# Service annotations',
    '',
    '<!-- Generated from core/annotations/rules.ts by `npm run docs`. Do not edit by hand. -->',
    '',
    'The registrar reads these annotations on Kubernetes Services (the same keys and meaning as',
    'HashiCorp consul-k8s catalog sync). The admission webhook and `consul-k8s-gitops lint` check them',
    'with the same code the registrar uses to read them, so "accepted" and "understood" never disagree.',
    '',
    '- **error**: the sync would ignore, misread or fail on the value. The webhook denies the request',
    '  (in `--mode warn`, and for values unchanged by an UPDATE, it only warns); `lint` exits 1.',
    '  The registrar ignores the annotation (uses the default) and records a Warning Event on the Service.',
    '- **warning**: legal, but probably a mistake. Allowed, shown by kubectl as a `Warning:` line.',
    `  Warnings about a value consul-k8s reads in a way that decides where traffic goes (${CONSUL_K8S_READINGS.map((r) => `\`${r.id}\``).join(', ')})`,
    '  are applied by the registrar as consul-k8s applies them and also recorded as a Warning Event.',
    '',
  ];
  for (const spec of ANNOTATION_SPECS) {
    lines.push(
      `## \`${spec.key}\``,
      '',
      spec.summary,
      '',
      `Accepts: ${spec.accepts}`,
      '',
      '| rule | severity | when |',
      '|---|---|---|',
      ...ruleRows(spec.rules),
      '',
    );
  }
  lines.push(
    '## Other keys and Services',
    '',
    'The generator writes these keys on the ExternalName Services it renders; they are accepted:',
    ...GENERATOR_KEYS.map((k) => `\`${k}\``).map((k) => `- ${k}`),
    '',
    '| rule | severity | when |',
    '|---|---|---|',
    ...ruleRows(GENERAL_RULES),
    '',
  );
  return lines.join('\n');
}
