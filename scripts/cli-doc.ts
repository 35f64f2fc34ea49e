/** Renders docs/cli.md from the real commander definitions, so every flag is documented. */
import type { Command } from 'commander';
import { buildProgram } from '../cli';

function section(command: Command, depth: number): string[] {
  const name = command.parent ? `${command.parent.name()} ${command.name()}` : command.name();
  const help = command.helpInformation().trimEnd();
  return [`${'#'.repeat(depth)} \`${name}\``, '', '```text', help, '```', ''];
}

export function renderCliDoc(): string {
  const program = buildProgram();
  program.configureHelp({ helpWidth: 100 });
  const lines = [
    '# Command-line reference',
    '',
    '<!-- Generated from the CLI definitions by `npm run docs`. Do not edit by hand. -->',
    '',
  ];
  lines.push(...section(program, 2));
  for (const sub of program.commands) {
    sub.configureHelp({ helpWidth: 100 });
    lines.push(...section(sub, 2));
  }
  return lines.join('\n');
}
