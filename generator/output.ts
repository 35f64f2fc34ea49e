/** What `generate` prints for an outcome, and its exit codes. */
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { redactText } from '../core/runtime/logger';
import type { GeneratorConfig } from './config';
import { isEmptyPlan } from './plan';
import { planReport } from './plan-report';
import { commitList, type PullRequestResult } from './pull-request';
import { displayUrl } from './git/credentials';
import { changeTable, incompleteMessage, summaryLine, unifiedDiff } from './report';
import type { RunOutcome } from './run';
import { isCatalogReadFailure } from './source/source';

/** Rows of the change table printed after a commit (the commit itself has everything). */
const PRINTED_ROWS = 200;

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
const EXIT_CHANGES = 2;
const EXIT_REFUSED = 3;
const EXIT_INCOMPLETE = 4;

export interface GenerateIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Watch mode: where SIGTERM/SIGINT come from (default the process; tests pass an emitter). */
  signals?: Pick<EventEmitter, 'on' | 'off'>;
  /** Watch mode: called once the health server listens (tests use port 0). */
  onListening?: (port: number) => void;
}

/** Prints an error that stopped the run; returns its exit code. */
export function failed(err: unknown, io: Pick<GenerateIo, 'stderr'>): number {
  io.stderr(`error: ${redactText((err as Error).message)}\n`);
  return isCatalogReadFailure(err) ? EXIT_INCOMPLETE : EXIT_ERROR;
}

/** Prints the outcome; returns the exit code (4 whenever the catalog read was partial). */
export function report(
  outcome: RunOutcome,
  config: GeneratorConfig,
  io: Pick<GenerateIo, 'stdout' | 'stderr'>,
): number {
  const code = reportStatus(outcome, config, io);
  if (!outcome.incomplete) return code;
  io.stderr(`warning: ${incompleteMessage(outcome.incomplete)}\n`);
  return code === EXIT_REFUSED || code === EXIT_ERROR ? code : EXIT_INCOMPLETE;
}

function reportStatus(
  outcome: RunOutcome,
  config: GeneratorConfig,
  io: Pick<GenerateIo, 'stdout' | 'stderr'>,
): number {
  const where = `${displayUrl(config.repo)} (${config.branch}:${config.managedPath})`;
  const rendered = outcome.desired.selected.length;
  const skipped = outcome.desired.skipped.length;
  switch (outcome.status) {
    case 'planned': {
      const changed = !isEmptyPlan(outcome.plan);
      if (config.output === 'json') {
        const shown = { repo: displayUrl(config.repo), branch: config.branch, path: config.managedPath };
        io.stdout(`${JSON.stringify(planReport(outcome, shown), null, 2)}\n`);
      } else if (!changed) {
        io.stdout(`no changes: ${where} matches the catalog (${rendered} services, ${skipped} skipped)\n`);
      } else {
        io.stdout(`would change ${where}: ${summaryLine(outcome.plan)}\n\n${changeTable(outcome.plan)}\n`);
        io.stdout(unifiedDiff(outcome.plan, outcome.previous, config.managedPath));
      }
      if (!changed) return EXIT_OK;
      if (!outcome.guard.allowed) {
        io.stderr(`error: the mass-deletion guard would refuse this run: ${outcome.guard.reason}\n`);
        return EXIT_ERROR;
      }
      return EXIT_CHANGES;
    }
    case 'up-to-date': {
      const pr = outcome.pullRequest;
      const prNote =
        pr?.action === 'closed' ? `; closed pull request ${pr.url ?? ''} (no longer needed)` : '';
      io.stdout(
        `up to date: ${where} already matches the catalog (${rendered} services, ${skipped} skipped)${prNote}\n`,
      );
      if (pr?.action === 'held') io.stderr(`warning: ${heldMessage(config, pr)}\n`);
      return EXIT_OK;
    }
    case 'refused':
      io.stderr(`error: ${outcome.reason}; the repository was left as it is\n`);
      return EXIT_REFUSED;
    case 'committed':
      io.stdout(
        `committed ${outcome.commit.slice(0, 12)} to ${where}${outcome.pushed ? ' and pushed' : ''}: ${summaryLine(outcome.plan)}\n\n${changeTable(outcome.plan, PRINTED_ROWS)}`,
      );
      return EXIT_OK;
    case 'pull-request': {
      const pr = outcome.pullRequest;
      if (pr.action === 'held') {
        io.stdout(
          `pull request held: ${pr.url ?? config.pullRequest?.branch ?? ''} (${summaryLine(outcome.plan)})\n`,
        );
        io.stderr(`warning: ${heldMessage(config, pr)}\n`);
        return EXIT_OK;
      }
      if (pr.action === 'declined') {
        io.stdout(
          `pull request declined: ${pr.url ?? ''} was closed without merging; the same change is not proposed again until the catalog changes (${summaryLine(outcome.plan)})\n`,
        );
        return EXIT_OK;
      }
      io.stdout(
        `pull request ${pr.action}: ${pr.url ?? ''} (${summaryLine(outcome.plan)})\n\n${changeTable(outcome.plan, PRINTED_ROWS)}`,
      );
      return EXIT_OK;
    }
  }
}

function heldMessage(config: GeneratorConfig, pr: PullRequestResult): string {
  const commits = pr.notOurs ?? [];
  return (
    `the pull-request branch ${config.pullRequest?.branch ?? ''} has ${commits.length} commit(s) not made by ` +
    `consul-k8s-gitops (${commitList(commits)}); it is not updated (merge or close the pull request and delete the branch)`
  );
}
