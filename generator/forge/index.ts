/** Builds the forge named by `--pull-request`. */
import type { Forge, ForgeConfig } from './forge';
import { GitHubForge, type GitHubForgeOptions } from './github';
import { GitLabForge } from './gitlab';

export type { Forge, PullRequest, PullRequestDraft } from './forge';
export { ForgeError } from './forge';

export function createForge(config: ForgeConfig, log?: GitHubForgeOptions['log']): Forge {
  const common = {
    project: config.project,
    token: config.token,
    ...(config.apiUrl ? { apiUrl: config.apiUrl } : {}),
  };
  return config.kind === 'github'
    ? new GitHubForge({ ...common, ...(log ? { log } : {}) })
    : new GitLabForge(common);
}
