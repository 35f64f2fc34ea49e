/**
 * The managed directory's safety: `--path` is normalised and refused when it would leave the
 * repository, point into .git, or pass through a symlink, a file or a submodule (checked on disk
 * for local work trees, on the commit's tree for remotes).
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

class ManagedPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManagedPathError';
  }
}

/**
 * Normalises `--path` to a repository-relative POSIX path. Refuses absolute paths, anything that
 * climbs out (`..`), the repository root itself and `.git`.
 */
export function normaliseManagedPath(raw: string): string {
  const trimmed = raw.trim().replace(/\\/g, '/');
  if (trimmed === '')
    throw new ManagedPathError('--path: must not be empty (the managed directory inside the repository)');
  if (path.posix.isAbsolute(trimmed) || /^[A-Za-z]:/.test(trimmed)) {
    throw new ManagedPathError(`--path: "${raw}" must be relative to the repository root`);
  }
  const segments = trimmed.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..'))
    throw new ManagedPathError(`--path: "${raw}" must not contain ".." (it would leave the repository)`);
  if (segments.length === 0)
    throw new ManagedPathError(`--path: "${raw}" is the repository root; give a subdirectory`);
  if (segments.some((segment) => segment.toLowerCase() === '.git')) {
    throw new ManagedPathError(`--path: "${raw}" must not point into .git`);
  }
  const odd = segments.find((segment) => !/^[A-Za-z0-9._-]+$/.test(segment));
  if (odd !== undefined) {
    throw new ManagedPathError(
      `--path: "${raw}": directory names may hold only letters, digits, ".", "_" and "-"`,
    );
  }
  return segments.join('/');
}

/**
 * The same check against a commit's tree (remote repositories have no work tree): every existing
 * prefix of the managed path must be a directory, never a symlink, file or submodule.
 */
export async function assertManagedPathInTree(
  modeOf: (entryPath: string) => Promise<string | undefined>,
  managedPath: string,
): Promise<void> {
  const segments = managedPath.split('/');
  for (let length = 1; length <= segments.length; length += 1) {
    const prefix = segments.slice(0, length).join('/');
    const mode = await modeOf(prefix);
    if (mode === undefined) return;
    if (mode === '120000') {
      throw new ManagedPathError(
        `--path: "${managedPath}" resolves outside the repository's work tree (symlink at ${prefix})`,
      );
    }
    if (mode !== '040000')
      throw new ManagedPathError(`--path: "${managedPath}": ${prefix} exists and is not a directory`);
  }
}

/**
 * Refuses a managed directory that resolves outside the repository through a symlink somewhere
 * on its way (checked on the deepest part that exists).
 */
export async function assertInsideRepository(repoRoot: string, managedPath: string): Promise<void> {
  const root = await realpath(repoRoot);
  const target = path.join(repoRoot, managedPath);
  let probe = target;
  for (;;) {
    let resolved: string;
    try {
      resolved = await realpath(probe);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const parent = path.dirname(probe);
      if (parent === probe) return;
      probe = parent;
      continue;
    }
    const inside = resolved === root || resolved.startsWith(root + path.sep);
    const gitDir = path.join(root, '.git');
    if (!inside || resolved === gitDir || resolved.startsWith(gitDir + path.sep)) {
      throw new ManagedPathError(
        `--path: "${managedPath}" resolves outside the repository's work tree (symlink)`,
      );
    }
    if (probe === target && !(await stat(target)).isDirectory()) {
      throw new ManagedPathError(`--path: "${managedPath}" exists and is not a directory`);
    }
    return;
  }
}

/**
 * Two generators given one --path would undo each other's commits forever: the directory's
 * ownership marker names its generator, and any other is refused. `marker` is the committed
 * marker's owner (undefined: no marker yet, the directory is adopted).
 */
export function assertOwner(marker: string | undefined, owner: string, managedPath: string): void {
  if (marker === undefined || marker === owner) return;
  throw new ManagedPathError(
    `--path: "${managedPath}" is owned by another generator (--owner-id "${marker.slice(0, 64)}" in ${managedPath}/.consul-k8s-gitops-owner); this one is "${owner}": give each generator its own --path (or the same --owner-id if it is the same generator)`,
  );
}
