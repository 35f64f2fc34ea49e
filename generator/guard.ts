/**
 * Mass-deletion guard: a run that would remove more than `--max-delete-percent` of the managed
 * Services, or all of them, is refused unless `--allow-mass-delete`. Runs that each stay under the
 * limit cannot add up to a mass deletion either (10 -> 5 -> 3 -> 2 -> 1): the count a run leaves
 * is also compared with the high-water mark, the most Services the path held since the last
 * `--allow-mass-delete` run (kept in the ownership marker). Pure.
 */
export interface GuardOptions {
  maxDeletePercent: number;
  allowMassDelete: boolean;
}

export type GuardVerdict = { allowed: true } | { allowed: false; reason: string };

/** What the path held before the run and will hold after it, and the recorded high-water mark. */
interface GuardHistory {
  /** Service files after the run. */
  after: number;
  /** The high-water mark the last accepted run recorded (undefined: none recorded yet). */
  highWaterMark?: number;
}

export function checkMassDeletion(
  currentCount: number,
  removedCount: number,
  options: GuardOptions,
  history?: GuardHistory,
): GuardVerdict {
  if (options.allowMassDelete || removedCount === 0 || currentCount === 0) return { allowed: true };
  const override = 'pass --allow-mass-delete if this is intended';
  const percent = (removedCount / currentCount) * 100;
  if (removedCount >= currentCount) {
    return {
      allowed: false,
      reason: `refusing to remove all ${currentCount} managed Services (${override})`,
    };
  }
  if (percent > options.maxDeletePercent) {
    return {
      allowed: false,
      reason:
        `refusing to remove ${removedCount} of ${currentCount} managed Services ` +
        `(${percent.toFixed(1)}% > --max-delete-percent ${options.maxDeletePercent}; ${override})`,
    };
  }
  if (history === undefined) return { allowed: true };
  const mark = Math.max(history.highWaterMark ?? 0, currentCount);
  const lost = ((mark - history.after) / mark) * 100;
  if (lost > options.maxDeletePercent) {
    return {
      allowed: false,
      reason:
        `refusing to remove ${removedCount} of ${currentCount} managed Services: ${history.after} would be left ` +
        `of the ${mark} this path held (its high-water mark; ${lost.toFixed(1)}% fewer > --max-delete-percent ` +
        `${options.maxDeletePercent}; ${override}, which also resets the mark)`,
    };
  }
  return { allowed: true };
}

/**
 * The high-water mark an accepted run records: the most Services the path held, reset to what the
 * run leaves by `--allow-mass-delete`. `before` stands in for a mark not recorded yet.
 */
export function nextHighWaterMark(
  recorded: number | undefined,
  before: number,
  after: number,
  options: GuardOptions,
): number {
  return options.allowMassDelete ? after : Math.max(recorded ?? before, after);
}
