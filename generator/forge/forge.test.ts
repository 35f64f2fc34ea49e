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
