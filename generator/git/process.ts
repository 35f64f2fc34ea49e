/**
 * Running the `git` binary for one repository directory: the environment every command gets (no
 * prompts, no helper programs, credentials and the signing key as config variables for git's
 * children only), commands through simple-git, commands with streamed stdin through a child
 * process, a kill after a stretch of no progress, and failures as GitCommandError with the
 * message scrubbed of credentials.
 */
import { spawn } from 'node:child_process';
import { simpleGit, type SimpleGit } from 'simple-git';
import { credentialConfig, sshCommand, type GitCredentials, type GitIdentity } from './credentials';
import { signingConfig, type SigningKey } from './signing';

/** Default for `GitProcessOptions.timeoutMs`. */
const DEFAULT_GIT_TIMEOUT_MS = 120_000;

/** A git command failed; the message is already scrubbed of credentials. */
export class GitCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitCommandError';
  }
}

/** Appends `key=value` to the configuration git reads from its environment (after any already there). */
function addConfig(env: Record<string, string>, key: string, value: string): void {
  const index = Number(env.GIT_CONFIG_COUNT ?? '0') || 0;
  env[`GIT_CONFIG_KEY_${index}`] = key;
  env[`GIT_CONFIG_VALUE_${index}`] = value;
  env.GIT_CONFIG_COUNT = String(index + 1);
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
  for (const [key, value] of credentialConfig(credentials)) addConfig(env, key, value);
  if (signingKey) for (const [key, value] of signingConfig(signingKey)) addConfig(env, key, value);
  const ssh = sshCommand(credentials);
  if (ssh !== undefined) env.GIT_SSH_COMMAND = ssh;
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

export interface GitProcessOptions {
  identity: GitIdentity;
  credentials?: GitCredentials;
  signingKey?: SigningKey;
  /** Kill a git command that prints nothing for this long. */
  timeoutMs?: number;
  /** Environment git runs with (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Git commands in one directory, with one environment and one scrubber for their errors. */
export class GitProcess {
  private readonly git: SimpleGit;
  private readonly env: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(
    readonly dir: string,
    options: GitProcessOptions,
    /** Removes credentials from text (error messages). */
    readonly scrub: (text: string) => string,
  ) {
    const env = gitEnvironment(options.env ?? process.env, options.credentials, options.signingKey);
    this.env = env;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
    this.git = simpleGit({
      baseDir: dir,
      config: [`user.name=${options.identity.name}`, `user.email=${options.identity.email}`],
      timeout: { block: this.timeoutMs },
      allowEnvironment: Object.keys(env).filter((key) => key.toUpperCase().startsWith('GIT_')),
      unsafe: unsafeAllowances(env),
    }).env(env);
  }

  /** Runs git; failures become GitCommandError with credentials scrubbed. */
  async run(args: string[]): Promise<string> {
    try {
      return await this.git.raw(args);
    } catch (err) {
      throw new GitCommandError(this.scrub(`git ${args[0]} failed: ${(err as Error).message}`.trim()));
    }
  }

  /** Runs git; a failure's message comes back unscrubbed (for callers that classify it). */
  raw(args: string[]): Promise<string> {
    return this.git.raw(args);
  }

  /** Runs git with `input` streamed to stdin (backpressure respected); resolves with stdout. */
  pipe(args: string[], input: Iterable<string>, extraEnv: Record<string, string> = {}): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const env = { ...this.env, ...extraEnv };
      const child = spawn('git', args, { cwd: this.dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      let stderr = '';
      // Same rule as simple-git's block timeout: a command that shows no progress for this long is killed.
      const limitMs = this.timeoutMs;
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
}
