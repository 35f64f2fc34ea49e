/**
 * Mass-deletion guard: a run that would remove more than `--max-delete-percent` of the managed
 * Services, or all of them, is refused unless `--allow-mass-delete`. Pure.
 */
export interface GuardOptions {
  maxDeletePercent: number;
  allowMassDelete: boolean;
}

export type GuardVerdict = { allowed: true } | { allowed: false; reason: string };

export function checkMassDeletion(
  currentCount: number,
  removedCount: number,
  options: GuardOptions,
): GuardVerdict {
  if (options.allowMassDelete || removedCount === 0 || currentCount === 0) return { allowed: true };
  const percent = (removedCount / currentCount) * 100;
  if (removedCount >= currentCount) {
    return {
      allowed: false,
      reason: `refusing to remove all ${currentCount} managed Services (pass --allow-mass-delete if this is intended)`,
    };
  }
  if (percent > options.maxDeletePercent) {
    return {
      allowed: false,
      reason:
        `refusing to remove ${removedCount} of ${currentCount} managed Services ` +
        `(${percent.toFixed(1)}% > --max-delete-percent ${options.maxDeletePercent}; pass --allow-mass-delete if this is intended)`,
    };
  }
  return { allowed: true };
}
