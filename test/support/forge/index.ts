/**
 * A local fake forge for tests: the GitHub REST and GitLab REST endpoints the generator's
 * pull-request mode uses, with in-memory pull/merge requests, token checks and a request log.
 * Test infrastructure only; never imported by product code.
 *
 * GitHub (docs.github.com/rest/pulls, /rest/issues), under `/github` (octokit `baseUrl`):
 *   GET    /repos/{owner}/{repo}/pulls?state&head=owner:branch&base
 *   POST   /repos/{owner}/{repo}/pulls                  {head, base, title, body}
 *   PATCH  /repos/{owner}/{repo}/pulls/{number}         {title?, body?, state?}
 *   POST   /repos/{owner}/{repo}/issues/{number}/labels  {labels}
 *   POST   /repos/{owner}/{repo}/issues/{number}/comments {body}
 * GitLab (docs.gitlab.com/api/merge_requests, /api/notes), under `/api/v4` (gitbeaker `host`):
 *   GET    /projects/{id}/merge_requests?state=opened&source_branch&target_branch
 *   POST   /projects/{id}/merge_requests                {source_branch, target_branch, title, description?, labels?}
 *   PUT    /projects/{id}/merge_requests/{iid}          {title?, description?, labels?, add_labels?, state_event?}
 *   POST   /projects/{id}/merge_requests/{iid}/notes    {body}
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePullRequest {
  number: number;
  project: string;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  comments: string[];
}

export interface ForgeRequest {
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
  ) {
    super(message);
  }
}

export async function startFakeForge(options: { token: string }): Promise<FakeForge> {
  const github: FakePullRequest[] = [];
  const gitlab: FakePullRequest[] = [];
  const requests: ForgeRequest[] = [];

  const githubView = (pr: FakePullRequest, base: string) => ({
    number: pr.number,
    html_url: `${base}/${pr.project}/pull/${pr.number}`,
    state: pr.state,
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
    state: pr.state === 'open' ? 'opened' : 'closed',
    title: pr.title,
    description: pr.body,
    source_branch: pr.head,
    target_branch: pr.base,
    labels: pr.labels,
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

  function handleGitHub(
    method: string,
    url: URL,
    body: Record<string, unknown>,
    base: string,
  ): [number, unknown] {
    const match =
      /^\/github\/repos\/([^/]+)\/([^/]+)\/(pulls|issues)(?:\/(\d+))?(?:\/(labels|comments))?$/.exec(
        url.pathname,
      );
    if (!match) throw new HttpError(404, 'Not Found');
    const project = `${match[1]}/${match[2]}`;
    const number = match[4] ? Number(match[4]) : undefined;
    if (match[3] === 'pulls' && number === undefined && method === 'GET') {
      const state = url.searchParams.get('state') ?? 'open';
      const head = url.searchParams.get('head');
      const baseBranch = url.searchParams.get('base');
      const list = github.filter(
        (pr) =>
          pr.project === project &&
          (state === 'all' || pr.state === state) &&
          (!head || `${match[1]}:${pr.head}` === head) &&
          (!baseBranch || pr.base === baseBranch),
      );
      return [200, list.map((pr) => githubView(pr, base))];
    }
    if (match[3] === 'pulls' && number === undefined && method === 'POST') {
      const head = requireString(body, 'head');
      const baseBranch = requireString(body, 'base');
      if (
        github.some(
          (pr) => pr.project === project && pr.head === head && pr.base === baseBranch && pr.state === 'open',
        )
      ) {
        throw new HttpError(422, `A pull request already exists for ${match[1]}:${head}.`);
      }
      const pr: FakePullRequest = {
        number: github.length + 1,
        project,
        head,
        base: baseBranch,
        title: requireString(body, 'title'),
        body: typeof body.body === 'string' ? body.body : '',
        state: 'open',
        labels: [],
        comments: [],
      };
      github.push(pr);
      return [201, githubView(pr, base)];
    }
    if (match[3] === 'pulls' && number !== undefined && method === 'PATCH') {
      const pr = findPull(github, project, number);
      if (typeof body.title === 'string') pr.title = body.title;
      if (typeof body.body === 'string') pr.body = body.body;
      if (body.state === 'closed' || body.state === 'open') pr.state = body.state;
      return [200, githubView(pr, base)];
    }
    if (match[3] === 'issues' && number !== undefined && match[5] === 'labels' && method === 'POST') {
      const pr = findPull(github, project, number);
      for (const label of labelList(body.labels)) if (!pr.labels.includes(label)) pr.labels.push(label);
      return [200, pr.labels.map((name) => ({ name }))];
    }
    if (match[3] === 'issues' && number !== undefined && match[5] === 'comments' && method === 'POST') {
      const pr = findPull(github, project, number);
      pr.comments.push(requireString(body, 'body'));
      return [201, { id: pr.comments.length, body: body.body }];
    }
    throw new HttpError(404, 'Not Found');
  }

  function handleGitLab(
    method: string,
    url: URL,
    body: Record<string, unknown>,
    base: string,
  ): [number, unknown] {
    const match = /^\/api\/v4\/projects\/([^/]+)\/merge_requests(?:\/(\d+))?(?:\/(notes))?$/.exec(
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
          (!state || state === 'all' || (state === 'opened' ? pr.state === 'open' : pr.state === 'closed')) &&
          (!source || pr.head === source) &&
          (!target || pr.base === target),
      );
      return [200, list.map((pr) => gitlabView(pr, base))];
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
        title: requireString(body, 'title'),
        body: typeof body.description === 'string' ? body.description : '',
        state: 'open',
        labels: labelList(body.labels),
        comments: [],
      };
      gitlab.push(pr);
      return [201, gitlabView(pr, base)];
    }
    if (iid !== undefined && !match[3] && method === 'PUT') {
      const pr = findPull(gitlab, project, iid);
      if (typeof body.title === 'string') pr.title = body.title;
      if (typeof body.description === 'string') pr.body = body.description;
      if (body.labels !== undefined) pr.labels = labelList(body.labels);
      for (const label of labelList(body.add_labels)) if (!pr.labels.includes(label)) pr.labels.push(label);
      if (body.state_event === 'close') pr.state = 'closed';
      if (body.state_event === 'reopen') pr.state = 'open';
      return [200, gitlabView(pr, base)];
    }
    if (iid !== undefined && match[3] === 'notes' && method === 'POST') {
      const pr = findPull(gitlab, project, iid);
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
        send(status, { message: (err as Error).message });
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
