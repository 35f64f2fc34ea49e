/**
 * The vocabulary of git objects the generator reads and writes, with no I/O: the id git gives a
 * blob (`git hash-object`), an entry of a committed tree, and the parts of a slash-separated path
 * inside a tree. Pure.
 */
import { createHash } from 'node:crypto';

/**
 * An entry of the managed directory as committed: a regular file with its git blob id, or
 * something else (symlink, subdirectory, submodule) that does not belong there.
 */
export type TreeEntry =
  | { type: 'file'; blob: string }
  /** `record`: the `git mktree` line that keeps it as it is (`<mode> <type> <id>\t<name>`). */
  | { type: 'other'; record?: string };

/** The id git gives a file with this content (`git hash-object`). */
export function gitBlobId(content: string): string {
  return createHash('sha1')
    .update(`blob ${Buffer.byteLength(content, 'utf8')}\0`)
    .update(content, 'utf8')
    .digest('hex');
}

/** The directory part of a path inside a tree (`''` for the top level). */
export function directoryOf(file: string): string {
  const slash = file.lastIndexOf('/');
  return slash < 0 ? '' : file.slice(0, slash);
}

/** The file name part of a path inside a tree. */
export function baseName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}
