/**
 * The pull-request steps of a run: publish the commit through one pull request, retire it when
 * the target already matches, note a guard refusal on it. Nothing is remembered locally: the
 * forge (open and closed pull requests, their hidden markers, the comments) and the remote
 * branch are the state.
 * - A branch carrying commits not made by the generator's identity is never rewritten.
 * - A pull request closed without merging is not proposed again for the same managed tree.
 * - Only labels the generator set (listed in its body marker) are ever removed.
 */
import type { Logger } from 'pino';
import type { DesiredState } from './desired';
import type { Forge, PullRequest, PullRequestDraft, PullRequestExtras } from './forge/forge';
import { bodyMarker, commentMarker, readBodyMarker } from './forge/marker';
import type { Plan } from './plan';
import type { GitRepository } from './git/repository';
import { pullRequestBody, pullRequestTitle } from './report';

export interface PullRequestSettings {
  forge: Forge;
  /** The branch the pull request is made from (ours alone). */
  branch: string;
  labels: readonly string[];
  extras: PullRequestExtras;
}

/** Where a run is: the target branch and its head, the managed path. */
interface PullRequestTarget {
  branch: string;
  /** Head of the target branch the run built on (undefined: none yet). */
  base: string | undefined;
  managedPath: string;
}

/**
 * `held`: the branch carries commits not made by us, so it was left alone; `declined`: the same
 * content was proposed before and closed without merging.
 */
type PullRequestAction = 'opened' | 'updated' | 'unchanged' | 'closed' | 'none' | 'held' | 'declined';

export interface PullRequestResult {
  action: PullRequestAction;
  url?: string;
  id?: number;
  /** `held`: the commits not made by us. */
  notOurs?: string[];
}

export async function publishPullRequest(
  repository: GitRepository,
  settings: PullRequestSettings,
  target: PullRequestTarget,
  change: { plan: Plan; desired: DesiredState; commit: string },
  logger: Logger,
): Promise<PullRequestResult> {
  const { forge, branch, labels } = settings;
  const remoteRef = `refs/remotes/origin/${branch}`;
  const remoteHead = await repository.resolve(remoteRef);
  const existing = await forge.findOpen(branch, target.branch);
  const held = await holdIfNotOurs(repository, settings, target, existing, remoteHead, logger);
  if (held) return held;

  const tree = await repository.treeAt(change.commit, target.managedPath);
  if (tree === undefined) throw new Error(`internal: no tree for ${target.managedPath} in the commit`);
  if (!existing) {
    const closed = await forge.findLastClosed(branch, target.branch);
    if (closed && readBodyMarker(closed.body)?.tree === tree) {
      logger.info(
        { pullRequest: closed.url },
        'this change was proposed before and closed without merging: not proposing it again until the catalog changes',
      );
      return { action: 'declined', url: closed.url, id: closed.id };
    }
  }

  const upToDate =
    remoteHead !== undefined &&
    (await repository.treeOf(remoteRef)) === (await repository.treeOf(change.commit)) &&
    (target.base === undefined || (await repository.isAncestor(target.base, remoteHead)));
  if (!upToDate) await repository.pushOwnBranch(change.commit, branch, remoteHead);
  const draft: PullRequestDraft = {
    title: pullRequestTitle(change.plan, target.managedPath),
    body: pullRequestBody(change.plan, change.desired.skipped, {
      limit: forge.bodyLimit,
      fullList: `the commit message of ${change.commit.slice(0, 12)}`,
      marker: bodyMarker({ tree, labels: [...labels] }),
    }),
    labels,
  };
  if (!existing) {
    const created = await forge.create(branch, target.branch, draft, settings.extras);
    return { action: 'opened', url: created.url, id: created.id };
  }
  // Labels we set earlier (our marker says which) that are no longer configured; never a person's.
  const ours = readBodyMarker(existing.body)?.labels ?? [];
  const removeLabels = ours.filter((label) => !labels.includes(label) && existing.labels.includes(label));
  if (needsUpdate(existing, draft) || removeLabels.length > 0) {
    const updated = await forge.update(existing, draft, removeLabels);
    return { action: 'updated', url: updated.url, id: updated.id };
  }
  return { action: upToDate ? 'unchanged' : 'updated', url: existing.url, id: existing.id };
}

/** The target branch already has what we would propose: close the pull request, delete its branch. */
export async function retirePullRequest(
  repository: GitRepository,
  settings: PullRequestSettings,
  target: PullRequestTarget,
  logger: Logger,
): Promise<PullRequestResult> {
  const { forge, branch } = settings;
  const remoteHead = await repository.resolve(`refs/remotes/origin/${branch}`);
  const existing = await forge.findOpen(branch, target.branch);
  const held = await holdIfNotOurs(repository, settings, target, existing, remoteHead, logger);
  if (held) return held;
  if (existing) {
    await forge.close(
      existing,
      `Closing: ${target.branch} already matches the Consul catalog, so this change is no longer needed. (consul-k8s-gitops)`,
    );
  }
  if (remoteHead !== undefined) {
    await repository.deleteRemoteBranch(branch);
    logger.info({ branch }, 'deleted the pull-request branch: no longer needed');
  }
  return existing ? { action: 'closed', url: existing.url, id: existing.id } : { action: 'none' };
}

/** The mass-deletion guard refused the run: say so on the open pull request, once per reason. */
export async function noteRefusal(
  settings: PullRequestSettings,
  target: PullRequestTarget,
  reason: string,
): Promise<void> {
  const existing = await settings.forge.findOpen(settings.branch, target.branch);
  if (!existing) return;
  await commentOnce(
    settings.forge,
    existing,
    commentMarker('refused', reason),
    `consul-k8s-gitops did not update this pull request: the mass-deletion guard refused the run (${reason}). ` +
      'Check the Consul catalog and the token, or rerun with `--allow-mass-delete` if the removal is intended.',
  );
}

/**
 * Someone else committed on our branch: leave it (and its pull request) as it is, say so once
 * on the pull request and in the log.
 */
async function holdIfNotOurs(
  repository: GitRepository,
  settings: PullRequestSettings,
  target: PullRequestTarget,
  existing: PullRequest | undefined,
  remoteHead: string | undefined,
  logger: Logger,
): Promise<PullRequestResult | undefined> {
  if (remoteHead === undefined) return undefined;
  const notOurs = await repository.commitsNotOurs(remoteHead, target.base);
  if (notOurs.length === 0) return undefined;
  logger.warn(
    {
      branch: settings.branch,
      commits: commitList(notOurs),
      ...(existing ? { pullRequest: existing.url } : {}),
    },
    'the pull-request branch carries commits not made by consul-k8s-gitops: it is no longer updated',
  );
  if (existing) {
    await commentOnce(
      settings.forge,
      existing,
      commentMarker('held', settings.branch),
      `consul-k8s-gitops stopped updating this pull request: \`${settings.branch}\` has ${notOurs.length} commit(s) ` +
        `it did not make (${commitList(notOurs)}), and it never rewrites them. ` +
        'Merge or close this pull request and delete the branch to let it propose changes again.',
    );
  }
  return {
    action: 'held',
    notOurs,
    ...(existing ? { url: existing.url, id: existing.id } : {}),
  };
}

/** Short ids of commits for messages, at most 20 (a comment must stay within the forge's limit). */
export function commitList(shas: readonly string[]): string {
  const shown = shas.slice(0, 20).map((sha) => sha.slice(0, 12));
  return shas.length > 20 ? `${shown.join(', ')} and ${shas.length - 20} more` : shown.join(', ');
}

/** Comments unless a comment with `marker` is already there. */
async function commentOnce(
  forge: Forge,
  pullRequest: PullRequest,
  marker: string,
  text: string,
): Promise<void> {
  const comments = await forge.comments(pullRequest);
  if (comments.some((comment) => comment.includes(marker))) return;
  await forge.comment(pullRequest, `${text}\n\n${marker}`);
}

function needsUpdate(existing: PullRequest, draft: PullRequestDraft): boolean {
  return (
    existing.title !== draft.title ||
    existing.body.trim() !== draft.body.trim() ||
    draft.labels.some((label) => !existing.labels.includes(label))
  );
}
