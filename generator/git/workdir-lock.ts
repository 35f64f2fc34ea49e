/**
 * One generator process per work directory: a lock file created exclusively, naming its holder
 * (host, pid). A holder on this host that is gone (killed) leaves a stale lock, taken over at
 * once; a holder on another host (a shared volume) is trusted while it keeps the file fresh
 * (refreshed every REFRESH_MS). Taking over a stale lock also removes the git `index.lock` the
 * killed run may have left, when it is older than the takeover margin.
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LOCK_FILE = 'consul-k8s-gitops.lock';
const REFRESH_MS = 30_000;
/** A lock from another host older than this is stale (four missed refreshes). */
const STALE_MS = 4 * REFRESH_MS;
/** A git `index.lock` this old cannot belong to a git command still running for a killed run. */
const LEFTOVER_GIT_LOCK_MS = 10_000;

class WorkdirLockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkdirLockedError';
  }
}

interface Holder {
  host: string;
  pid: number;
}

const held = new Map<string, NodeJS.Timeout>();
let exitHookInstalled = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): Holder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    return typeof holder.host === 'string' && typeof holder.pid === 'number'
      ? { host: holder.host, pid: holder.pid }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the lock's holder is another live process (so we must not proceed). */
function heldByOther(file: string, holder: Holder | undefined): boolean {
  if (!holder) return false;
  if (holder.host === os.hostname()) return holder.pid !== process.pid && alive(holder.pid);
  try {
    return Date.now() - statSync(file).mtimeMs < STALE_MS;
  } catch {
    return false;
  }
}

/**
 * Takes the lock of `dir` (a git directory: a bare mirror or a work tree's `.git`) for this
 * process, until it exits. Throws WorkdirLockedError naming the holder when another has it.
 */
export function lockWorkdir(dir: string, describe: string): void {
  const file = path.join(dir, LOCK_FILE);
  if (held.has(file)) return;
  const content = JSON.stringify({ host: os.hostname(), pid: process.pid, since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, content);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = readHolder(file);
      if (heldByOther(file, holder)) {
        throw new WorkdirLockedError(
          `${describe} ${dir} is in use by another generator process (pid ${holder!.pid} on ${holder!.host}); give each process its own --workdir`,
        );
      }
      // The previous holder is gone: its run was killed. Clean up after it and take over.
      removeLeftoverGitLock(dir);
      rmSync(file, { force: true });
    }
  }
  const refresh = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      // The directory was removed: nothing to keep fresh.
    }
  }, REFRESH_MS);
  refresh.unref();
  held.set(file, refresh);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', releaseAll);
  }
}

function removeLeftoverGitLock(dir: string): void {
  const indexLock = path.join(dir, 'index.lock');
  try {
    if (Date.now() - statSync(indexLock).mtimeMs > LEFTOVER_GIT_LOCK_MS) rmSync(indexLock, { force: true });
  } catch {
    // No index.lock: nothing to clean.
  }
}

/** Releases every lock this process holds (at exit; tests call it to hand a directory over). */
export function releaseAll(): void {
  for (const [file, refresh] of held) {
    clearInterval(refresh);
    if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
  }
  held.clear();
}
