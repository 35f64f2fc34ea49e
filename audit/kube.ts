/**
 * I/O: the audit's two conversations with the API server. Services are read in chunks
 * (`limit`/`continue`), so a cluster of any size costs one page of memory at a time; a continue
 * token that expired mid-list (410) restarts the list, since a consistent view needs a fresh one.
 * PolicyReports are created or replaced one namespace at a time; a failure in one namespace never
 * stops the others.
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Service } from '@kubernetes/client-node';
import { describeKubeError, isAlreadyExists, isConflict, isNotFound, kubeErrorStatus } from '../core/kube';
import {
  POLICY_REPORT_API_GROUP as group,
  POLICY_REPORT_NAME,
  POLICY_REPORT_PLURAL as plural,
  POLICY_REPORT_VERSION as version,
  REPORT_LABEL_SELECTOR,
  type PolicyReport,
} from './policy-report';
import type { ReportWrites } from './format';

export interface ReadOptions {
  namespace?: string;
  pageSize: number;
  /** How often an expired chunked list starts over before the audit gives up. */
  maxRestarts?: number;
}

class AuditReadError extends Error {}

/** Calls `onService` for every Service; `onRestart` when an expired list starts over. */
export async function readServices(
  kc: KubeConfig,
  options: ReadOptions,
  onService: (service: V1Service) => void,
  onRestart: () => void,
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const maxRestarts = options.maxRestarts ?? 3;
  for (let restarts = 0; ; restarts++) {
    let token: string | undefined;
    try {
      do {
        const page = options.namespace
          ? await core.listNamespacedService({
              namespace: options.namespace,
              limit: options.pageSize,
              ...(token ? { _continue: token } : {}),
            })
          : await core.listServiceForAllNamespaces({
              limit: options.pageSize,
              ...(token ? { _continue: token } : {}),
            });
        for (const service of page.items) onService(service);
        token = page.metadata?._continue || undefined;
      } while (token);
      return;
    } catch (error) {
      if (token && kubeErrorStatus(error)?.code === 410 && restarts < maxRestarts) {
        onRestart();
        continue;
      }
      const where = options.namespace ? `namespace ${options.namespace}` : 'all namespaces';
      throw new AuditReadError(`listing Services (${where}): ${describeKubeError(error)}`);
    }
  }
}

const CRD_MISSING = `the PolicyReport CRD (${plural}.${group}/${version}) is not installed; install it (Kyverno and the wg-policy prototypes ship it) or run without --write-reports`;

function explain(error: unknown): string {
  return isNotFound(error) ? CRD_MISSING : describeKubeError(error);
}

async function upsert(api: CustomObjectsApi, report: PolicyReport): Promise<void> {
  const namespace = report.metadata.namespace;
  const name = report.metadata.name;
  try {
    await api.createNamespacedCustomObject({ group, version, plural, namespace, body: report });
    return;
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  // Replace with the stored resourceVersion; a concurrent writer (another audit run) means retry.
  for (let attempt = 0; ; attempt++) {
    const current = (await api.getNamespacedCustomObject({ group, version, plural, namespace, name })) as {
      metadata?: { resourceVersion?: string };
    };
    const body = {
      ...report,
      metadata: { ...report.metadata, resourceVersion: current.metadata?.resourceVersion },
    };
    try {
      await api.replaceNamespacedCustomObject({ group, version, plural, namespace, name, body });
      return;
    } catch (error) {
      if (!isConflict(error) || attempt >= 2) throw error;
    }
  }
}

/**
 * Writes one report per audited namespace and deletes this tool's reports in namespaces that no
 * longer have annotated Services (within `namespace` when the audit was limited to one).
 */
export async function writeReports(
  kc: KubeConfig,
  reports: PolicyReport[],
  namespace: string | undefined,
): Promise<ReportWrites> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const writes: ReportWrites = { written: [], deleted: [], failed: [] };
  for (const report of reports) {
    try {
      await upsert(api, report);
      writes.written.push(report.metadata.namespace);
    } catch (error) {
      writes.failed.push({ namespace: report.metadata.namespace, message: explain(error) });
    }
  }
  const current = new Set(reports.map((r) => r.metadata.namespace));
  let existing: Array<{ metadata?: { name?: string; namespace?: string } }>;
  try {
    const listed = (
      namespace
        ? await api.listNamespacedCustomObject({
            group,
            version,
            plural,
            namespace,
            labelSelector: REPORT_LABEL_SELECTOR,
          })
        : await api.listClusterCustomObject({ group, version, plural, labelSelector: REPORT_LABEL_SELECTOR })
    ) as { items?: Array<{ metadata?: { name?: string; namespace?: string } }> };
    existing = listed.items ?? [];
  } catch (error) {
    writes.failed.push({
      namespace: namespace ?? '*',
      message: `listing old PolicyReports: ${explain(error)}`,
    });
    return writes;
  }
  for (const item of existing) {
    const ns = item.metadata?.namespace ?? '';
    if (item.metadata?.name !== POLICY_REPORT_NAME || current.has(ns)) continue;
    try {
      await api.deleteNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: ns,
        name: POLICY_REPORT_NAME,
      });
      writes.deleted.push(ns);
    } catch (error) {
      if (!isNotFound(error))
        writes.failed.push({ namespace: ns, message: `deleting a stale report: ${explain(error)}` });
    }
  }
  return writes;
}
