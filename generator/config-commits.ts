/**
 * The commit and report flags of `generate` (commit message template, sign-off, signing key,
 * `--output`, `--metrics-file`): their zod fields, the rules between them and the mode, and the
 * settings they become. Reading the signing key and looking for the metrics file's directory are
 * the I/O here, kept apart from the checks.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parsedBy } from '../core/runtime/zod-flags';
import { type CommitTemplate, DEFAULT_COMMIT_TEMPLATE, parseCommitTemplate } from './commit-message';
import type { ReadSecret } from './config-secrets';
import type { SigningKey } from './git/signing';

export const commitFlags = {
  commitMessageTemplate: z
    .string()
    .default(DEFAULT_COMMIT_TEMPLATE)
    .pipe(parsedBy(parseCommitTemplate, '--commit-message-template: ')),
  signoff: z.boolean().optional(),
  signingKey: z.string().optional(),
  output: z.enum(['text', 'json']).default('text'),
  metricsFile: z
    .string()
    .refine((file) => file.endsWith('.prom'), {
      error: (issue) =>
        `--metrics-file: "${String(issue.input)}" must end in .prom (node-exporter's textfile collector reads only *.prom)`,
    })
    .optional(),
};

type CommitOptions = z.infer<z.ZodObject<typeof commitFlags>> & { authorName: string; authorEmail: string };

/** Rules between the commit and report flags, the identity and the mode (which run it is). */
export function commitProblems(o: CommitOptions, mode: { once: boolean; dryRun: boolean }): string[] {
  const problems: string[] = [];
  const oneLine = (value: string): boolean => value.trim() !== '' && !/[\n\r<>]/.test(value);
  if (o.signoff && (!oneLine(o.authorName) || !oneLine(o.authorEmail)))
    problems.push(
      '--signoff: --author-name and --author-email must be non-empty, on one line and without "<" or ">"',
    );
  if (o.output !== 'text' && !mode.dryRun) problems.push(`--output ${o.output}: only with --dry-run`);
  if (o.metricsFile !== undefined && !mode.once)
    problems.push('--metrics-file: only with --once (watch mode serves /metrics)');
  return problems;
}

const OPENPGP_KEY_ID = /^(0x)?([0-9a-f]{8}|[0-9a-f]{16}|[0-9a-f]{40})!?$/i;

/**
 * `--signing-key`: a readable SSH key file (private, or public with the private key in
 * ssh-agent) -> SSH signing; otherwise an OpenPGP key id or fingerprint (8, 16 or 40 hex digits).
 */
function parseSigningKey(value: string, readSecret: ReadSecret): SigningKey {
  let content: string | undefined;
  let code: string | undefined;
  try {
    content = readSecret(value);
  } catch (err) {
    code = (err as NodeJS.ErrnoException).code;
  }
  if (content === undefined) {
    if (OPENPGP_KEY_ID.test(value)) return { format: 'openpgp', keyId: value };
    throw new Error(
      `"${value}" is neither a readable SSH key file${code ? ` (${code})` : ''} nor an OpenPGP key id (8, 16 or 40 hex digits)`,
    );
  }
  if (/^-----BEGIN PGP /.test(content))
    throw new Error(
      `"${value}" is an OpenPGP key file: import it into the keyring (GNUPGHOME) and give its key id`,
    );
  const ssh =
    /^-----BEGIN OPENSSH PRIVATE KEY-----/.test(content) ||
    /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-\S+|sk-\S+) [A-Za-z0-9+/=]+/.test(content);
  if (!ssh) throw new Error(`"${value}" is not an SSH key (OpenSSH private key or public key)`);
  return { format: 'ssh', keyFile: path.resolve(value) };
}

/** Reads `--signing-key` and looks for `--metrics-file`'s directory; problems go to `problems`. */
export function readCommitFiles(
  flags: { signingKey?: string | undefined; metricsFile?: string | undefined },
  readSecret: ReadSecret,
  problems: string[],
): { signingKey?: SigningKey } {
  let signingKey: SigningKey | undefined;
  if (flags.signingKey !== undefined) {
    try {
      signingKey = parseSigningKey(flags.signingKey, readSecret);
    } catch (err) {
      problems.push(`--signing-key: ${(err as Error).message}`);
    }
  }
  if (flags.metricsFile !== undefined) {
    const dir = path.dirname(path.resolve(flags.metricsFile));
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      problems.push(`--metrics-file: the directory "${dir}" does not exist`);
  }
  return signingKey ? { signingKey } : {};
}

export interface CommitSettings {
  commit: {
    template: CommitTemplate;
    /** `--signoff`: add `Signed-off-by:` with the committer identity. */
    signoff: boolean;
  };
  /** `--signing-key`: sign every commit with this key. */
  signingKey?: SigningKey;
  /** `--output`: how `--dry-run` prints its plan. */
  output: 'text' | 'json';
  /** `--metrics-file`: `--once` writes its metrics here (node-exporter textfile format). */
  metricsFile?: string;
}

export function commitSettings(o: CommitOptions, files: { signingKey?: SigningKey }): CommitSettings {
  return {
    commit: { template: o.commitMessageTemplate, signoff: Boolean(o.signoff) },
    ...files,
    output: o.output,
    ...(o.metricsFile !== undefined ? { metricsFile: path.resolve(o.metricsFile) } : {}),
  };
}
