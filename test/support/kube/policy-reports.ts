/**
 * wgpolicyk8s.io/v1alpha2 PolicyReport, the report type Kyverno and the policy working group's
 * tools write (a CRD on a real cluster: namespaced, no status subresource). Only the checks of the
 * CRD's schema that our audit could get wrong are modelled: `results` is a list, each `result` is
 * one of the CRD's enum, `summary` counts are integers. Kept apart from resources.ts so the built-in
 * types stay separate from CRDs.
 */
import { invalid } from './status';

const RESULTS = ['pass', 'fail', 'warn', 'error', 'skip'];

type Obj = Record<string, unknown> & { metadata?: { name?: string } };

function validate(obj: Obj): void {
  const fail = (field: string, message: string): never => {
    throw invalid('PolicyReport', 'wgpolicyk8s.io', obj.metadata?.name ?? '', [{ field, message }]);
  };
  const results: unknown = obj.results ?? [];
  if (!Array.isArray(results)) fail('results', 'Invalid value: must be of type array');
  (results as unknown[]).forEach((r, i) => {
    const result = (r as Obj | null)?.result;
    if (!RESULTS.includes(String(result)))
      fail(
        `results[${i}].result`,
        `Unsupported value: ${JSON.stringify(result)}: supported values: "${RESULTS.join('", "')}"`,
      );
  });
  const summary = (obj.summary ?? {}) as Obj;
  for (const [k, v] of Object.entries(summary)) {
    if (!Number.isInteger(v)) fail(`summary.${k}`, 'Invalid value: must be of type integer');
  }
}

export const POLICY_REPORTS = {
  plural: 'policyreports',
  group: 'wgpolicyk8s.io',
  version: 'v1alpha2',
  kind: 'PolicyReport',
  namespaced: true,
  hasStatus: false,
  fieldSelectors: ['metadata.name', 'metadata.namespace'],
  onCreate: validate,
  onUpdate: validate,
};
