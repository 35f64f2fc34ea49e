/** Container args checked against the real CLI definition (commander, from cli.ts). */
import { CommanderError, type Command } from 'commander';

/** Parses `args` (after the subcommand) with the real command; returns what it rejected. */
export function rejectedBy(command: Command, args: string[]): string[] {
  command.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  try {
    const { operands, unknown } = command.parseOptions(args);
    return [...operands.map((o) => `unexpected operand ${o}`), ...unknown.map((u) => `unknown option ${u}`)];
  } catch (err) {
    if (err instanceof CommanderError) return [err.message];
    throw err;
  }
}
