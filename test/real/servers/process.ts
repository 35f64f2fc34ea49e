/**
 * Starting and stopping the real servers' processes: random loopback ports, a log file per
 * process, stop by PID (the whole process group), and the log tail in every startup error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where `npm run real:setup` puts the binaries. */
export const REAL_BIN =
  process.env.CKG_REAL_BIN ?? join(process.env.HOME ?? '/root', '.cache/consul-k8s-gitops/real/bin');
/** Where it puts the pinned CRDs. */
export const REAL_CRDS = join(REAL_BIN, '..', 'crds');

/** The path of a real binary; throws (never skips) when `npm run real:setup` has not built it. */
export function realBinary(name: string): string {
  const path = join(REAL_BIN, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run 'npm run real:setup' first`);
  return path;
}

/** `count` distinct free ports on 127.0.0.1 (held open together so none is handed out twice). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `ckg-real-${prefix}-`));
}

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** The last lines of the process's output, for error messages. */
  logTail(lines?: number): string;
  /** True while the process runs. */
  running(): boolean;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `binary args` in its own process group with stdout and stderr in `dir/<name>.log`. */
export function startProcess(
  name: string,
  binary: string,
  args: string[],
  dir: string,
  env: NodeJS.ProcessEnv = {},
): ServerProcess {
  const logFile = join(dir, `${name}.log`);
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(binary, args, {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${binary}`);
  const pid = child.pid;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const logTail = (lines = 20): string => {
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  };
  return {
    name,
    pid,
    logFile,
    logTail,
    running: () => !exited,
    async stop(graceMs = 5000) {
      if (exited) return;
      const signal = (sig: NodeJS.Signals) => {
        try {
          process.kill(-pid, sig);
        } catch {
          // already gone
        }
      };
      signal('SIGTERM');
      const killed = setTimeout(() => signal('SIGKILL'), graceMs);
      await exit;
      clearTimeout(killed);
      log.end();
    },
  };
}

/** Polls `ready` until it resolves true; fails with the process's log tail if it exits or times out. */
export async function waitForReady(
  proc: ServerProcess,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (!proc.running()) throw new Error(`${proc.name} exited during startup:\n${proc.logTail()}`);
    try {
      if (await ready()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await proc.stop();
  throw new Error(`${proc.name} not ready after ${timeoutMs} ms (${lastError}):\n${proc.logTail()}`);
}

/** Removes a server's folder (logs included) unless KEEP_REAL_LOGS is set, for debugging. */
export function removeDir(dir: string): void {
  if (!process.env.KEEP_REAL_LOGS) rmSync(dir, { recursive: true, force: true });
}

/**
 * One JSON call to a server on loopback: `body` is sent as JSON, the answer parsed as JSON when it
 * is JSON (text otherwise, as error bodies often are). HTTPS when `tls` holds the CA (and a client pair).
 */
export function jsonRequest(
  options: RequestOptions & { tls?: { ca: string; cert?: string; key?: string } },
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const { tls, ...common } = options;
    const headers = { ...(common.headers ?? {}), ...(payload ? { 'Content-Type': 'application/json' } : {}) };
    const req = tls ? httpsRequest({ ...common, headers, ...tls }) : httpRequest({ ...common, headers });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // a text body stays a string
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${common.method} ${common.path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
