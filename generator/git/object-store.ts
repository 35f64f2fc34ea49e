/**
 * The object database of a repository, without a work tree: resolving refs, reading trees and
 * blobs in batches (`ls-tree`, `cat-file --batch`), and writing a commit from objects alone
 * (`fast-import` for blobs, `mktree`, `commit-tree`), so a run killed half-way leaves no trace.
 */
import type { GitIdentity } from './credentials';
import { baseName, directoryOf, gitBlobId, type TreeEntry } from './objects';
import type { GitProcess } from './process';

export class GitObjectStore {
  constructor(
    protected readonly process: GitProcess,
    private readonly identity: GitIdentity,
    /** Sign commits (`git commit-tree -S`). */
    private readonly sign: boolean,
  ) {}

  /** The commit a ref points to, or undefined when it does not exist. */
  async resolve(ref: string): Promise<string | undefined> {
    try {
      const sha = (await this.process.raw(['rev-parse', '-q', '--verify', `${ref}^{commit}`])).trim();
      return sha === '' ? undefined : sha;
    } catch {
      return undefined;
    }
  }

  async treeOf(ref: string): Promise<string | undefined> {
    try {
      const sha = (await this.process.raw(['rev-parse', '-q', '--verify', `${ref}^{tree}`])).trim();
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
    const type = (await this.process.run(['cat-file', '-t', spec]).catch(() => '')).trim();
    return type === 'tree' ? (await this.process.run(['rev-parse', spec])).trim() : undefined;
  }

  /**
   * What `ref` holds in the managed path, directly and in its shard directories (`shard-NN/<file>`):
   * plain files with their blob ids; anything else (symlinks, other subdirectories, submodules) as
   * `other`, with the tree record that keeps it in its directory. `listed` says which
   * subdirectories (the shard directories) are listed file by file.
   */
  async listTree(
    ref: string | undefined,
    managedPath: string,
    listed: (directory: string) => boolean,
  ): Promise<Map<string, TreeEntry>> {
    const entries = new Map<string, TreeEntry>();
    if (ref === undefined || (await this.resolve(ref)) === undefined) return entries;
    const output = await this.process.run([
      'ls-tree',
      '-r',
      '-t',
      '-z',
      '--full-tree',
      ref,
      '--',
      `${managedPath}/`,
    ]);
    const prefix = `${managedPath}/`;
    for (const record of output.split('\0')) {
      const match = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(record);
      if (!match || !match[4]!.startsWith(prefix)) continue;
      const name = match[4]!.slice(prefix.length);
      const [first, second, deeper] = name.split('/');
      const inShard = second !== undefined && listed(first!);
      // Shard directories are listed file by file; anything else below the top level is kept whole.
      if (deeper !== undefined || (second !== undefined && !inShard)) continue;
      if (second === undefined && match[2] === 'tree' && listed(first!)) continue;
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
    const output = await this.process.run(['ls-tree', '-r', '-z', '--full-tree', ref]);
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
    const output = await this.process.pipe(['cat-file', '--batch-check'], [`${ids.join('\n')}\n`]);
    for (const line of output.toString('utf8').split('\n')) {
      const [id, type, size] = line.split(' ');
      if (id && type === 'blob' && size !== undefined) sizes.set(id, Number(size));
    }
    return sizes;
  }

  /** The mode of `entryPath` in `ref` (`040000` tree, `120000` symlink, `160000` submodule...), or undefined. */
  async entryMode(ref: string, entryPath: string): Promise<string | undefined> {
    const output = await this.process.run(['ls-tree', '-z', ref, '--', entryPath]);
    const match = /^(\d+) \w+ [0-9a-f]+\t/.exec(output);
    return match?.[1];
  }

  /** Contents of blobs by id, in one `git cat-file --batch`. */
  async readBlobs(ids: readonly string[]): Promise<Map<string, string>> {
    const contents = new Map<string, string>();
    if (ids.length === 0) return contents;
    const output = await this.process.pipe(['cat-file', '--batch'], [`${ids.join('\n')}\n`]);
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
    current: ReadonlyMap<string, TreeEntry>;
    writes: readonly [string, string][];
    deletes: readonly string[];
    message: string;
  }): Promise<string> {
    const data = (text: string): string => `data ${Buffer.byteLength(text, 'utf8')}\n${text}\n`;
    const blobs = function* (): Generator<string> {
      for (const [, content] of options.writes) yield `blob\n${data(content)}`;
      yield 'done\n';
    };
    if (options.writes.length > 0) await this.process.pipe(['fast-import', '--quiet', '--done'], blobs());

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
    if (this.sign) args.push('-S');
    const { name, email } = this.identity;
    const identity = {
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: email,
      GIT_COMMITTER_NAME: name,
      GIT_COMMITTER_EMAIL: email,
    };
    return (await this.process.pipe(args, [options.message], identity)).toString('utf8').trim();
  }

  /** `ls-tree` records of one directory of `commit` (empty when it does not exist). */
  private async treeRecords(commit: string, dir: string): Promise<string[]> {
    const spec = dir === '' ? `${commit}^{tree}` : `${commit}:${dir}`;
    const output = await this.process.run(['ls-tree', '-z', spec]).catch(() => '');
    return output.split('\0').filter((record) => record !== '');
  }

  private async makeTree(records: readonly string[]): Promise<string> {
    const output = await this.process.pipe(
      ['mktree', '-z'],
      [records.map((record) => `${record}\0`).join('')],
    );
    return output.toString('utf8').trim();
  }
}
