/**
 * The managed directory on disk: validating `--path`, reading what is there, applying a plan.
 * Everything written or removed is one plain file name directly inside the directory, so nothing
 * outside it can be touched (symlinks are removed, never followed).
 */
import { mkdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plan } from './plan';

export class ManagedPathError extends Error {
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

/** A single file name (no separators, not `.`/`..`): the only thing written inside the directory. */
export function isPlainFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
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

/** Applies a plan: removals first (so a symlink or directory never receives a write), then writes. */
export async function applyPlan(dir: string, plan: Plan): Promise<void> {
  for (const name of [...plan.deletes, ...plan.writes.map(([file]) => file)]) {
    if (!isPlainFileName(name))
      throw new ManagedPathError(`refusing to touch "${name}": not a plain file name`);
  }
  await mkdir(dir, { recursive: true });
  await inBatches(plan.deletes, (name) => rm(path.join(dir, name), { recursive: true, force: true }));
  await inBatches(plan.writes, ([name, content]) => writeFile(path.join(dir, name), content, 'utf8'));
}

const PARALLEL_IO = 64;

async function inBatches<T>(items: readonly T[], work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_IO, items.length) }, worker));
}
