/**
 * The pull-request flags of `generate` (`--pull-request github|gitlab` and the forge's project,
 * token, branch, labels, reviewers, assignees): their zod fields, the rules between them (each
 * forge's label limit, the branch other than --branch), and the ForgeConfig they become. The
 * token file is read apart from the checks (config-secrets.ts).
 */
import { z } from 'zod';
import { BRANCH } from './config-git';
import { nonEmpty, type ReadSecret, secretFromFlag } from './config-secrets';
import type { ForgeConfig, ForgeKind } from './forge/forge';
import { GITHUB_LABEL_LIMIT, GITLAB_LABEL_LIMIT } from './forge/limits';

const DEFAULT_PR_BRANCH_PREFIX = 'consul-k8s-gitops/';

/** GitHub logins and GitLab usernames (GitHub team reviewers `org/team` are not supported). */
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export const pullRequestFlags = {
  pullRequest: z.enum(['github', 'gitlab']).optional(),
  forgeApiUrl: z.string().optional(),
  forgeProject: z.string().optional(),
  forgeTokenFile: z.string().optional(),
  pullRequestBranch: z.string().optional(),
  pullRequestLabel: z.array(z.string()).default([]),
  pullRequestReviewer: z.array(z.string()).default([]),
  pullRequestAssignee: z.array(z.string()).default([]),
  pullRequestDraft: z.boolean().optional(),
  pullRequestAutoMerge: z.boolean().optional(),
};

type PullRequestOptions = z.infer<z.ZodObject<typeof pullRequestFlags>> & {
  repo?: string | undefined;
  branch: string;
  /** The normalised --path. */
  path: string;
};

/** `owner/repo` (GitHub) or `group/sub/project` (GitLab) from an HTTPS or SSH remote URL. */
export function projectFromUrl(url: string): string | undefined {
  const match = /^(?:[a-z][a-z0-9+.-]*:\/\/[^/]+\/|[^/\s:]+@[^/\s:]+:)(.+?)(?:\.git)?\/?$/i.exec(url.trim());
  return match?.[1];
}

const project = (o: PullRequestOptions): string | undefined => o.forgeProject ?? projectFromUrl(o.repo ?? '');

const branch = (o: PullRequestOptions): string =>
  o.pullRequestBranch ?? `${DEFAULT_PR_BRANCH_PREFIX}${o.branch}/${o.path || 'root'}`;

/** Label rules of each forge (GitHub: at most 50 characters; GitLab: 255). Commas already split the flag. */
function labelProblem(kind: ForgeKind, label: string): string | undefined {
  const limit = kind === 'github' ? GITHUB_LABEL_LIMIT : GITLAB_LABEL_LIMIT;
  const shown = `"${label.slice(0, 64)}${label.length > 64 ? '...' : ''}"`;
  if ([...label].length > limit)
    return `--pull-request-label: ${shown} is longer than ${limit} characters (the ${kind === 'github' ? 'GitHub' : 'GitLab'} limit)`;
  return undefined;
}

/** Rules between the pull-request flags (none without --pull-request). */
export function pullRequestProblems(o: PullRequestOptions): string[] {
  if (o.pullRequest === undefined) return [];
  const problems: string[] = [];
  if (project(o) === undefined)
    problems.push(
      '--forge-project: required when it cannot be read from --repo (owner/repo or group/project)',
    );
  const prBranch = branch(o);
  if (!BRANCH.test(prBranch) || prBranch === o.branch)
    problems.push(`--pull-request-branch: "${prBranch}" must be a valid branch name other than --branch`);
  for (const label of o.pullRequestLabel) {
    const problem = labelProblem(o.pullRequest, label);
    if (problem !== undefined) problems.push(problem);
  }
  for (const [flag, names] of [
    ['--pull-request-reviewer', o.pullRequestReviewer],
    ['--pull-request-assignee', o.pullRequestAssignee],
  ] as const)
    for (const name of names)
      if (!USERNAME.test(name))
        problems.push(`${flag}: "${name.slice(0, 64)}" is not a user name (letters, digits, . _ -)`);
  return problems;
}

/**
 * The forge token: --forge-token-file, else GITHUB_TOKEN / GITLAB_TOKEN (reads the file). A
 * pull request without one is a problem.
 */
export function forgeToken(
  flags: { pullRequest?: string | undefined; forgeTokenFile?: string | undefined },
  env: NodeJS.ProcessEnv,
  readSecret: ReadSecret,
  problems: string[],
): string | undefined {
  if (flags.pullRequest === undefined) return undefined;
  const variable = flags.pullRequest === 'github' ? 'GITHUB_TOKEN' : 'GITLAB_TOKEN';
  const token =
    secretFromFlag('--forge-token-file', flags.forgeTokenFile, readSecret, problems) ??
    nonEmpty(env[variable]);
  if (token === undefined)
    problems.push(`--pull-request ${flags.pullRequest}: needs a token (${variable} or --forge-token-file)`);
  return token;
}

export function pullRequestSettings(
  o: PullRequestOptions,
  token: string | undefined,
): ForgeConfig | undefined {
  if (o.pullRequest === undefined) return undefined;
  return {
    kind: o.pullRequest,
    project: project(o) ?? '',
    token: token ?? '',
    branch: branch(o),
    labels: o.pullRequestLabel,
    extras: {
      reviewers: o.pullRequestReviewer,
      assignees: o.pullRequestAssignee,
      draft: Boolean(o.pullRequestDraft),
      autoMerge: Boolean(o.pullRequestAutoMerge),
    },
    ...(o.forgeApiUrl ? { apiUrl: o.forgeApiUrl.replace(/\/+$/, '') } : {}),
  };
}
