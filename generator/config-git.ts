/**
 * The Git flags of `generate` (repository, branch, managed path, identity, credentials, push
 * retries, the mass-deletion guard): their zod fields, the rules between them, and the settings
 * they become. The token file is read apart from the checks (config-secrets.ts).
 */
import { z } from 'zod';
import { parsedBy } from '../core/runtime/zod-flags';
import type { GitCredentials, GitIdentity } from './git/credentials';
import type { GuardOptions } from './guard';
import { type ReadSecret, nonEmpty, secretFromFlag } from './config-secrets';
import { normaliseManagedPath } from './managed-dir';

export const DEFAULT_AUTHOR_NAME = 'consul-k8s-gitops';
export const DEFAULT_AUTHOR_EMAIL = 'consul-k8s-gitops@users.noreply.localhost';

/** A Git branch name as `git check-ref-format --branch` accepts it (the common subset). */
export const BRANCH = /^(?!\/|.*\/\/|.*\.\.|.*@\{|.*\.lock$|.*\/$|-)[A-Za-z0-9._/-]+$/;

/** A password in the URL would end up in git's argv (visible in `ps`) and in the mirror's config. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i;

export const gitFlags = {
  repo: z
    .string()
    .refine((repo) => !URL_WITH_PASSWORD.test(repo), {
      message:
        '--repo: the URL contains a password; give the token with --git-token-file or GIT_TOKEN instead',
    })
    .optional(),
  branch: z.string().refine((branch) => BRANCH.test(branch), {
    error: (issue) => `--branch: "${String(issue.input)}" is not a valid branch name`,
  }),
  path: z.string().default('').pipe(parsedBy(normaliseManagedPath)),
  workdir: z.string().optional(),
  authorName: z.string(),
  authorEmail: z.string(),
  signCommits: z.boolean().optional(),
  gitTokenFile: z.string().optional(),
  gitUsername: z.string().optional(),
  gitSshKeyFile: z.string().optional(),
  gitKnownHostsFile: z.string().optional(),
  pushRetries: z
    .number()
    .int('--push-retries: expected an integer from 0 to 100')
    .min(0, '--push-retries: expected an integer from 0 to 100')
    .max(100, '--push-retries: expected an integer from 0 to 100'),
  maxDeletePercent: z
    .number()
    .min(0, '--max-delete-percent: expected a number from 0 to 100')
    .max(100, '--max-delete-percent: expected a number from 0 to 100'),
  allowMassDelete: z.boolean().optional(),
};

type GitOptions = z.infer<z.ZodObject<typeof gitFlags>>;

/** Rules between the Git flags. */
export function gitProblems(o: GitOptions): string[] {
  return o.repo?.trim() ? [] : ['--repo: required (a Git URL or a local path)'];
}

export interface GitSettings {
  repo: string;
  branch: string;
  managedPath: string;
  workdir?: string;
  identity: GitIdentity;
  signCommits: boolean;
  maxPushAttempts: number;
  guard: GuardOptions;
}

export function gitSettings(o: GitOptions): GitSettings {
  return {
    repo: o.repo!,
    branch: o.branch,
    managedPath: o.path,
    ...(o.workdir ? { workdir: o.workdir } : {}),
    identity: { name: o.authorName, email: o.authorEmail },
    signCommits: Boolean(o.signCommits),
    maxPushAttempts: o.pushRetries + 1,
    guard: { maxDeletePercent: o.maxDeletePercent, allowMassDelete: Boolean(o.allowMassDelete) },
  };
}

type CredentialFlags = Partial<
  Pick<GitOptions, 'gitTokenFile' | 'gitUsername' | 'gitSshKeyFile' | 'gitKnownHostsFile'>
>;

/** The Git credentials: the token from --git-token-file, else GIT_TOKEN (reads the file). */
export function gitCredentials(
  flags: CredentialFlags,
  env: NodeJS.ProcessEnv,
  readSecret: ReadSecret,
  problems: string[],
): GitCredentials {
  const credentials: GitCredentials = {};
  const token =
    secretFromFlag('--git-token-file', flags.gitTokenFile, readSecret, problems) ?? nonEmpty(env.GIT_TOKEN);
  if (token) credentials.token = token;
  if (flags.gitUsername) credentials.username = flags.gitUsername;
  if (flags.gitSshKeyFile) credentials.sshKeyFile = flags.gitSshKeyFile;
  if (flags.gitKnownHostsFile) credentials.knownHostsFile = flags.gitKnownHostsFile;
  return credentials;
}
