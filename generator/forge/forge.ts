/** One interface over GitHub pull requests and GitLab merge requests. */
import { z } from 'zod';

export interface PullRequest {
  /** GitHub number / GitLab iid. */
  id: number;
  url: string;
  title: string;
  body: string;
  labels: string[];
}

export interface PullRequestDraft {
  title: string;
  body: string;
  labels: readonly string[];
}

export interface Forge {
  readonly kind: 'github' | 'gitlab';
  /** The open pull request from `head` into `base`, if any. */
  findOpen(head: string, base: string): Promise<PullRequest | undefined>;
  create(head: string, base: string, draft: PullRequestDraft): Promise<PullRequest>;
  /** Updates title, body and adds missing labels. */
  update(pullRequest: PullRequest, draft: PullRequestDraft): Promise<PullRequest>;
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
