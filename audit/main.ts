/**
 * `audit`, the composition root: read -> analyse -> print (-> write reports). Loaded by the
 * command only when it runs: the Kubernetes client takes most of a second to load.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { syncSettingsFromFlags, type SyncSettingsFlags } from '../core/runtime';
import { AuditCollector, auditExitCode } from './collect';
import { formatAuditJson, formatAuditText, type ReportWrites } from './format';
import { readServices, writeReports } from './kube';
import { policyReportFor } from './policy-report';

export interface AuditFlags extends SyncSettingsFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  format: 'text' | 'json';
  strict: boolean;
  exitZero?: boolean;
  writeReports: boolean;
  pageSize: number;
  consulK8sTag: string;
  warnUnsynced: boolean;
}

const EXIT_CLEAN = 0;
/** @public command.ts loads this module lazily, through a typed require knip cannot follow. */
export const EXIT_FAILED = 2;

/** Read -> analyse -> print (-> write reports). Throws only on read failures. */
export async function runAudit(
  kc: KubeConfig,
  flags: AuditFlags,
  now: () => Date = () => new Date(),
): Promise<{ output: string; exitCode: 0 | 1 | 2 }> {
  const collector = new AuditCollector({
    syncTag: flags.consulK8sTag,
    ...(flags.warnUnsynced ? { syncSettings: syncSettingsFromFlags(flags) } : {}),
  });
  await readServices(
    kc,
    { pageSize: flags.pageSize, ...(flags.namespace ? { namespace: flags.namespace } : {}) },
    (service) => collector.add(service),
    () => collector.reset(),
  );
  const result = collector.result();
  let writes: ReportWrites | undefined;
  if (flags.writeReports) {
    const at = now();
    writes = await writeReports(
      kc,
      result.namespaces.map((ns) => policyReportFor(ns, at)),
      flags.namespace,
    );
  }
  const output = (flags.format === 'json' ? formatAuditJson : formatAuditText)(result, writes);
  const exitCode =
    writes && writes.failed.length > 0
      ? EXIT_FAILED
      : flags.exitZero
        ? EXIT_CLEAN
        : auditExitCode(result.summary, flags.strict);
  return { output, exitCode };
}
