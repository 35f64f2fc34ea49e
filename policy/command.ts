/** `consul-k8s-gitops policy export`: the webhook's rules as a ValidatingAdmissionPolicy. */
import { Command, Option } from 'commander';
import { exportPolicy, POLICY_MODES, type PolicyMode } from './export';

export function createPolicyCommand(): Command {
  const policy = new Command('policy').summary(
    'the rules as a ValidatingAdmissionPolicy (no webhook needed)',
  );
  policy.addCommand(
    new Command('export')
      .summary('print a ValidatingAdmissionPolicy and its binding (admissionregistration.k8s.io/v1)')
      .description(
        "Print, as YAML for kubectl apply, a ValidatingAdmissionPolicy with the webhook's error rules in CEL and its ValidatingAdmissionPolicyBinding.\n" +
          'Rules CEL cannot express are listed as comments at the top (and in docs/policy.md). Needs Kubernetes 1.30 or newer.',
      )
      .addOption(
        new Option(
          '--mode <mode>',
          'deny: errors reject the request; warn: kubectl shows them as warnings; audit: audit log annotations only',
        )
          .choices([...POLICY_MODES])
          .default('deny'),
      )
      .action((flags: { mode: PolicyMode }) => {
        process.stdout.write(exportPolicy(flags.mode));
      }),
  );
  return policy;
}
