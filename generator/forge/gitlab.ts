/** GitLab merge requests through @gitbeaker/rest (gitlab.com or self-hosted). */
import { Gitlab } from '@gitbeaker/rest';
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

const mergeRequestSchema = z.object({
  iid: z.number().int(),
  web_url: z.string(),
  title: z.string(),
  description: z.string().nullable().optional(),
  state: z.string(),
  labels: labelsSchema,
});
const mergeRequestListSchema = z.array(mergeRequestSchema);

export interface GitLabForgeOptions {
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
    const data = await this.call('list merge requests', () =>
      this.api.MergeRequests.all({
        projectId: this.options.project,
        state: 'opened',
        sourceBranch: head,
        targetBranch: base,
        maxPages: 1,
        perPage: 100,
      }),
    );
    const list = parse(mergeRequestListSchema, data, 'list merge requests');
    const first = list.sort((a, b) => a.iid - b.iid)[0];
    return first ? toPullRequest(first) : undefined;
  }

  async create(head: string, base: string, draft: PullRequestDraft): Promise<PullRequest> {
    const data = await this.call('create merge request', () =>
      this.api.MergeRequests.create(this.options.project, head, base, draft.title, {
        description: draft.body,
        ...(draft.labels.length > 0 ? { labels: draft.labels.join(',') } : {}),
      }),
    );
    return toPullRequest(parse(mergeRequestSchema, data, 'create merge request'));
  }

  async update(pullRequest: PullRequest, draft: PullRequestDraft): Promise<PullRequest> {
    const missing = draft.labels.filter((label) => !pullRequest.labels.includes(label));
    const data = await this.call('update merge request', () =>
      this.api.MergeRequests.edit(this.options.project, pullRequest.id, {
        title: draft.title,
        description: draft.body,
        ...(missing.length > 0 ? { addLabels: missing.join(',') } : {}),
      }),
    );
    return toPullRequest(parse(mergeRequestSchema, data, 'update merge request'));
  }

  async close(pullRequest: PullRequest, comment: string): Promise<void> {
    await this.call('comment on merge request', () =>
      this.api.MergeRequestNotes.create(this.options.project, pullRequest.id, comment),
    );
    await this.call('close merge request', () =>
      this.api.MergeRequests.edit(this.options.project, pullRequest.id, { stateEvent: 'close' }),
    );
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
  return {
    id: mergeRequest.iid,
    url: mergeRequest.web_url,
    title: mergeRequest.title,
    body: mergeRequest.description ?? '',
    labels: mergeRequest.labels,
  };
}
