/**
 * A repository the generator syncs into, in one of two shapes (see location.ts): a remote's
 * private copy (bare: objects and refs only), reset to the remote branch head by every fetch and
 * pushed to without force; or a local work tree, committed to in place and moved along. Opening
 * takes the work directory's lock; trees, blobs and commits are the object store's.
 */
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { credentialRedactor } from './credentials';
import type { RepoLocation } from './location';
import { GitObjectStore } from './object-store';
import { GitCommandError, GitProcess, type GitProcessOptions } from './process';
import { isMovedRefRejection, PushRejectedError } from './push-retry';
import { lockWorkdir } from './workdir-lock';

interface RepoOptions extends GitProcessOptions {
  /** `--repo`: URL or local path. */
  repo: string;
  /** `--workdir`: where a remote is checked out (default: under the OS temp directory). */
  workdir?: string;
  /** Sign commits (`git commit -S`, with git's own signing configuration); implied by `signingKey`. */
  sign?: boolean;
}

export class GitRepository extends GitObjectStore {
  private constructor(
    readonly dir: string,
    readonly location: RepoLocation,
    private readonly options: RepoOptions,
  ) {
    const url = location.kind === 'remote' ? location.url : undefined;
    super(
      new GitProcess(dir, options, credentialRedactor(options.credentials, url)),
      options.identity,
      Boolean(options.sign || options.signingKey),
    );
  }

  get isRemote(): boolean {
    return this.location.kind === 'remote';
  }

  /**
   * Opens (and, unless `create` is false, creates) the repository: a remote gets its work
   * directory initialised with `origin`; a missing local path becomes a new repository on `branch`.
   * Returns undefined when the local repository does not exist and `create` is false.
   */
  static async open(
    location: RepoLocation,
    branch: string,
    options: RepoOptions,
    create = true,
  ): Promise<GitRepository | undefined> {
    const dir = location.kind === 'remote' ? location.workdir : location.dir;
    const fresh = !existsSync(path.join(dir, '.git')) && !existsSync(path.join(dir, 'HEAD'));
    if (fresh && location.kind === 'local' && !create) return undefined;
    await mkdir(dir, { recursive: true });
    if (location.kind === 'remote') lockWorkdir(dir, '--workdir');
    const repository = new GitRepository(dir, location, options);
    // A remote's copy has no work tree: runs read and write objects and refs only.
    if (fresh)
      await repository.process.run([
        'init',
        '-q',
        ...(location.kind === 'remote' ? ['--bare'] : []),
        '-b',
        branch,
      ]);
    if (location.kind === 'local') {
      const gitDir = path.join(dir, '.git');
      lockWorkdir((await stat(gitDir)).isDirectory() ? gitDir : dir, '--repo');
    }
    if (location.kind === 'remote') {
      const remotes = await repository.process.run(['remote']);
      const verb = remotes.split('\n').includes('origin') ? 'set-url' : 'add';
      await repository.process.run(['remote', verb, 'origin', location.url]);
    }
    return repository;
  }

  /** Fetches every branch of `origin` (pruning deleted ones). */
  async fetch(): Promise<void> {
    await this.process.run([
      'fetch',
      '-q',
      '--prune',
      '--no-tags',
      'origin',
      '+refs/heads/*:refs/remotes/origin/*',
    ]);
  }

  /**
   * Commits on `head` that `base` lacks whose author or committer is not the generator's
   * identity (its e-mail, compared without case): someone else's work on a branch we own.
   */
  async commitsNotOurs(head: string, base: string | undefined): Promise<string[]> {
    const output = await this.process.run([
      'log',
      '--format=%H %ae %ce',
      head,
      ...(base !== undefined ? ['--not', base] : []),
      '--',
    ]);
    const ours = this.options.identity.email.toLowerCase();
    return output
      .split('\n')
      .map((line) => line.trim().split(' '))
      .filter(
        ([sha, author, committer]) =>
          sha && (author?.toLowerCase() !== ours || committer?.toLowerCase() !== ours),
      )
      .map(([sha]) => sha!);
  }

  /** Remote repositories: fetches, returns the remote branch head (undefined: no branch yet). */
  async fetchBase(branch: string): Promise<string | undefined> {
    await this.fetch();
    return this.resolve(`refs/remotes/origin/${branch}`);
  }

  /**
   * Local work trees: restores the managed path to HEAD (staged and untracked leftovers of a
   * run that died half-way are dropped; nothing outside the path is touched).
   * Returns HEAD (undefined: no commit yet).
   */
  async restoreManagedPath(branch: string, managedPath: string): Promise<string | undefined> {
    const head = await this.resolve('HEAD');
    const current = (
      await this.process.run(['symbolic-ref', '-q', '--short', 'HEAD']).catch(() => '')
    ).trim();
    if (current !== '' && current !== branch) {
      throw new GitCommandError(
        `--branch ${branch}: the local repository ${this.dir} has ${current} checked out`,
      );
    }
    if (head !== undefined) {
      await this.process.run(['reset', '-q', '--', managedPath]);
      const tracked = await this.process.run(['ls-tree', '-r', '--name-only', 'HEAD', '--', managedPath]);
      if (tracked.trim() !== '') await this.process.run(['checkout', '-q', 'HEAD', '--', managedPath]);
    } else {
      await this.process.run(['rm', '-r', '-q', '--cached', '--ignore-unmatch', '--', managedPath]);
    }
    await this.process.run(['clean', '-q', '-ffdx', '--', managedPath]);
    return head;
  }

  /**
   * Local work trees: moves the checked-out branch from `head` to `commit` and brings index and
   * files along (`git read-tree -m -u`: only paths that differ between the two commits, i.e. the
   * managed path, are touched; other staged or unstaged work is kept).
   */
  async advanceWorkTree(branch: string, head: string | undefined, commit: string): Promise<void> {
    await this.process.run(
      head ? ['read-tree', '-m', '-u', head, commit] : ['read-tree', '-m', '-u', commit],
    );
    await this.process.run([
      'update-ref',
      '-m',
      'consul-k8s-gitops: sync',
      `refs/heads/${branch}`,
      commit,
      head ?? '',
    ]);
  }

  /**
   * Force-pushes `commit` to a branch the generator owns (never the target), with a lease: only if
   * the branch is still at `expected`, or, when `expected` is undefined, only if it does not exist.
   */
  async pushOwnBranch(commit: string, branch: string, expected: string | undefined): Promise<void> {
    const lease = `--force-with-lease=refs/heads/${branch}:${expected ?? ''}`;
    await this.push(['--porcelain', lease, 'origin', `${commit}:refs/heads/${branch}`], branch);
  }

  async deleteRemoteBranch(branch: string): Promise<void> {
    await this.process.run(['push', '-q', 'origin', '--delete', `refs/heads/${branch}`]);
  }

  /**
   * Pushes `commit` to `branch` without force; a moved ref becomes PushRejectedError. Returns
   * whether the branch moved (false: it already was at `commit`, pushed by a twin run).
   */
  async pushCommit(commit: string, branch: string): Promise<boolean> {
    const output = await this.push(['--porcelain', 'origin', `${commit}:refs/heads/${branch}`], branch);
    // Porcelain flag "=": the remote ref already pointed there.
    return !output.split('\n').some((line) => line.startsWith('=\t'));
  }

  /** Is `ancestor` reachable from `descendant`? */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const base = (await this.process.run(['merge-base', ancestor, descendant]).catch(() => '')).trim();
    return base === ancestor;
  }

  /** `git push`; a moved remote ref becomes PushRejectedError, any other failure GitCommandError. */
  private async push(args: string[], branch: string): Promise<string> {
    try {
      return await this.process.raw(['push', ...args]);
    } catch (err) {
      const message = (err as Error).message;
      if (isMovedRefRejection(message)) throw new PushRejectedError(branch);
      throw new GitCommandError(this.process.scrub(`git push failed: ${message}`));
    }
  }
}
