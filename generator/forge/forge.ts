/** One interface over GitHub pull requests and GitLab merge requests. */
import { z } from 'zod';

export type ForgeKind = 'github' | 'gitlab';

/** Which forge and project pull requests go to, and what they carry (from the `--pull-request*` flags). */
export interface ForgeConfig {
  kind: ForgeKind;
  apiUrl?: string;
  /** GitHub `owner/repo`, GitLab project path or id. */
  project: string;
  /** Never printed. */
  token: string;
  branch: string;
  labels: string[];
  /** Given once, when the pull request is opened. */
  extras: { reviewers: string[]; assignees: string[]; draft: boolean; autoMerge: boolean };
}

export interface PullRequest {
  /** GitHub number / GitLab iid. */
  id: number;
  url: string;
  /** Without a GitLab `Draft: ` prefix, so it compares with what we would write. */
  title: string;
  body: string;
  labels: string[];
  /** `closed`: closed without merging. */
  state: 'open' | 'closed' | 'merged';
  /** GitHub's GraphQL node id (auto-merge). */
  nodeId?: string;
  /** GitLab: the title carries the draft prefix. */
  draft?: boolean;
}

export interface PullRequestDraft {
  title: string;
  body: string;
  labels: readonly string[];
}

/** What a pull request gets once, when it is opened. */
export interface PullRequestExtras {
  /** GitHub logins / GitLab usernames. */
  reviewers: readonly string[];
  assignees: readonly string[];
  draft: boolean;
  autoMerge: boolean;
}

export interface Forge {
  readonly kind: ForgeKind;
  /** The longest body (description) the forge accepts, in characters. */
  readonly bodyLimit: number;
  /** The open pull request from `head` into `base`, if any. */
  findOpen(head: string, base: string): Promise<PullRequest | undefined>;
  /** The most recent pull request from `head` into `base` that was closed without merging. */
  findLastClosed(head: string, base: string): Promise<PullRequest | undefined>;
  create(
    head: string,
    base: string,
    draft: PullRequestDraft,
    extras: PullRequestExtras,
  ): Promise<PullRequest>;
  /** Updates title and body, adds missing labels and removes `removeLabels`. */
  update(
    pullRequest: PullRequest,
    draft: PullRequestDraft,
    removeLabels: readonly string[],
  ): Promise<PullRequest>;
  /** Bodies of the comments (notes) on the pull request, oldest first. */
  comments(pullRequest: PullRequest): Promise<string[]>;
  comment(pullRequest: PullRequest, body: string): Promise<void>;
  /** Comments, then closes. */
  close(pullRequest: PullRequest, comment: string): Promise<void>;
}

/** A forge call that has not answered by then fails, so a stalled API never blocks a run. */
export const FORGE_TIMEOUT_MS = 30_000;

/** A forge API call failed or answered something unexpected; message has no credentials. */
export class ForgeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForgeError';
  }
}

/** Checks a forge answer against its schema; names the call and the field when it does not fit. */
export function parse<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  const result = schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ForgeError(
      `unexpected answer to ${what}: ${issue.path.join('.') || '(body)'}: ${issue.message}`,
    );
  }
  return result.data;
}

/** The first line of an error message, bounded: SDK errors can carry whole response bodies. */
export function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 300);
}

/** Labels as both forges answer them (names, or objects with a name), flattened to names. */
export const labelsSchema = z
  .array(z.union([z.string(), z.object({ name: z.string().optional() })]))
  .transform((labels) =>
    labels.map((label) => (typeof label === 'string' ? label : (label.name ?? ''))).filter(Boolean),
  )
  .default([]);

/** Comment (note) lists of both forges: only the body is read. */
export const commentListSchema = z.array(z.object({ body: z.string().nullable().optional() }));

/** The most recent of `pulls` (highest number). */
export function newest<T extends { id: number }>(pulls: readonly T[]): T | undefined {
  return [...pulls].sort((a, b) => b.id - a.id)[0];
}
