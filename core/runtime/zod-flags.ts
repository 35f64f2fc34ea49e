/**
 * zod building blocks for command-line flags, shared by every program's config validation: Go
 * booleans and durations as consul-k8s reads them, and one way to turn zod's issues into the
 * one-line startup error that names each flag and the reason. Pure: no I/O.
 */
import { z } from 'zod';
import { goParseBool } from '../go/strconv';
import { parseDuration } from './config';

/** Go `strconv.ParseBool` for a flag value; `true` when the flag is given without a value. */
export const goBool = (flag: string) =>
  z.union([z.boolean(), z.string()]).transform((value, ctx) => {
    if (typeof value === 'boolean') return value;
    const parsed = goParseBool(value);
    if (parsed === undefined) {
      ctx.addIssue({ code: 'custom', message: `${flag}: "${value}" is not a boolean (use true or false)` });
      return z.NEVER;
    }
    return parsed;
  });

/** A Go-style duration (`5s`, `1m30s`) in milliseconds, at least `min` ms. */
export const duration = (flag: string, min: number) =>
  z.string().transform((value, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `${flag}: ${(err as Error).message}` });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: 'custom', message: `${flag}: "${value}" is too short (at least ${min} ms)` });
      return z.NEVER;
    }
    return ms;
  });

/**
 * Validates option values (those commander left undefined dropped, so defaults apply) against
 * `schema`; on failure throws `toError` of every issue's message, joined by "; ".
 */
export function parseOptions<T extends z.ZodType>(
  schema: T,
  raw: Record<string, unknown>,
  toError: (message: string) => Error,
): z.infer<T> {
  const defined = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined));
  const result = schema.safeParse(defined);
  if (!result.success) throw toError(result.error.issues.map((issue) => issue.message).join('; '));
  return result.data;
}
