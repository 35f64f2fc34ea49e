/**
 * zod building blocks for command-line flags, shared by every program's config validation: Go
 * booleans and durations as consul-k8s reads them, and one way to turn zod's issues into the
 * one-line startup error that names each flag and the reason. Pure: no I/O.
 */
import { z } from 'zod';
import { goParseBool } from '../go/strconv';
import { parseDuration } from './config';

/**
 * A flag value read by `parse`, which throws an Error naming the reason: the reason (after
 * `prefix`) becomes the issue. The issue does not abort the object, so object-level rules still
 * run and every problem is reported at once.
 */
export const parsedBy = <T>(parse: (value: string) => T, prefix = '') =>
  z
    .string()
    .superRefine((value, ctx) => {
      try {
        parse(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `${prefix}${(err as Error).message}` });
      }
    })
    .transform((value) => parse(value));

/** Go `strconv.ParseBool` for a flag value; `true` when the flag is given without a value. */
export const goBool = (flag: string) =>
  z
    .union([z.boolean(), z.string()])
    .superRefine((value, ctx) => {
      if (typeof value === 'string' && goParseBool(value) === undefined)
        ctx.addIssue({ code: 'custom', message: `${flag}: "${value}" is not a boolean (use true or false)` });
    })
    .transform((value) => (typeof value === 'boolean' ? value : goParseBool(value)!));

/** A Go-style duration (`5s`, `1m30s`) in milliseconds, at least `min` ms. */
export const duration = (flag: string, min: number) =>
  parsedBy((value) => {
    const ms = parseDuration(value);
    if (ms < min) throw new Error(`"${value}" is too short (at least ${min} ms)`);
    return ms;
  }, `${flag}: `);

/**
 * Validates option values (those commander left undefined dropped, so defaults apply) against
 * `schema`: the parsed values, or every issue's message.
 */
export function validateOptions<T extends z.ZodType>(
  schema: T,
  raw: Record<string, unknown>,
): { ok: true; data: z.infer<T> } | { ok: false; problems: string[] } {
  const defined = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined));
  const result = schema.safeParse(defined);
  return result.success
    ? { ok: true, data: result.data }
    : { ok: false, problems: result.error.issues.map((issue) => issue.message) };
}

/** validateOptions, throwing `toError` of every problem, joined by "; ", on failure. */
export function parseOptions<T extends z.ZodType>(
  schema: T,
  raw: Record<string, unknown>,
  toError: (message: string) => Error,
): z.infer<T> {
  const result = validateOptions(schema, raw);
  if (!result.ok) throw toError(result.problems.join('; '));
  return result.data;
}
