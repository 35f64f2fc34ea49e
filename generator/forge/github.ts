/** GitHub pull requests through @octokit/rest (any API base URL: github.com or Enterprise). */
import { Octokit } from '@octokit/rest';
import { z } from 'zod';
import {
  FORGE_TIMEOUT_MS,
  ForgeError,
  firstLine,
  labelsSchema,
  parse,
  type Forge,
  type PullRequest,
  type PullRequestDraft,
} from './forge';

const pullSchema = z.object({
  number: z.number().int(),
  html_url: z.string(),
  title: z.string(),
  body: z.string().nullable().optional(),
  state: z.string(),
  labels: labelsSchema,
});
const pullListSchema = z.array(pullSchema);

type Pull = z.infer<typeof pullSchema>;

export interface GitHubForgeOptions {
  /** `owner/repo`. */
  project: string;
  token: string;
  /** Default https://api.github.com. */
  apiUrl?: string;
  /** Deadline of each API call (default FORGE_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Where octokit's own warnings go (never the console). */
  log?: {
    debug(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  };
}

export class GitHubForge implements Forge {
  readonly kind = 'github' as const;
  private readonly octokit: Octokit;
  private readonly owner: string;
  private readonly repo: string;

  constructor(options: GitHubForgeOptions) {
    const [owner, repo, ...rest] = options.project.split('/');
    if (!owner || !repo || rest.length > 0) {
      throw new ForgeError(`--forge-project: "${options.project}" is not owner/repo`);
    }
    this.owner = owner;
    this.repo = repo;
    const quiet = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const timeoutMs = options.timeoutMs ?? FORGE_TIMEOUT_MS;
    this.octokit = new Octokit({
      auth: options.token,
      baseUrl: options.apiUrl ?? 'https://api.github.com',
      userAgent: 'consul-k8s-gitops',
      log: options.log ?? quiet,
      // No retry plugin is loaded, so a call is made once; each request gets a deadline.
      request: {
        fetch: (url: string | URL, init: RequestInit = {}) =>
          fetch(url, {
            ...init,
            signal: init.signal
              ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)])
              : AbortSignal.timeout(timeoutMs),
          }),
      },
    });
  }

  async findOpen(head: string, base: string): Promise<PullRequest | undefined> {
    const response = await this.call('list pull requests', () =>
      this.octokit.rest.pulls.list({
        owner: this.owner,
        repo: this.repo,
        state: 'open',
        head: `${this.owner}:${head}`,
        base,
        per_page: 100,
      }),
    );
    const pulls = parse(pullListSchema, response.data, 'list pull requests');
    const pull = pulls.sort((a, b) => a.number - b.number)[0];
    return pull ? toPullRequest(pull) : undefined;
  }

  async create(head: string, base: string, draft: PullRequestDraft): Promise<PullRequest> {
    const response = await this.call('create pull request', () =>
      this.octokit.rest.pulls.create({
        owner: this.owner,
        repo: this.repo,
        head,
        base,
        title: draft.title,
        body: draft.body,
      }),
    );
    const created = toPullRequest(parse(pullSchema, response.data, 'create pull request'));
    return this.addLabels(created, draft.labels);
  }

  async update(pullRequest: PullRequest, draft: PullRequestDraft): Promise<PullRequest> {
    const response = await this.call('update pull request', () =>
      this.octokit.rest.pulls.update({
        owner: this.owner,
        repo: this.repo,
        pull_number: pullRequest.id,
        title: draft.title,
        body: draft.body,
      }),
    );
    const updated = toPullRequest(parse(pullSchema, response.data, 'update pull request'));
    return this.addLabels(updated, draft.labels);
  }

  async close(pullRequest: PullRequest, comment: string): Promise<void> {
    await this.call('comment on pull request', () =>
      this.octokit.rest.issues.createComment({
        owner: this.owner,
        repo: this.repo,
        issue_number: pullRequest.id,
        body: comment,
      }),
    );
    await this.call('close pull request', () =>
      this.octokit.rest.pulls.update({
        owner: this.owner,
        repo: this.repo,
        pull_number: pullRequest.id,
        state: 'closed',
      }),
    );
  }

  private async addLabels(pullRequest: PullRequest, labels: readonly string[]): Promise<PullRequest> {
    const missing = labels.filter((label) => !pullRequest.labels.includes(label));
    if (missing.length === 0) return pullRequest;
    await this.call('label pull request', () =>
      this.octokit.rest.issues.addLabels({
        owner: this.owner,
        repo: this.repo,
        issue_number: pullRequest.id,
        labels: missing,
      }),
    );
    return { ...pullRequest, labels: [...pullRequest.labels, ...missing] };
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      const status = (err as { status?: number }).status;
      throw new ForgeError(
        `GitHub ${what} failed${status ? ` (HTTP ${status})` : ''}: ${firstLine((err as Error).message)}`,
      );
    }
  }
}

function toPullRequest(pull: Pull): PullRequest {
  return {
    id: pull.number,
    url: pull.html_url,
    title: pull.title,
    body: pull.body ?? '',
    labels: pull.labels,
  };
}
