/**
 * Git I/O for the generator (simple-git over the `git` binary). Two shapes of repository:
 * - remote (a URL, or a local bare repository): a private work directory that is reset to the
 *   remote branch head on every run; commits are pushed, never force-pushed to the target branch;
 * - local (a non-bare directory, created when missing): commits are made in place, no push.
 * Credentials come from files/env and reach git through its environment only (never the URL or
 * argv); every error message is scrubbed of them.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { redactText } from '../core/runtime/logger';
import { baseName, directoryOf, shardIndexOf } from './layout';
import { gitBlobId, type CurrentEntry } from './plan';
import { lockWorkdir } from './workdir-lock';

export interface GitIdentity {
  name: string;
  email: string;
}

export interface GitCredentials {
  /** HTTPS token (sent as HTTP Basic auth through `http.extraHeader`). */
  token?: string;
  /** Username paired with the token; default `x-access-token` (GitHub), any works for GitLab. */
  username?: string;
  /** SSH private key file. */
  sshKeyFile?: string;
  /** known_hosts file for SSH; without it, unknown hosts are refused. */
  knownHostsFile?: string;
}

/**
 * `--signing-key`: an SSH private key file (git's `gpg.format=ssh`) or an OpenPGP key id from the
 * keyring (`GNUPGHOME`). Reaches git through its environment (`GIT_CONFIG_COUNT`), never a config file.
 */
export type SigningKey = { format: 'ssh'; keyFile: string } | { format: 'openpgp'; keyId: string };

/** Default for `RepoOptions.timeoutMs`. */
const DEFAULT_GIT_TIMEOUT_MS = 120_000;

interface RepoOptions {
  /** `--repo`: URL or local path. */
  repo: string;
  /** `--workdir`: where a remote is checked out (default: under the OS temp directory). */
  workdir?: string;
  identity: GitIdentity;
  credentials?: GitCredentials;
  /** Sign commits (`git commit -S`, with git's own signing configuration). */
  sign?: boolean;
  /** Sign commits with this key (implies `sign`). */
  signingKey?: SigningKey;
  /** Kill a git command that prints nothing for this long. */
  timeoutMs?: number;
  /** Environment git runs with (default process.env). */
  env?: NodeJS.ProcessEnv;
}

type RepoLocation =
  { kind: 'remote'; url: string; workdir: string } | { kind: 'local'; dir: string; exists: boolean };

/** A git command failed; the message is already scrubbed of credentials. */
class GitCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitCommandError';
  }
}

/** The remote refused a push because its branch moved (non-fast-forward). Retry from a fetch. */
export class PushRejectedError extends GitCommandError {
  constructor(branch: string) {
    super(`push to ${branch} rejected: the remote branch moved (non-fast-forward)`);
    this.name = 'PushRejectedError';
  }
}

/**
 * Whether git's push output says the remote ref moved under us, in any of the ways git and
 * receive-pack word it: a client-side non-fast-forward (`[rejected] ... (fetch first)`), a lease
 * that no longer holds (`stale info`), or a server-side lost race — `[remote rejected] ... (failed
 * to update ref)` / `(failed to lock)` — reported as `cannot lock ref '<ref>': is at X but
 * expected Y` or `incorrect old value provided` on a line of its own (refs/files-backend.c).
 */
export function isMovedRefRejection(output: string): boolean {
  return [
    /\[rejected\]/i,
    /non-fast-forward/i,
    /\(fetch first\)/i,
    /stale info/i,
    /\[remote rejected\][^\n]*\((failed to update ref|failed to lock|incorrect old value)/i,
    /cannot lock ref '[^'\n]*': is at [0-9a-f]+ but expected [0-9a-f]+/i,
    /cannot lock ref '[^'\n]*': reference already exists/i,
    /incorrect old value provided/i,
  ].some((pattern) => pattern.test(output));
}

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
const SCP_LIKE = /^[^/\s:]+@[^/\s:]+:/;

/** The URL with any userinfo removed, for logs and messages. */
export function displayUrl(url: string): string {
  return redactText(url);
}

/** Decides whether `--repo` is a remote (URL or bare repository) or a local work tree. */
export async function locateRepository(repo: string, workdir?: string): Promise<RepoLocation> {
  const remote = (url: string): RepoLocation => ({
    kind: 'remote',
    url,
    workdir: workdir ?? defaultWorkdir(url),
  });
  if (URL_LIKE.test(repo) || SCP_LIKE.test(repo)) return remote(repo);
  const dir = path.resolve(repo);
  if (!existsSync(dir)) return { kind: 'local', dir, exists: false };
  if (!(await stat(dir)).isDirectory()) throw new GitCommandError(`--repo: "${repo}" is not a directory`);
  if (existsSync(path.join(dir, '.git'))) return { kind: 'local', dir, exists: true };
  if (existsSync(path.join(dir, 'HEAD')) && existsSync(path.join(dir, 'objects'))) return remote(dir);
  throw new GitCommandError(
    `--repo: "${repo}" exists but is not a git repository (neither a work tree nor bare)`,
  );
}

function defaultWorkdir(url: string): string {
  const key = createHash('sha256').update(url).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), 'consul-k8s-gitops', key);
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Appends `key=value` to the configuration git reads from its environment (after any already there). */
function addConfig(env: Record<string, string>, key: string, value: string): void {
  const index = Number(env.GIT_CONFIG_COUNT ?? '0') || 0;
  env[`GIT_CONFIG_KEY_${index}`] = key;
  env[`GIT_CONFIG_VALUE_${index}`] = value;
  env.GIT_CONFIG_COUNT = String(index + 1);
}

/** Git's signing settings for a key: `gpg.format` and `user.signingkey`. */
function signingConfig(key: SigningKey): [string, string][] {
  return key.format === 'ssh'
    ? [
        ['gpg.format', 'ssh'],
        ['user.signingkey', key.keyFile],
      ]
    : [
        ['gpg.format', 'openpgp'],
        ['user.signingkey', key.keyId],
      ];
}

/**
 * The environment every git command runs with: no prompts, credentials and the signing key
 * through config env (for git's children only; no config file is written).
 */
export function gitEnvironment(
  base: NodeJS.ProcessEnv,
  credentials: GitCredentials = {},
  signingKey?: SigningKey,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  env.GIT_TERMINAL_PROMPT = '0';
  // Programs git could be told to run that a non-interactive sync never needs.
  for (const key of Object.keys(env)) if (UNUSED_PROGRAM_VARIABLES.has(key.toLowerCase())) delete env[key];
  if (credentials.token) {
    const basic = Buffer.from(`${credentials.username ?? 'x-access-token'}:${credentials.token}`).toString(
      'base64',
    );
    addConfig(env, 'http.extraHeader', `Authorization: Basic ${basic}`);
  }
  if (signingKey) for (const [key, value] of signingConfig(signingKey)) addConfig(env, key, value);
  if (credentials.sshKeyFile) {
    const parts = [
      'ssh',
      '-i',
      shellQuote(credentials.sshKeyFile),
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
    ];
    if (credentials.knownHostsFile) {
      parts.push(
        '-o',
        `UserKnownHostsFile=${shellQuote(credentials.knownHostsFile)}`,
        '-o',
        'StrictHostKeyChecking=yes',
      );
    }
    env.GIT_SSH_COMMAND = parts.join(' ');
  }
  return env;
}

const UNUSED_PROGRAM_VARIABLES = new Set([
  'editor',
  'visual',
  'pager',
  'git_editor',
  'git_pager',
  'git_sequence_editor',
  'git_askpass',
  'ssh_askpass',
  'git_exec_path',
  'git_external_diff',
  'git_proxy_command',
  'git_template_dir',
  'git_ssh',
  'prefix',
]);

/** simple-git refuses some variables unless told; allow exactly those our environment holds. */
function unsafeAllowances(env: Record<string, string>): Record<string, boolean> {
  const has = (name: string): boolean => Object.keys(env).some((key) => key.toUpperCase() === name);
  return {
    allowUnsafeSshCommand: has('GIT_SSH_COMMAND'),
    allowUnsafeConfigEnvCount: has('GIT_CONFIG_COUNT') || has('GIT_CONFIG_PARAMETERS'),
    allowUnsafeConfigPaths: has('GIT_CONFIG_GLOBAL') || has('GIT_CONFIG_SYSTEM') || has('GIT_CONFIG'),
  };
}

function secretsOf(credentials: GitCredentials = {}): string[] {
  const secrets: string[] = [];
  if (credentials.token) {
    secrets.push(credentials.token);
    secrets.push(
      Buffer.from(`${credentials.username ?? 'x-access-token'}:${credentials.token}`).toString('base64'),
    );
  }
  return secrets;
}

export class GitRepository {
  private readonly git: SimpleGit;
  private readonly secrets: string[];
  private readonly env: Record<string, string>;

  private constructor(
    readonly dir: string,
    readonly location: RepoLocation,
    private readonly options: RepoOptions,
  ) {
    const env = gitEnvironment(options.env ?? process.env, options.credentials, options.signingKey);
    this.env = env;
    this.secrets = secretsOf(options.credentials);
    this.git = simpleGit({
      baseDir: dir,
      config: [`user.name=${options.identity.name}`, `user.email=${options.identity.email}`],
      timeout: { block: options.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS },
      allowEnvironment: Object.keys(env).filter((key) => key.toUpperCase().startsWith('GIT_')),
      unsafe: unsafeAllowances(env),
    }).env(env);
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
      await repository.run(['init', '-q', ...(location.kind === 'remote' ? ['--bare'] : []), '-b', branch]);
    if (location.kind === 'local') {
      const gitDir = path.join(dir, '.git');
      lockWorkdir((await stat(gitDir)).isDirectory() ? gitDir : dir, '--repo');
    }
    if (location.kind === 'remote') {
      const remotes = await repository.run(['remote']);
      const verb = remotes.split('\n').includes('origin') ? 'set-url' : 'add';
      await repository.run(['remote', verb, 'origin', location.url]);
    }
    return repository;
  }

  /** Runs git; failures become GitCommandError with credentials scrubbed. */
  async run(args: string[]): Promise<string> {
    try {
      return await this.git.raw(args);
    } catch (err) {
      throw new GitCommandError(this.scrub(`git ${args[0]} failed: ${(err as Error).message}`.trim()));
    }
  }

  scrub(text: string): string {
    let result = redactText(text);
    for (const secret of this.secrets) result = result.split(secret).join('[REDACTED]');
    if (this.location.kind === 'remote')
      result = result.split(this.location.url).join(displayUrl(this.location.url));
    return result;
  }

  /** Fetches every branch of `origin` (pruning deleted ones). */
  async fetch(): Promise<void> {
    await this.run(['fetch', '-q', '--prune', '--no-tags', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
  }

  /** The commit a ref points to, or undefined when it does not exist. */
  async resolve(ref: string): Promise<string | undefined> {
    try {
      const sha = (await this.git.raw(['rev-parse', '-q', '--verify', `${ref}^{commit}`])).trim();
      return sha === '' ? undefined : sha;
    } catch {
      return undefined;
    }
  }

  async treeOf(ref: string): Promise<string | undefined> {
    try {
      const sha = (await this.git.raw(['rev-parse', '-q', '--verify', `${ref}^{tree}`])).trim();
      return sha === '' ? undefined : sha;
    } catch {
      return undefined;
    }
  }

  /** Tree id of `dir` (empty: the root) in `commit`, or undefined when it does not exist. */
  async treeAt(commit: string, dir: string): Promise<string | undefined> {
    if (dir === '') return this.treeOf(commit);
    // After `:` everything is the path, so no `^{tree}` suffix: check the type instead.
    const spec = `${commit}:${dir}`;
    const type = (await this.run(['cat-file', '-t', spec]).catch(() => '')).trim();
    return type === 'tree' ? (await this.run(['rev-parse', spec])).trim() : undefined;
  }

  /**
   * Commits on `head` that `base` lacks whose author or committer is not the generator's
   * identity (its e-mail, compared without case): someone else's work on a branch we own.
   */
  async commitsNotOurs(head: string, base: string | undefined): Promise<string[]> {
    const output = await this.run([
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
    const current = (await this.run(['symbolic-ref', '-q', '--short', 'HEAD']).catch(() => '')).trim();
    if (current !== '' && current !== branch) {
      throw new GitCommandError(
        `--branch ${branch}: the local repository ${this.dir} has ${current} checked out`,
      );
    }
    if (head !== undefined) {
      await this.run(['reset', '-q', '--', managedPath]);
      const tracked = await this.run(['ls-tree', '-r', '--name-only', 'HEAD', '--', managedPath]);
      if (tracked.trim() !== '') await this.run(['checkout', '-q', 'HEAD', '--', managedPath]);
    } else {
      await this.run(['rm', '-r', '-q', '--cached', '--ignore-unmatch', '--', managedPath]);
    }
    await this.run(['clean', '-q', '-ffdx', '--', managedPath]);
    return head;
  }

  /**
   * Local work trees: moves the checked-out branch from `head` to `commit` and brings index and
   * files along (`git read-tree -m -u`: only paths that differ between the two commits, i.e. the
   * managed path, are touched; other staged or unstaged work is kept).
   */
  async advanceWorkTree(branch: string, head: string | undefined, commit: string): Promise<void> {
    await this.run(head ? ['read-tree', '-m', '-u', head, commit] : ['read-tree', '-m', '-u', commit]);
    await this.run([
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
    try {
      await this.git.raw(['push', '--porcelain', lease, 'origin', `${commit}:refs/heads/${branch}`]);
    } catch (err) {
      const message = (err as Error).message;
      if (isMovedRefRejection(message)) throw new PushRejectedError(branch);
      throw new GitCommandError(this.scrub(`git push failed: ${message}`));
    }
  }

  async deleteRemoteBranch(branch: string): Promise<void> {
    await this.run(['push', '-q', 'origin', '--delete', `refs/heads/${branch}`]);
  }

  /**
   * What `ref` holds in the managed path, directly and in its shard directories (`shard-NN/<file>`):
   * plain files with their blob ids; anything else (symlinks, other subdirectories, submodules) as
   * `other`, with the tree record that keeps it in its directory.
   */
  async listTree(ref: string | undefined, managedPath: string): Promise<Map<string, CurrentEntry>> {
    const entries = new Map<string, CurrentEntry>();
    if (ref === undefined || (await this.resolve(ref)) === undefined) return entries;
    const output = await this.run(['ls-tree', '-r', '-t', '-z', '--full-tree', ref, '--', `${managedPath}/`]);
    const prefix = `${managedPath}/`;
    for (const record of output.split('\0')) {
      const match = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(record);
      if (!match || !match[4]!.startsWith(prefix)) continue;
      const name = match[4]!.slice(prefix.length);
      const [first, second, deeper] = name.split('/');
      const inShard = second !== undefined && shardIndexOf(first!) !== undefined;
      // Shard directories are listed file by file; anything else below the top level is kept whole.
      if (deeper !== undefined || (second !== undefined && !inShard)) continue;
      if (second === undefined && match[2] === 'tree' && shardIndexOf(first!) !== undefined) continue;
      if (match[2] === 'blob' && (match[1] === '100644' || match[1] === '100755')) {
        entries.set(name, { type: 'file', blob: match[3]! });
      } else
        entries.set(name, {
          type: 'other',
          record: `${match[1]} ${match[2]} ${match[3]}\t${baseName(name)}`,
        });
    }
    return entries;
  }

  /** Every file in `ref` (recursively) with its mode, blob id and size. */
  async listFiles(ref: string): Promise<{ path: string; mode: string; blob: string }[]> {
    const output = await this.run(['ls-tree', '-r', '-z', '--full-tree', ref]);
    const files: { path: string; mode: string; blob: string }[] = [];
    for (const record of output.split('\0')) {
      const match = /^(\d+) blob ([0-9a-f]+)\t(.*)$/s.exec(record);
      if (match) files.push({ mode: match[1]!, blob: match[2]!, path: match[3]! });
    }
    return files;
  }

  /** Sizes of blobs by id (`git cat-file --batch-check`). */
  async blobSizes(ids: readonly string[]): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    if (ids.length === 0) return sizes;
    const output = await this.pipe(['cat-file', '--batch-check'], [`${ids.join('\n')}\n`]);
    for (const line of output.toString('utf8').split('\n')) {
      const [id, type, size] = line.split(' ');
      if (id && type === 'blob' && size !== undefined) sizes.set(id, Number(size));
    }
    return sizes;
  }

  /** The mode of `entryPath` in `ref` (`040000` tree, `120000` symlink, `160000` submodule...), or undefined. */
  async entryMode(ref: string, entryPath: string): Promise<string | undefined> {
    const output = await this.run(['ls-tree', '-z', ref, '--', entryPath]);
    const match = /^(\d+) \w+ [0-9a-f]+\t/.exec(output);
    return match?.[1];
  }

  /** Contents of blobs by id, in one `git cat-file --batch`. */
  async readBlobs(ids: readonly string[]): Promise<Map<string, string>> {
    const contents = new Map<string, string>();
    if (ids.length === 0) return contents;
    const output = await this.pipe(['cat-file', '--batch'], [`${ids.join('\n')}\n`]);
    let offset = 0;
    while (offset < output.length) {
      const newline = output.indexOf(10, offset);
      if (newline < 0) break;
      const [id, type, size] = output.subarray(offset, newline).toString('utf8').split(' ');
      offset = newline + 1;
      if (type === 'missing' || size === undefined) continue;
      const length = Number(size);
      contents.set(id!, output.subarray(offset, offset + length).toString('utf8'));
      offset += length + 1;
    }
    return contents;
  }

  /**
   * Makes a commit without a work tree: `parent`'s tree with the managed path's files written or
   * removed. New blobs go into one pack (`git fast-import`, blobs only), the managed directory's
   * tree and its ancestors are rebuilt with `git mktree`, the commit with `git commit-tree`
   * (`-S` when signing). Nothing is visible until the commit exists, so a run killed half-way
   * leaves no trace.
   */
  async commitFiles(options: {
    parent: string | undefined;
    managedPath: string;
    current: ReadonlyMap<string, CurrentEntry>;
    writes: readonly [string, string][];
    deletes: readonly string[];
    message: string;
  }): Promise<string> {
    const data = (text: string): string => `data ${Buffer.byteLength(text, 'utf8')}\n${text}\n`;
    const blobs = function* (): Generator<string> {
      for (const [, content] of options.writes) yield `blob\n${data(content)}`;
      yield 'done\n';
    };
    if (options.writes.length > 0) await this.pipe(['fast-import', '--quiet', '--done'], blobs());

    // Records per directory of the managed path ('' its top, `shard-NN` a shard), name -> record.
    const directories = new Map<string, Map<string, string>>([['', new Map()]]);
    const recordsOf = (directory: string): Map<string, string> => {
      let records = directories.get(directory);
      if (!records) directories.set(directory, (records = new Map()));
      return records;
    };
    const put = (file: string, record: string): void => {
      recordsOf(directoryOf(file)).set(baseName(file), record);
    };
    for (const [name, entry] of options.current) {
      if (entry.type === 'file') put(name, `100644 blob ${entry.blob}\t${baseName(name)}`);
      else if (entry.record !== undefined) put(name, entry.record);
    }
    for (const name of options.deletes) recordsOf(directoryOf(name)).delete(baseName(name));
    for (const [name, content] of options.writes)
      put(name, `100644 blob ${gitBlobId(content)}\t${baseName(name)}`);
    // A shard directory no write or delete touches keeps its committed tree (no `git mktree`).
    const touched = new Set([
      ...options.writes.map(([name]) => directoryOf(name)),
      ...options.deletes.map(directoryOf),
    ]);
    const committed = new Map<string, string>();
    if (options.parent)
      for (const record of await this.treeRecords(options.parent, options.managedPath))
        committed.set(record.slice(record.indexOf('\t') + 1), record);
    // Deepest first, so a directory's tree exists before its parent's; an emptied one disappears.
    const nested = [...directories.keys()].filter((directory) => directory !== '');
    nested.sort((a, b) => b.split('/').length - a.split('/').length);
    for (const directory of nested) {
      const records = directories.get(directory)!;
      const parent = recordsOf(directoryOf(directory));
      const name = baseName(directory);
      const unchanged = touched.has(directory) ? undefined : committed.get(directory);
      if (records.size === 0) parent.delete(name);
      else
        parent.set(name, unchanged ?? `040000 tree ${await this.makeTree([...records.values()])}\t${name}`);
    }
    let child = await this.makeTree([...directories.get('')!.values()]);

    const segments = options.managedPath.split('/');
    for (let depth = segments.length - 1; depth >= 0; depth -= 1) {
      const dir = segments.slice(0, depth).join('/');
      const name = segments[depth]!;
      const siblings = options.parent ? await this.treeRecords(options.parent, dir) : [];
      const kept = siblings.filter((record) => record.slice(record.indexOf('\t') + 1) !== name);
      child = await this.makeTree([...kept, `040000 tree ${child}\t${name}`]);
    }
    // The message goes through stdin: listing 100,000 Services, it is longer than an argument may be.
    const args = ['commit-tree', child];
    if (options.parent) args.push('-p', options.parent);
    if (this.options.sign || this.options.signingKey) args.push('-S');
    const { name, email } = this.options.identity;
    const identity = {
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: email,
      GIT_COMMITTER_NAME: name,
      GIT_COMMITTER_EMAIL: email,
    };
    return (await this.pipe(args, [options.message], identity)).toString('utf8').trim();
  }

  /** `ls-tree` records of one directory of `commit` (empty when it does not exist). */
  private async treeRecords(commit: string, dir: string): Promise<string[]> {
    const spec = dir === '' ? `${commit}^{tree}` : `${commit}:${dir}`;
    const output = await this.run(['ls-tree', '-z', spec]).catch(() => '');
    return output.split('\0').filter((record) => record !== '');
  }

  private async makeTree(records: readonly string[]): Promise<string> {
    const output = await this.pipe(['mktree', '-z'], [records.map((record) => `${record}\0`).join('')]);
    return output.toString('utf8').trim();
  }

  /**
   * Pushes `commit` to `branch` without force; a moved ref becomes PushRejectedError. Returns
   * whether the branch moved (false: it already was at `commit`, pushed by a twin run).
   */
  async pushCommit(commit: string, branch: string): Promise<boolean> {
    try {
      const output = await this.git.raw(['push', '--porcelain', 'origin', `${commit}:refs/heads/${branch}`]);
      // Porcelain flag "=": the remote ref already pointed there.
      return !output.split('\n').some((line) => line.startsWith('=\t'));
    } catch (err) {
      const message = (err as Error).message;
      if (isMovedRefRejection(message)) throw new PushRejectedError(branch);
      throw new GitCommandError(this.scrub(`git push failed: ${message}`));
    }
  }

  /** Runs git with `input` streamed to stdin (backpressure respected); resolves with stdout. */
  private pipe(
    args: string[],
    input: Iterable<string>,
    extraEnv: Record<string, string> = {},
  ): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const env = { ...this.env, ...extraEnv };
      const child = spawn('git', args, { cwd: this.dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      let stderr = '';
      // Same rule as simple-git's block timeout: a command that shows no progress for this long is killed.
      const limitMs = this.options.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
      let timer: NodeJS.Timeout | undefined;
      const progress = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new GitCommandError(`git ${args[0]} made no progress for ${limitMs} ms and was stopped`));
        }, limitMs);
      };
      progress();
      child.stdout.on('data', (chunk: Buffer) => {
        progress();
        chunks.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        progress();
        stderr += chunk.toString();
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(Buffer.concat(chunks));
        else
          reject(new GitCommandError(this.scrub(`git ${args[0]} failed: ${stderr.trim().slice(0, 2000)}`)));
      });
      child.stdin.on('error', () => undefined);
      child.stdin.on('drain', progress);
      const iterator = input[Symbol.iterator]();
      const pump = (): void => {
        for (;;) {
          const next = iterator.next();
          if (next.done) {
            child.stdin.end();
            return;
          }
          if (!child.stdin.write(next.value)) {
            child.stdin.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  }

  /** Is `ancestor` reachable from `descendant`? */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const base = (await this.run(['merge-base', ancestor, descendant]).catch(() => '')).trim();
    return base === ancestor;
  }
}
