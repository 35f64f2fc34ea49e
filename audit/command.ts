/** `consul-k8s-gitops audit`: the webhook's rules over every Service a cluster has today. */
import { Command, Option } from 'commander';
import type * as KubeConfigModule from '../core/kube/config';
import { positiveIntArg } from '../core/runtime/config';
import { addRegistrarViewOptions } from '../core/runtime/sync-flags';
import type * as AuditMain from './main';

export function createAuditCommand(): Command {
  const command = new Command('audit')
    .summary('check the annotations of every Service in a cluster, now (reports by namespace)')
    .description(
      "Read every Service of the cluster (in pages) and check its consul.hashicorp.com/* annotations with the webhook's rules; " +
        'report by namespace as text or JSON, and with --write-reports as one wgpolicyk8s.io/v1alpha2 PolicyReport per namespace.\n' +
        'Cluster access: --kubeconfig, else $KUBECONFIG, ~/.kube/config, then the in-cluster service account.\n' +
        'Exit status: 0 no errors (or --exit-zero), 1 errors (with --strict: also warnings), 2 the cluster could not be read or a PolicyReport could not be written.',
    )
    .addOption(
      new Option(
        '--kubeconfig <path>',
        'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)',
      ),
    )
    .addOption(new Option('--context <name>', "kubeconfig context (default: the file's current-context)"))
    .addOption(
      new Option('-n, --namespace <namespace>', 'audit only this namespace (default: all namespaces)'),
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--strict', 'exit 1 on warnings too', false)
    .option(
      '--exit-zero',
      'exit 0 even when there are findings (2 still means a failure; for CronJobs)',
      false,
    )
    .option('--write-reports', 'write one PolicyReport per namespace and delete stale ones', false)
    .addOption(
      new Option('--page-size <n>', 'Services per list request (limit/continue paging)')
        .argParser(positiveIntArg)
        .default(500),
    );
  addRegistrarViewOptions(command);
  return command.action(async (flags: AuditMain.AuditFlags) => {
    // Loaded when the command runs: the Kubernetes client takes most of a second to load.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { loadKubeConfig } = require('../core/kube/config') as typeof KubeConfigModule;
    const { runAudit, EXIT_FAILED } = require('./main') as typeof AuditMain;
    /* eslint-enable @typescript-eslint/no-require-imports */
    try {
      const kc = loadKubeConfig({
        ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
        ...(flags.context !== undefined ? { context: flags.context } : {}),
      });
      const { output, exitCode } = await runAudit(kc, flags);
      process.stdout.write(output);
      process.exitCode = exitCode;
    } catch (error) {
      console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = EXIT_FAILED;
    }
  });
}
