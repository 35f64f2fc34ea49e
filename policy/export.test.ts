/**
 * The exported objects' structure (fast tier). Whether every CEL expression compiles, fits the cost
 * budget and decides as the webhook does is for a real API server: policy/policy.real.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { ALL_RULES, CEL_RULES, NOT_EXPRESSIBLE } from '../core/annotations';
import { exportPolicy, policyObjects, POLICY_MODES, POLICY_NAME, WARNINGS_POLICY_NAME } from './export';

type Obj = { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> };
const root = path.resolve(__dirname, '..');

describe('policy export', () => {
  it.each(POLICY_MODES)(
    '--mode %s prints ValidatingAdmissionPolicies and their bindings (admissionregistration.k8s.io/v1): errors, then warnings',
    (mode) => {
      const docs = yaml.loadAll(exportPolicy(mode)) as Obj[];
      expect(docs.map((d) => [d.apiVersion, d.kind, d.metadata.name])).toEqual([
        ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', POLICY_NAME],
        ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding', POLICY_NAME],
        ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', WARNINGS_POLICY_NAME],
        ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding', WARNINGS_POLICY_NAME],
      ]);
      expect(docs[1]!.spec).toEqual({
        policyName: POLICY_NAME,
        validationActions: [{ deny: 'Deny', warn: 'Warn', audit: 'Audit' }[mode]],
      });
      expect(docs[3]!.spec).toEqual({
        policyName: WARNINGS_POLICY_NAME,
        validationActions: [{ deny: 'Warn', warn: 'Warn', audit: 'Audit' }[mode]],
      });
    },
  );

  it('has one validation per covered rule, in the policy of its severity, each with a messageExpression and a static fallback', () => {
    const [errors, , warnings] = policyObjects('deny') as Obj[];
    for (const [policy, severity] of [
      [errors!, 'error'],
      [warnings!, 'warning'],
    ] as const) {
      const rules = CEL_RULES.filter((r) => r.severity === severity);
      const validations = policy.spec.validations as Array<Record<string, string>>;
      expect(validations.map((v) => v.message)).toEqual(
        rules.map((r) => `${r.ruleId}: see docs/annotations.md`),
      );
      for (const v of validations) {
        expect(v.messageExpression).toBeTruthy();
        expect(v.reason).toBe('Invalid');
      }
      expect(policy.spec.failurePolicy).toBe('Fail');
    }
  });

  it('matches what the webhook matches: its resources, operations, namespaceSelector and matchConditions', () => {
    const webhookConfig = yaml.load(
      readFileSync(
        path.join(root, 'deploy/components/webhook/validating-webhook-configuration.yaml'),
        'utf8',
      ),
    ) as { webhooks: Array<Record<string, unknown>> };
    const webhook = webhookConfig.webhooks[0]!;
    const [policy] = policyObjects('deny') as Obj[];
    const constraints = policy!.spec.matchConstraints as Record<string, unknown>;
    expect(constraints.resourceRules).toEqual(webhook.rules);
    expect(constraints.namespaceSelector).toEqual(webhook.namespaceSelector);
    expect(constraints.matchPolicy).toBe(webhook.matchPolicy);
    const normal = (conditions: unknown) =>
      (conditions as Array<{ name: string; expression: string }>).map((c) => ({
        ...c,
        expression: c.expression.replace(/\s+/g, ' ').trim(),
      }));
    expect(normal(policy!.spec.matchConditions)).toEqual(normal(webhook.matchConditions));
  });

  it('lists every rule it does not check as a comment, with the reason', () => {
    const comments = exportPolicy('deny')
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .join('\n');
    for (const [id, why] of Object.entries(NOT_EXPRESSIBLE)) {
      expect(comments).toContain(`${id} (`);
      expect(comments).toContain(why);
    }
    for (const rule of CEL_RULES) expect(comments).not.toContain(`  ${rule.ruleId} (`);
    expect(comments).toContain(`${CEL_RULES.length} of ${ALL_RULES.length} rules`);
  });

  it('docs/policy.md names every covered rule and every rule the policy does not check', () => {
    const doc = readFileSync(path.join(root, 'docs/policy.md'), 'utf8');
    for (const id of [...CEL_RULES.map((r) => r.ruleId), ...Object.keys(NOT_EXPRESSIBLE)])
      expect(doc).toContain(`\`${id}\``);
  });

  it('deploy/components/admission-policy renders the exported policy (deny mode)', () => {
    const onDisk = readFileSync(path.join(root, 'deploy/components/admission-policy/policy.yaml'), 'utf8');
    expect(onDisk).toBe(exportPolicy('deny'));
  });
});
