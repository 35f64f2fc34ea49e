/** GitHub pull requests through @octokit/rest (any API base URL: github.com or Enterprise). */
import { Octokit } from '@octokit/rest';
import { z } from 'zod';
import {
  FORGE_TIMEOUT_MS,
  ForgeError,
  commentListSchema,
  firstLine,
  labelsSchema,
  newest,
  parse,
  type Forge,
  type PullRequest,
  type PullRequestDraft,
  type PullRequestExtras,
} from './forge';
import { GITHUB_BODY_LIMIT } from './limits';

const pullSchema = z.object({
  number: z.number().int(),
  node_id: z.string().optional(),
  html_url: z.string(),
  title: z.string(),
  body: z.string().nullable().optional(),
  state: z.enum(['open', 'closed']),
  merged_at: z.string().nullable().optional(),
  labels: labelsSchema,
});
const pullListSchema = z.array(pullSchema);
const autoMergeSchema = z.object({
  enablePullRequestAutoMerge: z.object({ pullRequest: z.object({ number: z.number().int() }) }),
});

/** Auto-merge has no REST endpoint; GraphQL's mutation takes the node id. */
const ENABLE_AUTO_MERGE = `mutation($id: ID!) {
  enablePullRequestAutoMerge(input: { pullRequestId: $id }) { pullRequest { number } }
}`;

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
  readonly bodyLimit = GITHUB_BODY_LIMIT;
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
    const pulls = await this.list('open', head, base);
    return pulls.sort((a, b) => a.id - b.id)[0];
  }

  async findLastClosed(head: string, base: string): Promise<PullRequest | undefined> {
    return newest((await this.list('closed', head, base)).filter((pull) => pull.state === 'closed'));
  }

  private async list(state: 'open' | 'closed', head: string, base: string): Promise<PullRequest[]> {
    const response = await this.call('list pull requests', () =>
      this.octokit.rest.pulls.list({
        owner: this.owner,
        repo: this.repo,
        state,
        head: `${this.owner}:${head}`,
        base,
        sort: 'created',
        direction: 'desc',
        per_page: 100,
      }),
    );
    return parse(pullListSchema, response.data, 'list pull requests').map(toPullRequest);
  }

  async create(
    head: string,
    base: string,
    draft: PullRequestDraft,
    extras: PullRequestExtras,
  ): Promise<PullRequest> {
    const response = await this.call('create pull request', () =>
      this.octokit.rest.pulls.create({
        owner: this.owner,
        repo: this.repo,
        head,
        base,
        title: draft.title,
        body: draft.body,
        ...(extras.draft ? { draft: true } : {}),
      }),
    );
    const created = toPullRequest(parse(pullSchema, response.data, 'create pull request'));
    if (extras.reviewers.length > 0) {
      await this.call('request reviewers', () =>
        this.octokit.rest.pulls.requestReviewers({
          owner: this.owner,
          repo: this.repo,
          pull_number: created.id,
          reviewers: [...extras.reviewers],
        }),
      );
    }
    if (extras.assignees.length > 0) {
      await this.call('add assignees', () =>
        this.octokit.rest.issues.addAssignees({
          owner: this.owner,
          repo: this.repo,
          issue_number: created.id,
          assignees: [...extras.assignees],
        }),
      );
    }
    if (extras.autoMerge) {
      const id = created.nodeId;
      if (id === undefined)
        throw new ForgeError('unexpected answer to create pull request: node_id: missing');
      const data = await this.call('enable auto-merge', () =>
        this.octokit.graphql(ENABLE_AUTO_MERGE, { id }),
      );
      parse(autoMergeSchema, data, 'enable auto-merge');
    }
    return this.addLabels(created, draft.labels);
  }

  async update(
    pullRequest: PullRequest,
    draft: PullRequestDraft,
    removeLabels: readonly string[],
  ): Promise<PullRequest> {
    const response = await this.call('update pull request', () =>
      this.octokit.rest.pulls.update({
        owner: this.owner,
        repo: this.repo,
        pull_number: pullRequest.id,
        title: draft.title,
        body: draft.body,
      }),
    );
    let updated = toPullRequest(parse(pullSchema, response.data, 'update pull request'));
    for (const name of removeLabels.filter((label) => updated.labels.includes(label))) {
      await this.call('remove label', () =>
        this.octokit.rest.issues.removeLabel({
          owner: this.owner,
          repo: this.repo,
          issue_number: pullRequest.id,
          name,
        }),
      );
      updated = { ...updated, labels: updated.labels.filter((label) => label !== name) };
    }
    return this.addLabels(updated, draft.labels);
  }

  async comments(pullRequest: PullRequest): Promise<string[]> {
    const data = await this.call('list comments', () =>
      this.octokit.paginate(this.octokit.rest.issues.listComments, {
        owner: this.owner,
        repo: this.repo,
        issue_number: pullRequest.id,
        per_page: 100,
      }),
    );
    return parse(commentListSchema, data, 'list comments').map((comment) => comment.body ?? '');
  }

  async comment(pullRequest: PullRequest, body: string): Promise<void> {
    await this.call('comment on pull request', () =>
      this.octokit.rest.issues.createComment({
        owner: this.owner,
        repo: this.repo,
        issue_number: pullRequest.id,
        body,
      }),
    );
  }

  async close(pullRequest: PullRequest, comment: string): Promise<void> {
    await this.comment(pullRequest, comment);
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
    state: pull.merged_at ? 'merged' : pull.state,
    ...(pull.node_id !== undefined ? { nodeId: pull.node_id } : {}),
  };
}
