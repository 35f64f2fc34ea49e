/**
 * Where `--repo` points: a remote (a URL, or a local bare repository) checked out in a private
 * work directory, or a local work tree (created when missing) that commits are made in.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GitCommandError } from './process';

export type RepoLocation =
  { kind: 'remote'; url: string; workdir: string } | { kind: 'local'; dir: string; exists: boolean };

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
const SCP_LIKE = /^[^/\s:]+@[^/\s:]+:/;

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
