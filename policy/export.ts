/**
 * Pure: the annotation rules -> a ValidatingAdmissionPolicy and its binding
 * (admissionregistration.k8s.io/v1), for clusters that want the checks without a webhook.
 * Everything comes from core/annotations (CEL_RULES, NOT_EXPRESSIBLE, RULES): after a rule
 * changes there, re-export.
 */
import yaml from 'js-yaml';
import {
  ALL_RULES,
  ANNOTATION_PREFIX,
  CEL_RULES,
  CEL_VARIABLES,
  NOT_EXPRESSIBLE,
  celString,
  type CelRule,
} from '../core/annotations';

export type PolicyMode = 'deny' | 'warn' | 'audit';
export const POLICY_MODES: readonly PolicyMode[] = ['deny', 'warn', 'audit'];
export const POLICY_NAME = 'consul-k8s-gitops-service-annotations';
/** Warnings need their own policy: a binding's validationActions apply to all its validations. */
export const WARNINGS_POLICY_NAME = 'consul-k8s-gitops-service-annotation-warnings';

const LABELS = {
  'app.kubernetes.io/name': 'consul-k8s-gitops',
  'app.kubernetes.io/part-of': 'consul-k8s-gitops',
  'app.kubernetes.io/component': 'admission-policy',
};

/** The webhook's own scope (deploy/components/webhook; a test keeps the two equal). */
const WEBHOOK_NAMESPACE_SELECTOR = {
  matchExpressions: [
    { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'consul-k8s-gitops'] },
  ],
};
const WEBHOOK_MATCH_CONDITIONS = [
  {
    name: 'has-consul-annotation',
    expression: `has(object.metadata.annotations) && object.metadata.annotations.exists(k, k.lowerAscii().startsWith('${ANNOTATION_PREFIX}'))`,
  },
];

const ACTIONS: Record<PolicyMode, string[]> = { deny: ['Deny'], warn: ['Warn'], audit: ['Audit'] };
/** The webhook returns warnings in either of its modes; audit mode keeps everything out of replies. */
const WARNING_ACTIONS: Record<PolicyMode, string[]> = { deny: ['Warn'], warn: ['Warn'], audit: ['Audit'] };

/** CEL: annotation `key` (a CEL expression) has the same value in oldObject (UPDATE only). */
const unchanged = (key: string) =>
  `(oldObject != null && has(oldObject.metadata.annotations) && ${key} in oldObject.metadata.annotations && oldObject.metadata.annotations[${key}] == variables.a[${key}])`;

const META = celString(`${ANNOTATION_PREFIX}service-meta-`);

/** One validation: `expression` is true when the object passes the rule. */
function validation(rule: CelRule): {
  expression: string;
  messageExpression: string;
  message: string;
  reason: string;
} {
  const static_ = `${rule.ruleId}: see docs/annotations.md`;
  // Only errors ratchet: the webhook returns warnings whatever the old object held.
  const ratchets = rule.severity === 'error';
  if (rule.scope === 'key') {
    const key = celString(rule.key ?? '');
    return {
      expression: `!variables.synced || !(${key} in variables.a) || ${ratchets ? `${unchanged(key)} || ` : ''}[variables.a[${key}]].all(v, !(${rule.found}))`,
      messageExpression: `[variables.a[${key}]].map(v, ${rule.message})[0]`,
      message: static_,
      reason: 'Invalid',
    };
  }
  if (rule.scope === 'meta') {
    const bad = `k.startsWith(${META}) && ${ratchets ? `!${unchanged('k')} && ` : ''}[variables.a[k]].exists(v, ${rule.found})`;
    return {
      expression: `!variables.synced || !variables.a.exists(k, ${bad})`,
      messageExpression: `variables.a.filter(k, ${bad}).map(k, [variables.a[k]].map(v, ${rule.message})[0]).join('; ')`,
      message: static_,
      reason: 'Invalid',
    };
  }
  if (rule.scope === 'each') {
    const gate = rule.unsynced ? 'variables.synced' : 'false';
    return {
      expression: `${gate} || !variables.a.exists(k, ${rule.found})`,
      messageExpression: `variables.a.filter(k, ${rule.found}).map(k, ${rule.message}).join('; ')`,
      message: static_,
      reason: 'Invalid',
    };
  }
  return {
    expression: `!variables.synced || !(${rule.found})${rule.ratchet ? ` || (${rule.ratchet})` : ''}`,
    messageExpression: rule.message,
    message: static_,
    reason: 'Invalid',
  };
}

function pair(name: string, rules: CelRule[], actions: string[]): [object, object] {
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name, labels: LABELS },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        matchPolicy: 'Equivalent',
        namespaceSelector: WEBHOOK_NAMESPACE_SELECTOR,
        resourceRules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE', 'UPDATE'],
            resources: ['services'],
            scope: 'Namespaced',
          },
        ],
      },
      matchConditions: WEBHOOK_MATCH_CONDITIONS,
      variables: CEL_VARIABLES,
      validations: rules.map(validation),
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name, labels: LABELS },
    spec: { policyName: name, validationActions: actions },
  };
  return [policy, binding];
}

/** The error policy and its binding, then the warning policy and its binding. */
export function policyObjects(mode: PolicyMode): object[] {
  return [
    ...pair(
      POLICY_NAME,
      CEL_RULES.filter((r) => r.severity === 'error'),
      ACTIONS[mode],
    ),
    ...pair(
      WARNINGS_POLICY_NAME,
      CEL_RULES.filter((r) => r.severity === 'warning'),
      WARNING_ACTIONS[mode],
    ),
  ];
}

/** The comment block naming what the policy does not check (and why), one rule a line. */
function notCoveredComment(): string {
  const lines = [
    `Generated by \`consul-k8s-gitops policy export\` from core/annotations: ${CEL_RULES.length} of ${ALL_RULES.length} rules, errors in ${POLICY_NAME}, warnings in ${WARNINGS_POLICY_NAME}.`,
    'Not checked by this policy (the webhook and `lint` still check them):',
    ...ALL_RULES.filter((r) => NOT_EXPRESSIBLE[r.id]).map(
      (r) => `  ${r.id} (${r.severity}): ${NOT_EXPRESSIBLE[r.id]}`,
    ),
  ];
  return lines.map((l) => `# ${l}`.trimEnd()).join('\n');
}

export function exportPolicy(mode: PolicyMode): string {
  const docs = policyObjects(mode).map((o) => yaml.dump(o, { lineWidth: -1, noRefs: true }));
  return `${notCoveredComment()}\n---\n${docs.join('---\n')}`;
}
