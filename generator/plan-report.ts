/**
 * `--dry-run --output json`: the plan for machines. The shape is documented (docs/generator.md,
 * "Modes and exit codes"), versioned by `apiVersion`, and stable: every field is always present
 * (`null` when it does not apply); new fields may be added, none is renamed or removed within a
 * version. Pure.
 */
import { z } from 'zod';
import type { DesiredState } from './desired';
import type { GuardVerdict } from './guard';
import { countChanges, keptNotOurs, type Plan } from './plan';
import type { CatalogGap } from './source/catalog';

export const PLAN_REPORT_API_VERSION = 'consul-k8s-gitops/plan/v1';

const change = z.enum(['added', 'changed', 'removed']);

export const PlanReportSchema = z
  .object({
    apiVersion: z.literal(PLAN_REPORT_API_VERSION),
    /** `--repo` as shown in logs (no userinfo), `--branch`, the normalised `--path`. */
    repo: z.string(),
    branch: z.string(),
    path: z.string(),
    /** Whether a run would write anything (exit code 2). */
    changes: z.boolean(),
    summary: z
      .object({
        added: z.number().int(),
        changed: z.number().int(),
        removed: z.number().int(),
        /** Services rendered from the catalog. */
        rendered: z.number().int(),
        skipped: z.number().int(),
        /** Files in the managed path that are not ours and are kept. */
        keptNotOurs: z.number().int(),
      })
      .strict(),
    /** Service changes, by file name. */
    services: z.array(
      z
        .object({
          name: z.string(),
          consulName: z.string().nullable(),
          change,
          /** Repository-relative path of the Service's file. */
          file: z.string(),
          externalNameBefore: z.string().nullable(),
          externalNameAfter: z.string().nullable(),
        })
        .strict(),
    ),
    /** Every file added, changed or removed, and the files not ours that are kept, by path. */
    files: z.array(
      z
        .object({
          /** Repository-relative. */
          path: z.string(),
          change: z.enum(['added', 'changed', 'removed', 'kept-not-ours']),
          /** A generated file takes the name of a file that was not ours. */
          replacesFileNotOurs: z.boolean(),
          /** The Kubernetes Service the file holds, for Service files. */
          service: z.string().nullable(),
          consulName: z.string().nullable(),
        })
        .strict(),
    ),
    /** Consul services not rendered, and why. */
    skipped: z.array(z.object({ consulName: z.string(), reason: z.string() }).strict()),
    /** The mass-deletion guard's verdict (a refusal exits 1 in a dry run). */
    guard: z.object({ allowed: z.boolean(), reason: z.string().nullable() }).strict(),
    /** A partial catalog read: what could not be read and why, and the Service files kept (exit 4). */
    incomplete: z
      .object({
        gaps: z.array(z.object({ what: z.string(), reason: z.string() }).strict()),
        kept: z.array(z.string()),
      })
      .strict()
      .nullable(),
  })
  .strict();

export type PlanReport = z.infer<typeof PlanReportSchema>;

interface PlanReportInput {
  plan: Plan;
  desired: Pick<DesiredState, 'selected' | 'skipped'>;
  guard: GuardVerdict;
  incomplete?: { gaps: readonly CatalogGap[]; kept: readonly string[] };
}

export function planReport(
  outcome: PlanReportInput,
  where: { repo: string; branch: string; path: string },
): PlanReport {
  const { plan } = outcome;
  const inRepo = (file: string): string => (where.path === '' ? file : `${where.path}/${file}`);
  const counts = countChanges(plan);
  const byFile = new Map(plan.changes.map((service) => [service.file, service]));
  return {
    apiVersion: PLAN_REPORT_API_VERSION,
    ...where,
    changes: plan.writes.length > 0 || plan.deletes.length > 0,
    summary: {
      ...counts,
      rendered: outcome.desired.selected.length,
      skipped: outcome.desired.skipped.length,
      keptNotOurs: keptNotOurs(plan).length,
    },
    services: plan.changes.map((service) => ({
      name: service.k8sName,
      consulName: service.consulName ?? null,
      change: service.kind,
      file: inRepo(service.file),
      externalNameBefore: service.externalNameBefore ?? null,
      externalNameAfter: service.externalNameAfter ?? null,
    })),
    files: plan.files.map((file) => ({
      path: inRepo(file.file),
      change: file.kind,
      replacesFileNotOurs: file.notOurs ?? false,
      service: byFile.get(file.file)?.k8sName ?? null,
      consulName: byFile.get(file.file)?.consulName ?? null,
    })),
    skipped: outcome.desired.skipped.map(({ consulName, reason }) => ({ consulName, reason })),
    guard: { allowed: outcome.guard.allowed, reason: outcome.guard.allowed ? null : outcome.guard.reason },
    incomplete: outcome.incomplete
      ? {
          gaps: outcome.incomplete.gaps.map(({ what, reason }) => ({ what, reason })),
          kept: outcome.incomplete.kept.map(inRepo),
        }
      : null,
  };
}
