/**
 * A local fake forge for tests: the GitHub REST and GitLab REST endpoints the generator's
 * pull-request mode uses, with in-memory pull/merge requests, token checks and a request log.
 * Test infrastructure only; never imported by product code.
 *
 * GitHub (docs.github.com/rest/pulls, /rest/issues), under `/github` (octokit `baseUrl`):
 *   GET    /repos/{owner}/{repo}/pulls?state&head=owner:branch&base
 *   POST   /repos/{owner}/{repo}/pulls                  {head, base, title, body, draft?}
 *   PATCH  /repos/{owner}/{repo}/pulls/{number}         {title?, body?, state?}
 *   POST   /repos/{owner}/{repo}/pulls/{number}/requested_reviewers {reviewers}
 *   POST   /repos/{owner}/{repo}/issues/{number}/labels  {labels}
 *   DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}
 *   POST   /repos/{owner}/{repo}/issues/{number}/assignees {assignees}
 *   GET    /repos/{owner}/{repo}/issues/{number}/comments
 *   POST   /repos/{owner}/{repo}/issues/{number}/comments {body}
 *   POST   /graphql                                     enablePullRequestAutoMerge(input: {pullRequestId})
 * GitLab (docs.gitlab.com/api/merge_requests, /api/notes, /api/users), under `/api/v4` (gitbeaker `host`):
 *   GET    /projects/{id}/merge_requests?state=opened|closed|merged&source_branch&target_branch
 *   POST   /projects/{id}/merge_requests                {source_branch, target_branch, title, description?, labels?, reviewer_ids?, assignee_ids?}
 *   PUT    /projects/{id}/merge_requests/{iid}          {title?, description?, labels?, add_labels?, remove_labels?, state_event?}
 *   PUT    /projects/{id}/merge_requests/{iid}/merge    {auto_merge?, merge_when_pipeline_succeeds?}
 *   GET    /projects/{id}/merge_requests/{iid}/notes
 *   POST   /projects/{id}/merge_requests/{iid}/notes    {body}
 *   GET    /users?username
 * The real limits are enforced with each forge's error shape: GitHub bodies over 65,536
 * characters and label names over 50 (422 Validation Failed); GitLab descriptions over
 * 1,048,576 characters, titles over 255 and label titles over 255 (400 with field messages).
 * State transitions follow the forges: a merged pull request cannot be closed or reopened
 * (GitHub 422; GitLab leaves its state), auto-merge only on an open one, reviewers and
 * assignees only among the forge's users.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GITHUB_BODY_LIMIT,
  GITHUB_LABEL_LIMIT,
  GITLAB_BODY_LIMIT,
  GITLAB_LABEL_LIMIT,
} from '../../../generator/forge/limits';

export interface FakePullRequest {
  number: number;
  project: string;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed' | 'merged';
  labels: string[];
  comments: string[];
  reviewers: string[];
  assignees: string[];
  draft: boolean;
  autoMerge: boolean;
}

interface ForgeRequest {
  method: string;
  path: string;
  status: number;
}

export interface FakeForge {
  readonly url: string;
  /** octokit `baseUrl`. */
  readonly githubApiUrl: string;
  /** gitbeaker `host`. */
  readonly gitlabUrl: string;
  readonly github: FakePullRequest[];
  readonly gitlab: FakePullRequest[];
  readonly requests: ForgeRequest[];
  /** While stalled, requests are read but never answered (a hung API); `stop()` cuts them. */
  stall(stalled: boolean): void;
  stop(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The answer's body when it is not `{message}`. */
    readonly payload?: unknown,
  ) {
    super(message);
  }
}

/** GitHub's 422 shape (e.g. "body is too long (maximum is 65536 characters)"). */
function githubValidation(resource: string, field: string, message: string, code = 'custom'): HttpError {
  return new HttpError(422, 'Validation Failed', {
    message: 'Validation Failed',
    errors: [{ resource, code, field, message }],
    documentation_url: 'https://docs.github.com/rest',
  });
}

/** GitLab's 400 shape for a failed model validation: `{message: {field: [text]}}`. */
function gitlabValidation(field: string, message: string): HttpError {
  return new HttpError(400, message, { message: { [field]: [message] } });
}

function characters(text: string): number {
  return [...text].length;
}

/** Users both forges know (reviewers, assignees); anyone else is refused. */
const DEFAULT_USERS = ['alice', 'bob'];

export async function startFakeForge(options: { token: string; users?: string[] }): Promise<FakeForge> {
  const users = options.users ?? DEFAULT_USERS;
  const github: FakePullRequest[] = [];
  const gitlab: FakePullRequest[] = [];
  const requests: ForgeRequest[] = [];

  const githubView = (pr: FakePullRequest, base: string) => ({
    number: pr.number,
    node_id: `PR_${pr.number}`,
    html_url: `${base}/${pr.project}/pull/${pr.number}`,
    state: pr.state === 'open' ? 'open' : 'closed',
    merged_at: pr.state === 'merged' ? '2026-01-01T00:00:00Z' : null,
    draft: pr.draft,
    requested_reviewers: pr.reviewers.map((login) => ({ login })),
    assignees: pr.assignees.map((login) => ({ login })),
    title: pr.title,
    body: pr.body,
    head: { ref: pr.head },
    base: { ref: pr.base },
    labels: pr.labels.map((name) => ({ name })),
  });
  const gitlabView = (pr: FakePullRequest, base: string) => ({
    id: 1000 + pr.number,
    iid: pr.number,
    project_id: 1,
    web_url: `${base}/${pr.project}/-/merge_requests/${pr.number}`,
    state: pr.state === 'open' ? 'opened' : pr.state,
    title: pr.title,
    description: pr.body,
    draft: pr.title.startsWith('Draft: '),
    source_branch: pr.head,
    target_branch: pr.base,
    labels: pr.labels,
    reviewers: pr.reviewers.map((username) => ({ id: users.indexOf(username) + 1, username })),
    assignees: pr.assignees.map((username) => ({ id: users.indexOf(username) + 1, username })),
    merge_when_pipeline_succeeds: pr.autoMerge,
  });

  function findPull(list: FakePullRequest[], project: string, number: number): FakePullRequest {
    const pr = list.find((item) => item.project === project && item.number === number);
    if (!pr) throw new HttpError(404, 'Not Found');
    return pr;
  }

  function requireString(body: Record<string, unknown>, field: string): string {
    const value = body[field];
    if (typeof value !== 'string' || value === '') throw new HttpError(422, `${field} is required`);
    return value;
  }

  function labelList(value: unknown): string[] {
    if (Array.isArray(value)) return value.map(String);
    if (typeof value === 'string')
      return value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    return [];
  }

  function githubBody(value: unknown): string {
    const body = typeof value === 'string' ? value : '';
    if (characters(body) > GITHUB_BODY_LIMIT)
      throw githubValidation(
        'Issue',
        'body',
        `body is too long (maximum is ${GITHUB_BODY_LIMIT} characters)`,
      );
    return body;
  }

  function githubUsers(value: unknown, field: string): string[] {
    const names = labelList(value);
    const unknown = names.find((name) => !users.includes(name));
    if (unknown !== undefined)
      throw githubValidation('PullRequest', field, `${unknown} is not a collaborator`, 'invalid');
    return names;
  }

  function handleGitHubGraphql(body: Record<string, unknown>): [number, unknown] {
    const query = typeof body.query === 'string' ? body.query : '';
    const variables = (body.variables ?? {}) as Record<string, unknown>;
    if (!query.includes('enablePullRequestAutoMerge'))
      return [200, { errors: [{ message: 'unsupported query' }] }];
    const pr = github.find((item) => `PR_${item.number}` === variables.id);
    if (!pr)
      return [200, { data: null, errors: [{ type: 'NOT_FOUND', message: 'Could not resolve to a node' }] }];
    if (pr.state !== 'open')
      return [200, { data: null, errors: [{ type: 'UNPROCESSABLE', message: 'Pull request is not open' }] }];
    pr.autoMerge = true;
    return [200, { data: { enablePullRequestAutoMerge: { pullRequest: { number: pr.number } } } }];
  }

  function handleGitHub(
    method: string,
    url: URL,
    body: Record<string, unknown>,
    base: string,
  ): [number, unknown] {
    if (url.pathname === '/github/graphql' && method === 'POST') return handleGitHubGraphql(body);
    const match =
      /^\/github\/repos\/([^/]+)\/([^/]+)\/(pulls|issues)(?:\/(\d+))?(?:\/(labels|comments|assignees|requested_reviewers))?(?:\/([^/]+))?$/.exec(
        url.pathname,
      );
    if (!match) throw new HttpError(404, 'Not Found');
    const project = `${match[1]}/${match[2]}`;
    const number = match[4] ? Number(match[4]) : undefined;
    const sub = match[5];
    const route = `${method} ${match[3]}${number === undefined ? '' : '/n'}${sub ? `/${sub}` : ''}${match[6] ? '/x' : ''}`;
    if (route === 'GET pulls') {
      const state = url.searchParams.get('state') ?? 'open';
      const head = url.searchParams.get('head');
      const baseBranch = url.searchParams.get('base');
      const list = github.filter(
        (pr) =>
          pr.project === project &&
          (state === 'all' || (state === 'open' ? pr.state === 'open' : pr.state !== 'open')) &&
          (!head || `${match[1]}:${pr.head}` === head) &&
          (!baseBranch || pr.base === baseBranch),
      );
      return [200, list.map((pr) => githubView(pr, base)).reverse()];
    }
    if (route === 'POST pulls') {
      const head = requireString(body, 'head');
      const baseBranch = requireString(body, 'base');
      if (
        github.some(
          (pr) => pr.project === project && pr.head === head && pr.base === baseBranch && pr.state === 'open',
        )
      ) {
        throw githubValidation(
          'PullRequest',
          'head',
          `A pull request already exists for ${match[1]}:${head}.`,
        );
      }
      const pr: FakePullRequest = {
        number: github.length + 1,
        project,
        head,
        base: baseBranch,
        title: requireString(body, 'title'),
        body: githubBody(body.body),
        state: 'open',
        labels: [],
        comments: [],
        reviewers: [],
        assignees: [],
        draft: body.draft === true,
        autoMerge: false,
      };
      github.push(pr);
      return [201, githubView(pr, base)];
    }
    if (number === undefined) throw new HttpError(404, 'Not Found');
    const pr = findPull(github, project, number);
    switch (route) {
      case 'PATCH pulls/n': {
        const text = body.body === undefined ? pr.body : githubBody(body.body);
        if ((body.state === 'closed' || body.state === 'open') && pr.state === 'merged')
          throw githubValidation(
            'PullRequest',
            'state',
            'state cannot be changed. The pull request has been merged.',
          );
        if (typeof body.title === 'string') pr.title = body.title;
        pr.body = text;
        if (body.state === 'closed' || body.state === 'open') pr.state = body.state;
        return [200, githubView(pr, base)];
      }
      case 'POST pulls/n/requested_reviewers':
        for (const name of githubUsers(body.reviewers, 'reviewers'))
          if (!pr.reviewers.includes(name)) pr.reviewers.push(name);
        return [201, githubView(pr, base)];
      case 'POST issues/n/assignees':
        // GitHub silently drops assignees without access; the double refuses them, to be seen.
        for (const name of githubUsers(body.assignees, 'assignees'))
          if (!pr.assignees.includes(name)) pr.assignees.push(name);
        return [201, githubView(pr, base)];
      case 'POST issues/n/labels': {
        const labels = labelList(body.labels);
        const invalid = labels.find((label) => characters(label) > GITHUB_LABEL_LIMIT);
        if (invalid !== undefined) {
          throw new HttpError(422, 'Validation Failed', {
            message: 'Validation Failed',
            errors: [{ value: invalid, resource: 'Label', field: 'name', code: 'invalid' }],
            documentation_url: 'https://docs.github.com/rest/issues/labels#add-labels-to-an-issue',
          });
        }
        for (const label of labels) if (!pr.labels.includes(label)) pr.labels.push(label);
        return [200, pr.labels.map((name) => ({ name }))];
      }
      case 'DELETE issues/n/labels/x': {
        const name = decodeURIComponent(match[6]!);
        if (!pr.labels.includes(name)) throw new HttpError(404, 'Label does not exist');
        pr.labels = pr.labels.filter((label) => label !== name);
        return [200, pr.labels.map((label) => ({ name: label }))];
      }
      case 'GET issues/n/comments':
        return [200, pr.comments.map((text, index) => ({ id: index + 1, body: text }))];
      case 'POST issues/n/comments':
        pr.comments.push(githubBody(requireString(body, 'body')));
        return [201, { id: pr.comments.length, body: body.body }];
    }
    throw new HttpError(404, 'Not Found');
  }

  function gitlabDescription(value: unknown): string {
    const text = typeof value === 'string' ? value : '';
    if (characters(text) > GITLAB_BODY_LIMIT)
      throw gitlabValidation('description', `is too long (maximum is ${GITLAB_BODY_LIMIT} characters)`);
    return text;
  }

  function gitlabTitle(value: unknown): string {
    const title = requireString({ title: value }, 'title');
    if (characters(title) > 255) throw gitlabValidation('title', 'is too long (maximum is 255 characters)');
    return title;
  }

  function gitlabLabels(value: unknown): string[] {
    const labels = labelList(value);
    if (labels.some((label) => characters(label) > GITLAB_LABEL_LIMIT))
      throw gitlabValidation('labels', `is too long (maximum is ${GITLAB_LABEL_LIMIT} characters)`);
    return labels;
  }

  function gitlabUsers(value: unknown): string[] {
    const ids = Array.isArray(value) ? value.map(Number) : labelList(value).map(Number);
    return ids.map((id) => {
      const name = users[id - 1];
      if (name === undefined) throw new HttpError(404, '404 User Not Found');
      return name;
    });
  }

  function handleGitLab(
    method: string,
    url: URL,
    body: Record<string, unknown>,
    base: string,
  ): [number, unknown] {
    if (url.pathname === '/api/v4/users' && method === 'GET') {
      const username = url.searchParams.get('username');
      return [
        200,
        users
          .map((name, index) => ({ id: index + 1, username: name, state: 'active' }))
          .filter((user) => !username || user.username.toLowerCase() === username.toLowerCase()),
      ];
    }
    const match = /^\/api\/v4\/projects\/([^/]+)\/merge_requests(?:\/(\d+))?(?:\/(notes|merge))?$/.exec(
      url.pathname,
    );
    if (!match) throw new HttpError(404, '404 Not Found');
    const project = decodeURIComponent(match[1]!);
    const iid = match[2] ? Number(match[2]) : undefined;
    if (iid === undefined && method === 'GET') {
      const state = url.searchParams.get('state');
      const source = url.searchParams.get('source_branch');
      const target = url.searchParams.get('target_branch');
      const list = gitlab.filter(
        (pr) =>
          pr.project === project &&
          (!state || state === 'all' || (state === 'opened' ? pr.state === 'open' : pr.state === state)) &&
          (!source || pr.head === source) &&
          (!target || pr.base === target),
      );
      return [200, list.map((pr) => gitlabView(pr, base)).reverse()];
    }
    if (iid === undefined && method === 'POST') {
      const head = requireString(body, 'source_branch');
      const target = requireString(body, 'target_branch');
      if (
        gitlab.some(
          (pr) => pr.project === project && pr.head === head && pr.base === target && pr.state === 'open',
        )
      ) {
        throw new HttpError(409, 'Another open merge request already exists for this source branch');
      }
      const pr: FakePullRequest = {
        number: gitlab.length + 1,
        project,
        head,
        base: target,
        title: gitlabTitle(body.title),
        body: gitlabDescription(body.description),
        state: 'open',
        labels: gitlabLabels(body.labels),
        comments: [],
        reviewers: gitlabUsers(body.reviewer_ids),
        assignees: gitlabUsers(body.assignee_ids),
        draft: false,
        autoMerge: false,
      };
      pr.draft = pr.title.startsWith('Draft: ');
      gitlab.push(pr);
      return [201, gitlabView(pr, base)];
    }
    if (iid === undefined) throw new HttpError(404, '404 Not Found');
    const pr = findPull(gitlab, project, iid);
    if (!match[3] && method === 'PUT') {
      const title = body.title === undefined ? pr.title : gitlabTitle(body.title);
      const description = body.description === undefined ? pr.body : gitlabDescription(body.description);
      const labels = body.labels === undefined ? pr.labels : gitlabLabels(body.labels);
      const added = gitlabLabels(body.add_labels);
      const removed = labelList(body.remove_labels);
      pr.title = title;
      pr.draft = title.startsWith('Draft: ');
      pr.body = description;
      pr.labels = [...labels, ...added.filter((label) => !labels.includes(label))].filter(
        (label) => !removed.includes(label),
      );
      // A merged merge request keeps its state (GitLab's state machine has no way out of merged).
      if (body.state_event === 'close' && pr.state === 'open') pr.state = 'closed';
      if (body.state_event === 'reopen' && pr.state === 'closed') pr.state = 'open';
      return [200, gitlabView(pr, base)];
    }
    if (match[3] === 'merge' && method === 'PUT') {
      if (pr.state !== 'open') throw new HttpError(405, '405 Method Not Allowed');
      const auto = [body.auto_merge, body.merge_when_pipeline_succeeds].some(
        (flag) => flag === true || flag === 'true',
      );
      if (auto) pr.autoMerge = true;
      else pr.state = 'merged';
      return [200, gitlabView(pr, base)];
    }
    if (match[3] === 'notes' && method === 'GET') {
      return [200, pr.comments.map((text, index) => ({ id: index + 1, body: text, system: false }))];
    }
    if (match[3] === 'notes' && method === 'POST') {
      pr.comments.push(requireString(body, 'body'));
      return [201, { id: pr.comments.length, body: body.body }];
    }
    throw new HttpError(404, '404 Not Found');
  }

  let stalled = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (stalled) return;
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      const base = `http://${req.headers.host ?? 'localhost'}`;
      const entry: ForgeRequest = { method, path: url.pathname, status: 0 };
      requests.push(entry);
      const send = (status: number, payload: unknown): void => {
        entry.status = status;
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(payload));
      };
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown> = {};
        if (text) {
          const type = req.headers['content-type'] ?? '';
          body = type.includes('application/x-www-form-urlencoded')
            ? Object.fromEntries(new URLSearchParams(text))
            : (JSON.parse(text) as Record<string, unknown>);
        }
        if (url.pathname.startsWith('/github/')) {
          const auth = req.headers.authorization ?? '';
          if (auth !== `token ${options.token}` && auth !== `Bearer ${options.token}`)
            throw new HttpError(401, 'Bad credentials');
          const [status, payload] = handleGitHub(method, url, body, base);
          return send(status, payload);
        }
        if (url.pathname.startsWith('/api/v4/')) {
          if (
            req.headers['private-token'] !== options.token &&
            req.headers.authorization !== `Bearer ${options.token}`
          ) {
            throw new HttpError(401, '401 Unauthorized');
          }
          const [status, payload] = handleGitLab(method, url, body, base);
          return send(status, payload);
        }
        throw new HttpError(404, 'Not Found');
      } catch (err) {
        const status = err instanceof HttpError ? err.status : 400;
        send(
          status,
          err instanceof HttpError && err.payload !== undefined
            ? err.payload
            : { message: (err as Error).message },
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    githubApiUrl: `${url}/github`,
    gitlabUrl: url,
    github,
    gitlab,
    requests,
    stall: (value) => {
      stalled = value;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
