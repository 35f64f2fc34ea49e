/** Both forges against the local fake forge: a hung API fails the call in time, naming it, never the token. */
import { startFakeForge, type FakeForge } from '../../test/support/forge';
import { ForgeError } from './forge';
import { GitHubForge } from './github';
import { GitLabForge } from './gitlab';

const TOKEN = 'forge-secret-token';
let forge: FakeForge;

beforeAll(async () => {
  forge = await startFakeForge({ token: TOKEN });
});
afterAll(() => forge.stop());
afterEach(() => forge.stall(false));

test.each([
  [
    'GitHub',
    () => new GitHubForge({ project: 'org/repo', token: TOKEN, apiUrl: forge.githubApiUrl, timeoutMs: 300 }),
  ],
  [
    'GitLab',
    () => new GitLabForge({ project: 'org/repo', token: TOKEN, apiUrl: forge.gitlabUrl, timeoutMs: 300 }),
  ],
])('%s: a call the API never answers fails after its deadline', async (name, make) => {
  const client = make();
  await expect(client.findOpen('consul-k8s-gitops/main', 'main')).resolves.toBeUndefined();
  forge.stall(true);
  const started = Date.now();
  const error = await client.findOpen('consul-k8s-gitops/main', 'main').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ForgeError);
  expect((error as Error).message).toMatch(new RegExp(`^${name} list (pull|merge) requests failed`));
  expect((error as Error).message).not.toContain(TOKEN);
  expect(Date.now() - started).toBeLessThan(10_000); // the deadline, not a hang until jest's timeout
});

const github = () =>
  new GitHubForge({ project: 'org/limits', token: TOKEN, apiUrl: forge.githubApiUrl, timeoutMs: 5000 });
const gitlab = () =>
  new GitLabForge({ project: 'org/limits', token: TOKEN, apiUrl: forge.gitlabUrl, timeoutMs: 5000 });
const NONE = { reviewers: [], assignees: [], draft: false, autoMerge: false };

test("GitHub: the double refuses a body over 65,536 characters with 422 and GitHub's message", async () => {
  const client = github();
  expect(client.bodyLimit).toBe(65_536);
  const ok = await client.create('h1', 'main', { title: 't', body: 'x'.repeat(65_536), labels: [] }, NONE);
  expect(ok.body).toHaveLength(65_536);
  const error = await client
    .create('h2', 'main', { title: 't', body: 'x'.repeat(65_537), labels: [] }, NONE)
    .catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/^GitHub create pull request failed \(HTTP 422\)/);
  expect((error as Error).message).toContain('body is too long (maximum is 65536 characters)');
  const label = await client
    .update(ok, { title: 't', body: '', labels: ['l'.repeat(51)] }, [])
    .catch((e: unknown) => e);
  expect((label as Error).message).toMatch(/^GitHub label pull request failed \(HTTP 422\)/);
});

test('GitLab: the double refuses a description over 1,048,576 characters with 400', async () => {
  const client = gitlab();
  expect(client.bodyLimit).toBe(1_048_576);
  const error = await client
    .create('h3', 'main', { title: 't', body: 'x'.repeat(1_048_577), labels: [] }, NONE)
    .catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/^GitLab create merge request failed \(HTTP 400\)/);
  expect(forge.gitlab.filter((pr) => pr.head === 'h3')).toHaveLength(0);
});

test.each([
  ['GitHub', github],
  ['GitLab', gitlab],
])(
  '%s: the last closed pull request is one closed without merging; merged ones are not',
  async (name, make) => {
    const client = make();
    const head = `closed-${name}`;
    const first = await client.create(head, 'main', { title: 'a', body: 'first', labels: [] }, NONE);
    const list = name === 'GitHub' ? forge.github : forge.gitlab;
    list.find((pr) => pr.head === head && pr.number === first.id)!.state = 'closed';
    const second = await client.create(head, 'main', { title: 'b', body: 'second', labels: [] }, NONE);
    list.find((pr) => pr.head === head && pr.number === second.id)!.state = 'merged';
    const last = await client.findLastClosed(head, 'main');
    expect(last).toMatchObject({ id: first.id, state: 'closed', body: 'first' });
    // A merged pull request cannot be closed again.
    const merged = { ...second, state: 'merged' as const };
    if (name === 'GitHub') await expect(client.close(merged, 'bye')).rejects.toThrow(/HTTP 422/);
    else {
      await client.close(merged, 'bye');
      expect(list.find((pr) => pr.head === head && pr.number === second.id)!.state).toBe('merged');
    }
  },
);
