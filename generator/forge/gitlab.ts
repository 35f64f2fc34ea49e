/** GitLab merge requests through @gitbeaker/rest (gitlab.com or self-hosted). */
import { Gitlab } from '@gitbeaker/rest';
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
import { GITLAB_BODY_LIMIT } from './limits';

/** A merge request whose title starts with this is a draft. */
const DRAFT_PREFIX = 'Draft: ';

const mergeRequestSchema = z.object({
  iid: z.number().int(),
  web_url: z.string(),
  title: z.string(),
  description: z.string().nullable().optional(),
  state: z.enum(['opened', 'closed', 'merged', 'locked']),
  labels: labelsSchema,
});
const mergeRequestListSchema = z.array(mergeRequestSchema);
const userListSchema = z.array(z.object({ id: z.number().int(), username: z.string() }));

interface GitLabForgeOptions {
  /** Project path (`group/project`) or numeric id. */
  project: string;
  token: string;
  /** Default https://gitlab.com. */
  apiUrl?: string;
  /** Deadline of each API call (default FORGE_TIMEOUT_MS). */
  timeoutMs?: number;
}

export class GitLabForge implements Forge {
  readonly kind = 'gitlab' as const;
  readonly bodyLimit = GITLAB_BODY_LIMIT;
  private readonly api: InstanceType<typeof Gitlab>;

  constructor(private readonly options: GitLabForgeOptions) {
    if (options.project.trim() === '') throw new ForgeError('--forge-project: empty GitLab project');
    this.api = new Gitlab({
      host: options.apiUrl ?? 'https://gitlab.com',
      token: options.token,
      queryTimeout: options.timeoutMs ?? FORGE_TIMEOUT_MS,
    });
  }

  async findOpen(head: string, base: string): Promise<PullRequest | undefined> {
    return (await this.list('opened', head, base)).sort((a, b) => a.id - b.id)[0];
  }

  async findLastClosed(head: string, base: string): Promise<PullRequest | undefined> {
    return newest(await this.list('closed', head, base));
  }

  private async list(state: 'opened' | 'closed', head: string, base: string): Promise<PullRequest[]> {
    const data = await this.call('list merge requests', () =>
      this.api.MergeRequests.all({
        projectId: this.options.project,
        state,
        sourceBranch: head,
        targetBranch: base,
        orderBy: 'created_at',
        sort: 'desc',
        maxPages: 1,
        perPage: 100,
      }),
    );
    return parse(mergeRequestListSchema, data, 'list merge requests').map(toPullRequest);
  }

  async create(
    head: string,
    base: string,
    draft: PullRequestDraft,
    extras: PullRequestExtras,
  ): Promise<PullRequest> {
    const reviewerIds = await this.userIds(extras.reviewers, '--pull-request-reviewer');
    const assigneeIds = await this.userIds(extras.assignees, '--pull-request-assignee');
    const title = extras.draft ? `${DRAFT_PREFIX}${draft.title}` : draft.title;
    const data = await this.call('create merge request', () =>
      this.api.MergeRequests.create(this.options.project, head, base, title, {
        description: draft.body,
        ...(draft.labels.length > 0 ? { labels: draft.labels.join(',') } : {}),
        ...(reviewerIds.length > 0 ? { reviewerIds } : {}),
        ...(assigneeIds.length > 0 ? { assigneeIds } : {}),
      }),
    );
    const created = toPullRequest(parse(mergeRequestSchema, data, 'create merge request'));
    if (extras.autoMerge) {
      // `auto_merge` since GitLab 17.11; older servers only know `merge_when_pipeline_succeeds`.
      const merged = await this.call('set auto-merge', () =>
        this.api.MergeRequests.merge(this.options.project, created.id, {
          autoMerge: true,
          mergeWhenPipelineSucceeds: true,
        }),
      );
      parse(mergeRequestSchema, merged, 'set auto-merge');
    }
    return created;
  }

  async update(
    pullRequest: PullRequest,
    draft: PullRequestDraft,
    removeLabels: readonly string[],
  ): Promise<PullRequest> {
    const missing = draft.labels.filter((label) => !pullRequest.labels.includes(label));
    const remove = removeLabels.filter((label) => pullRequest.labels.includes(label));
    const data = await this.call('update merge request', () =>
      this.api.MergeRequests.edit(this.options.project, pullRequest.id, {
        // A draft stays a draft until a person marks it ready.
        title: pullRequest.draft ? `${DRAFT_PREFIX}${draft.title}` : draft.title,
        description: draft.body,
        ...(missing.length > 0 ? { addLabels: missing.join(',') } : {}),
        ...(remove.length > 0 ? { removeLabels: remove.join(',') } : {}),
      }),
    );
    return toPullRequest(parse(mergeRequestSchema, data, 'update merge request'));
  }

  async comments(pullRequest: PullRequest): Promise<string[]> {
    const data = await this.call('list notes', () =>
      this.api.MergeRequestNotes.all(this.options.project, pullRequest.id, {
        sort: 'asc',
        orderBy: 'created_at',
        perPage: 100,
      }),
    );
    return parse(commentListSchema, data, 'list notes').map((note) => note.body ?? '');
  }

  async comment(pullRequest: PullRequest, body: string): Promise<void> {
    await this.call('comment on merge request', () =>
      this.api.MergeRequestNotes.create(this.options.project, pullRequest.id, body),
    );
  }

  async close(pullRequest: PullRequest, comment: string): Promise<void> {
    await this.comment(pullRequest, comment);
    await this.call('close merge request', () =>
      this.api.MergeRequests.edit(this.options.project, pullRequest.id, { stateEvent: 'close' }),
    );
  }

  /** GitLab takes user ids: each username is looked up; an unknown one fails naming the flag. */
  private async userIds(usernames: readonly string[], flag: string): Promise<number[]> {
    const ids: number[] = [];
    for (const username of usernames) {
      const data = await this.call('look up user', () => this.api.Users.all({ username }));
      const user = parse(userListSchema, data, 'look up user').find(
        (candidate) => candidate.username.toLowerCase() === username.toLowerCase(),
      );
      if (!user) throw new ForgeError(`${flag}: GitLab has no user "${username}"`);
      ids.push(user.id);
    }
    return ids;
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      const status = (err as { cause?: { response?: { status?: number } } }).cause?.response?.status;
      throw new ForgeError(
        `GitLab ${what} failed${status ? ` (HTTP ${status})` : ''}: ${firstLine((err as Error).message)}`,
      );
    }
  }
}

function toPullRequest(mergeRequest: z.infer<typeof mergeRequestSchema>): PullRequest {
  const draft = mergeRequest.title.startsWith(DRAFT_PREFIX);
  return {
    id: mergeRequest.iid,
    url: mergeRequest.web_url,
    title: draft ? mergeRequest.title.slice(DRAFT_PREFIX.length) : mergeRequest.title,
    body: mergeRequest.description ?? '',
    labels: mergeRequest.labels,
    state: mergeRequest.state === 'merged' ? 'merged' : mergeRequest.state === 'closed' ? 'closed' : 'open',
    ...(draft ? { draft } : {}),
  };
}
