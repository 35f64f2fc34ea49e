/** Flag value parsers shared by every command (one implementation each). */
import { InvalidArgumentError } from 'commander';
import { LOG_LEVELS, type LogLevel } from './logger';
import { goParseBool } from '../go/strconv';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a Go-style duration (`500ms`, `5s`, `1m30s`, `1.5h`, `0`) into milliseconds.
 * Throws an Error naming the reason for anything else (bare numbers other than 0 need a unit).
 */
export function parseDuration(text: string): number {
  const input = text.trim();
  if (input === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  while (index < input.length) {
    part.lastIndex = index;
    const match = part.exec(input);
    if (!match) break;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    index = part.lastIndex;
  }
  if (input.length === 0 || index !== input.length) {
    throw new Error(
      `invalid duration "${text}": expected a number with a unit (ms, s, m, h), e.g. 5s, 1m30s`,
    );
  }
  return Math.round(total);
}

/** commander argument parser for durations: returns milliseconds. */
export function durationArg(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** commander argument parser for TCP ports (0 allowed: pick a free port). */
export function portArg(value: string): number {
  if (!/^\d{1,5}$/.test(value.trim()) || Number(value) > 65535) {
    throw new InvalidArgumentError(`invalid port "${value}": expected an integer 0-65535`);
  }
  return Number(value);
}

/** commander argument parser for positive integers. */
export function positiveIntArg(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new InvalidArgumentError(`invalid value "${value}": expected an integer >= 1`);
  }
  return Number(value);
}

/** commander argument parser for `--log-level`. */
export function logLevelArg(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`invalid log level "${value}": expected one of ${LOG_LEVELS.join(', ')}`);
  }
  return value as LogLevel;
}

/** commander argument parser for durations that must be longer than zero (periods, intervals). */
export function positiveDurationArg(value: string): number {
  const ms = durationArg(value);
  if (ms <= 0) throw new InvalidArgumentError(`invalid duration "${value}": must be longer than 0`);
  return ms;
}

/** Booleans are read like consul-k8s's Go flags (`true`, `false`, `1`, `0`, `t`, `f`, …). */
export function parseBooleanFlag(value: string): boolean {
  const parsed = goParseBool(value);
  if (parsed === undefined)
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not a boolean; use true or false.`);
  return parsed;
}

/** For repeatable flags: `--allow-k8s-namespace a --allow-k8s-namespace b` (commas also split). */
export function collectList(value: string, previous: string[] | undefined): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...(previous ?? []), ...items];
}
