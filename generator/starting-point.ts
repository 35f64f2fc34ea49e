/**
 * Where a run starts: the commit it builds on (remote: the fetched branch head; local: HEAD, with
 * the managed path restored to it), the managed directory's tree at that commit (what planning
 * compares with), and the Services the repository defines outside the managed path, which the
 * rendered files must not collide with. Checks that the managed path stays inside the repository.
 */
import { conflictsInManifests, isCandidateManifest, manifestsOnDisk } from './conflicts';
import type { TreeEntry } from './git/objects';
import type { GitRepository } from './git/repository';
import { shardIndexOf } from './layout';
import { assertInsideRepository, assertManagedPathInTree } from './managed-dir';
import type { PhaseTimer } from './phase-timer';

/** What the starting point depends on: the branch, the managed path, the Services' namespace. */
interface StartSettings {
  branch: string;
  managedPath: string;
  render: { namespace: string };
}

export interface StartingPoint {
  /** The commit the run builds on (undefined: none yet). */
  base: string | undefined;
  /** Services defined in the repository outside the managed path. */
  repositoryConflicts: Map<string, string>;
  /** The managed directory at `base`: its files (in shard directories too) and other entries. */
  tree: Map<string, TreeEntry>;
}

/** Shard directories are listed file by file; any other subdirectory is kept whole. */
function isShardDirectory(directory: string): boolean {
  return shardIndexOf(directory) !== undefined;
}

/**
 * Remote: fetch, the branch head. Local: HEAD, with the managed path restored to it (a dry run
 * never touches a local work tree; it plans against HEAD, as a run would). Checks that the
 * managed path stays inside the repository, scans the rest for conflicting Services and lists
 * the managed directory's tree.
 */
export async function startingPoint(
  repository: GitRepository | undefined,
  settings: StartSettings,
  dryRun: boolean,
  phases: PhaseTimer,
): Promise<StartingPoint> {
  if (!repository) return { base: undefined, repositoryConflicts: new Map(), tree: new Map() };
  const { base, repositoryConflicts } = await startingCommit(repository, settings, dryRun, phases);
  const tree = await repository.listTree(base, settings.managedPath, isShardDirectory);
  return { base, repositoryConflicts, tree };
}

async function startingCommit(
  repository: GitRepository,
  settings: StartSettings,
  dryRun: boolean,
  phases: PhaseTimer,
): Promise<Omit<StartingPoint, 'tree'>> {
  if (repository.isRemote) {
    const base = await repository.fetchBase(settings.branch);
    phases.mark('fetch');
    if (base === undefined) return { base, repositoryConflicts: new Map() };
    await assertManagedPathInTree((entry) => repository.entryMode(base, entry), settings.managedPath);
    return { base, repositoryConflicts: await conflictsInTree(repository, base, settings) };
  }
  const base = dryRun
    ? await repository.resolve('HEAD')
    : await repository.restoreManagedPath(settings.branch, settings.managedPath);
  phases.mark('restore');
  await assertInsideRepository(repository.dir, settings.managedPath);
  const manifests = await manifestsOnDisk(repository.dir, settings.managedPath);
  return { base, repositoryConflicts: conflictsInManifests(manifests, settings.render.namespace) };
}

/** Services declared in the commit's tree outside the managed path. */
async function conflictsInTree(
  repository: GitRepository,
  ref: string,
  settings: StartSettings,
): Promise<Map<string, string>> {
  const named = (await repository.listFiles(ref)).filter((file) =>
    isCandidateManifest(file.path, 0, settings.managedPath),
  );
  const sizes = await repository.blobSizes([...new Set(named.map((file) => file.blob))]);
  const candidates = named.filter((file) =>
    isCandidateManifest(file.path, sizes.get(file.blob) ?? Infinity, settings.managedPath),
  );
  const contents = await repository.readBlobs([...new Set(candidates.map((file) => file.blob))]);
  const manifests: [string, string][] = candidates.map((file) => [file.path, contents.get(file.blob) ?? '']);
  return conflictsInManifests(manifests, settings.render.namespace);
}
