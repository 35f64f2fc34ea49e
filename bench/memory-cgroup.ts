/**
 * A memory cgroup for one benchmarked process, so it runs as in a container with
 * `resources.limits.memory`: Node sizes its default heap from the cgroup's limit
 * (`process.constrainedMemory()`), not from the machine. Needs root and cgroup v1 or v2; the
 * error says so when either is missing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = '/sys/fs/cgroup';

export interface MemoryCgroup {
  /** `command args` wrapped so the process joins the cgroup before it starts (same pid). */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  /** Removes the cgroup; call after the process has exited. */
  remove(): void;
}

/** Where a new cgroup may go: v2 beside our own (a parent with controllers holds no process), v1 under the memory controller. */
function placement(name: string): { dir: string; limitFile: string } {
  const lines = fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  if (fs.existsSync(path.join(ROOT, 'cgroup.controllers'))) {
    const own = lines.find((line) => line.startsWith('0::'))?.slice(3) ?? '/';
    return { dir: path.join(ROOT, path.dirname(own), name), limitFile: 'memory.max' };
  }
  const memory = lines
    .map((line) => line.split(':'))
    .find(([, controllers]) => controllers?.split(',').includes('memory'));
  if (!memory) throw new Error('no memory controller in /proc/self/cgroup');
  return { dir: path.join(ROOT, 'memory', memory[2] ?? '/', name), limitFile: 'memory.limit_in_bytes' };
}

export function createMemoryCgroup(limitMiB: number): MemoryCgroup {
  if (!Number.isInteger(limitMiB) || limitMiB < 64)
    throw new Error(`BENCH_REGISTRAR_MEMORY_LIMIT_MIB: a whole number of MiB, at least 64 (got ${limitMiB})`);
  const { dir, limitFile } = placement(`consul-k8s-gitops-bench-${process.pid}`);
  try {
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, limitFile), String(limitMiB * 1024 * 1024));
  } catch (error) {
    if (fs.existsSync(dir)) fs.rmdirSync(dir);
    throw new Error(
      `BENCH_REGISTRAR_MEMORY_LIMIT_MIB needs a writable memory cgroup (root; cgroup v1, or v2 with +memory in the parent's cgroup.subtree_control): ${(error as Error).message}`,
    );
  }
  return {
    wrap: (command, args) => ({
      command: 'sh',
      // `exec` keeps the pid, so the caller's /proc/<pid> readings are the wrapped process's own.
      args: ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, command, ...args],
    }),
    remove: () => fs.rmdirSync(dir),
  };
}
