/**
 * Secrets named by `generate`'s flags (`--git-token-file`, `--forge-token-file`) or variables:
 * read once at startup, trimmed; an unreadable or empty file is a problem naming the flag and
 * the file, never the content. The I/O of config validation, kept apart from the checks.
 */
import { readFileSync } from 'node:fs';

/** Reads a secret file (trimmed); throws the fs error. */
export type ReadSecret = (path: string) => string;
export const readSecretFile: ReadSecret = (path) => readFileSync(path, 'utf8').trim();

/**
 * The secret in `file` (the value of `flag`); undefined when no file is given. An unreadable or
 * empty file is a problem naming the flag and the file, never the content.
 */
export function secretFromFlag(
  flag: string,
  file: string | undefined,
  readSecret: ReadSecret,
  problems: string[],
): string | undefined {
  if (file === undefined) return undefined;
  try {
    const value = readSecret(file);
    if (value === '') problems.push(`${flag}: "${file}" is empty`);
    return value;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push(`${flag}: cannot read "${file}"${code ? ` (${code})` : ''}`);
    return undefined;
  }
}

/** A variable's value, trimmed; undefined when unset or blank. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
