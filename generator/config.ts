/**
 * `generate` settings: commander's option values (+ environment) -> a validated config, through
 * one zod schema made of each concern's fields (config-target.ts, config-git.ts,
 * config-pull-request.ts, config-commits.ts, and here the mode and watch mode). Every bad value
 * fails at startup with one message naming each flag (or variable) and the reason. The files the
 * flags name (tokens, signing key) are read after the checks, and their problems reported with
 * them; secrets stay out of every printable form.
 */
import { z } from 'zod';
import {
  isLongEnoughLease,
  LEASE_TOO_SHORT,
  leaderFlagsShape,
  leaderSettings,
  type LeaderSettings,
  notALeaseNamespace,
} from '../core/runtime/leader-flags';
import { LOG_LEVELS, type LogLevel } from '../core/runtime/logger';
import { isDns1123Label } from '../core/names/dns';
import { validateOptions } from '../core/runtime/zod-flags';
import {
  readCommitFiles,
  commitFlags,
  commitProblems,
  commitSettings,
  type CommitSettings,
} from './config-commits';
import { gitCredentials, gitFlags, gitProblems, gitSettings, type GitSettings } from './config-git';
import { type ReadSecret, readSecretFile } from './config-secrets';
import {
  forgeToken,
  pullRequestFlags,
  pullRequestProblems,
  pullRequestSettings,
} from './config-pull-request';
import { targetFlags, targetProblems, targetSettings, type TargetSettings } from './config-target';
import type { ForgeConfig } from './forge/forge';
import type { GitCredentials } from './git/credentials';

type Mode = 'once' | 'watch' | 'dry-run';

export const DEFAULT_LEASE_NAME = 'consul-k8s-gitops-generator';

const modeFlags = {
  once: z.boolean().optional(),
  watch: z.boolean().optional(),
  dryRun: z.boolean().optional(),
};

const watchFlags = {
  bufferMin: z.number(),
  bufferMax: z.number(),
  // The minimum Lease applies only with --watch (a run without it takes no Lease).
  ...leaderFlagsShape({ leaseName: DEFAULT_LEASE_NAME, minimumLease: false }),
};

const flagsSchema = z
  .object({
    ...modeFlags,
    ...targetFlags,
    ...gitFlags,
    ...pullRequestFlags,
    ...watchFlags,
    ...commitFlags,
    logLevel: z.enum(LOG_LEVELS, { error: () => `--log-level: expected one of ${LOG_LEVELS.join(', ')}` }),
  })
  .superRefine((o, ctx) => {
    for (const message of [
      ...modeProblems(o),
      ...gitProblems(o),
      ...targetProblems(o),
      ...pullRequestProblems(o),
      ...watchProblems(o),
      ...commitProblems(o, { once: modeOf(o) === 'once', dryRun: Boolean(o.dryRun) }),
    ])
      ctx.addIssue({ code: 'custom', message });
  });

type GenerateOptions = z.infer<typeof flagsSchema>;

/** Option values as commander hands them over. */
export type GenerateFlags = z.input<typeof flagsSchema>;

export interface GeneratorConfig extends TargetSettings, GitSettings, CommitSettings {
  mode: Mode;
  credentials: GitCredentials;
  pullRequest?: ForgeConfig;
  watch: LeaderSettings & { bufferMinMs: number; bufferMaxMs: number };
  logLevel: LogLevel;
}

class GeneratorConfigError extends Error {
  override readonly name = 'GeneratorConfigError';
}

function modeOf(o: Pick<GenerateOptions, 'watch' | 'dryRun'>): Mode {
  return o.dryRun ? 'dry-run' : o.watch ? 'watch' : 'once';
}

function modeProblems(o: Pick<GenerateOptions, keyof typeof modeFlags>): string[] {
  const problems: string[] = [];
  if (o.once && o.watch) problems.push('--once and --watch: choose one');
  if (o.watch && o.dryRun) problems.push('--dry-run: plans one run; it cannot be combined with --watch');
  if (!o.once && !o.watch && !o.dryRun) problems.push('choose a mode: --once, --watch or --dry-run');
  return problems;
}

function watchProblems(
  o: Pick<GenerateOptions, 'watch' | 'bufferMin' | 'bufferMax' | 'leaderElectLeaseDuration'>,
): string[] {
  const problems: string[] = [];
  if (o.bufferMin > o.bufferMax) problems.push('--buffer-min: must not be longer than --buffer-max');
  if (o.watch && !isLongEnoughLease(o.leaderElectLeaseDuration)) problems.push(LEASE_TOO_SHORT);
  return problems;
}

/**
 * Validates the flags and reads the secret files they name; throws GeneratorConfigError listing
 * every problem at once.
 */
export function parseGenerateConfig(
  flags: GenerateFlags,
  env: NodeJS.ProcessEnv = process.env,
  readSecret: ReadSecret = readSecretFile,
): GeneratorConfig {
  const parsed = validateOptions(flagsSchema, flags);
  const problems = parsed.ok ? [] : [...parsed.problems];
  // Files are read even when a flag is wrong, so their problems are reported together.
  const credentials = gitCredentials(flags, env, readSecret, problems);
  const token = forgeToken(flags, env, readSecret, problems);
  const files = readCommitFiles(flags, readSecret, problems);
  // The generator's Lease falls back to its write namespace (where its Role lives); the
  // registrar's to `default`.
  const leader = parsed.ok ? leaderSettings(parsed.data, env, parsed.data.k8sWriteNamespace) : undefined;
  // The namespace may come from POD_NAMESPACE, which zod did not see: check the one the Lease uses.
  if (leader && !isDns1123Label(leader.leaseNamespace))
    problems.push(notALeaseNamespace(leader.leaseNamespace));
  if (!parsed.ok || !leader || problems.length > 0) throw new GeneratorConfigError(problems.join('; '));
  const o = parsed.data;
  const pullRequest = pullRequestSettings(o, token);
  return {
    mode: modeOf(o),
    ...targetSettings(o, o.path),
    ...gitSettings(o),
    credentials,
    ...(pullRequest ? { pullRequest } : {}),
    watch: {
      bufferMinMs: o.bufferMin,
      bufferMaxMs: o.bufferMax,
      ...leader,
    },
    logLevel: o.logLevel,
    ...commitSettings(o, files),
  };
}
