/**
 * Watch mode: wait for the catalog to change (blocking queries), batch a burst with a buffer
 * period (wait until `bufferMin` passes without another change, but never longer than
 * `bufferMax` after the first one), then run once. Errors back off; the loop never exits on them.
 */
import type { Logger } from 'pino';
import { Backoff, sleep } from '../core/kube/backoff';
import type { GeneratorMetrics } from './metrics';
import { incompleteMessage } from './report';
import type { RunOutcome } from './run';
import type { CatalogSource } from './source/source';

export interface WatchOptions {
  bufferMinMs: number;
  bufferMaxMs: number;
  /** Backoff after errors (default 1 s growing to 60 s). */
  errorBackoff?: { initialMs: number; maxMs: number };
  /** Only runs while this returns true (leader election); default always. */
  isLeader?: () => boolean;
  /** How often a standby checks whether it became the leader (default 1 s). */
  standbyPollMs?: number;
}

interface WatchDependencies {
  source: CatalogSource;
  run: (signal: AbortSignal) => Promise<RunOutcome>;
  logger: Logger;
  metrics?: GeneratorMetrics;
  /** Called after every run with whether it succeeded (a guard refusal is not a success). */
  /** After every run: its outcome, or the error that stopped it. */
  onRunFinished?: (ok: boolean, outcome?: RunOutcome, error?: unknown) => void;
}

export class CatalogWatcher {
  private readonly backoff: Backoff;

  constructor(
    private readonly deps: WatchDependencies,
    private readonly options: WatchOptions,
  ) {
    this.backoff = new Backoff({
      initialMs: options.errorBackoff?.initialMs ?? 1000,
      maxMs: options.errorBackoff?.maxMs ?? 60_000,
    });
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let index: string | undefined;
    let pending = true;
    while (!signal.aborted) {
      if (this.options.isLeader && !this.options.isLeader()) {
        pending = true;
        await sleep(this.options.standbyPollMs ?? 1000, signal);
        continue;
      }
      try {
        if (!pending) {
          index = await this.deps.source.waitForChange(index, signal);
          if (signal.aborted) break;
          index = await this.settle(index, signal);
          if (signal.aborted) break;
        } else if (index === undefined) {
          index = await this.deps.source.waitForChange(undefined, signal);
        }
        // Leadership may have moved while we waited for Consul: a former leader must not write.
        if (this.options.isLeader && !this.options.isLeader()) {
          pending = true;
          continue;
        }
        await this.runOnce(signal);
        pending = false;
        this.backoff.reset();
      } catch (err) {
        if (signal.aborted) break;
        pending = true;
        const delayMs = this.backoff.next();
        this.deps.logger.error({ err: (err as Error).message, delayMs }, 'generator run failed; retrying');
        this.deps.metrics?.runFailed();
        this.deps.onRunFinished?.(false, undefined, err);
        await sleep(delayMs, signal);
      }
    }
  }

  /** After a change: keep absorbing changes until a quiet `bufferMin` or `bufferMax` overall. */
  private async settle(index: string | undefined, signal: AbortSignal): Promise<string | undefined> {
    const deadline = Date.now() + this.options.bufferMaxMs;
    let current = index;
    for (;;) {
      const quietUntil = Math.min(Date.now() + this.options.bufferMinMs, deadline);
      const waitMs = quietUntil - Date.now();
      if (waitMs <= 0) return current;
      const timer = new AbortController();
      const stop = (): void => timer.abort();
      signal.addEventListener('abort', stop, { once: true });
      const timeout = setTimeout(stop, waitMs);
      try {
        const next = await this.deps.source.waitForChange(current, timer.signal);
        if (timer.signal.aborted || next === current) return current;
        // A change arrived within the quiet period: restart it (bounded by the deadline).
        current = next;
      } finally {
        clearTimeout(timeout);
        signal.removeEventListener('abort', stop);
      }
    }
  }

  private async runOnce(signal: AbortSignal): Promise<void> {
    const outcome = await this.deps.run(signal);
    const ok = outcome.status !== 'refused';
    this.deps.metrics?.runFinished(outcome.status);
    if (outcome.incomplete)
      this.deps.logger.warn(
        { gaps: outcome.incomplete.gaps, kept: outcome.incomplete.kept.length },
        incompleteMessage(outcome.incomplete),
      );
    if (outcome.status === 'refused')
      this.deps.logger.error({ reason: outcome.reason }, 'mass-deletion guard refused the run');
    else
      this.deps.logger.info(
        { status: outcome.status, ...('commit' in outcome ? { commit: outcome.commit } : {}) },
        'generator run finished',
      );
    this.deps.onRunFinished?.(ok, outcome);
  }
}
