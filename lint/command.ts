/** `consul-k8s-gitops lint [PATH…]`: the webhook's rules, offline, for CI. */
import { Command, Option } from 'commander';
import {
  addRegistrarViewOptions,
  syncSettingsFromFlags,
  type SyncSettingsFlags,
} from '../core/runtime/sync-flags';
import { findServices, ManifestSyntaxError } from './manifests';
import { exitCodeFor, lintServices, type LintFinding, type LintSummary } from './lint';
import { formatJson, formatText, type InputProblem } from './format';
import { readSources } from './inputs';
import { formatSarif } from './sarif';
import { formatJunit } from './junit';
import { version } from '../package.json';

interface LintFlags extends SyncSettingsFlags {
  format: 'text' | 'json' | 'sarif' | 'junit';
  strict: boolean;
  consulK8sTag: string;
  warnUnsynced: boolean;
}

export async function runLint(
  paths: string[],
  flags: LintFlags,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<{ output: string; exitCode: 0 | 1 | 2 }> {
  const { sources, problems } = await readSources(paths.length > 0 ? paths : ['.'], stdin);
  const inputErrors: InputProblem[] = [...problems];
  const findings: LintFinding[] = [];
  let services = 0;
  const options = {
    syncTag: flags.consulK8sTag,
    ...(flags.warnUnsynced ? { syncSettings: syncSettingsFromFlags(flags) } : {}),
  };
  for (const source of sources) {
    try {
      const located = findServices(source.text);
      services += located.length;
      findings.push(...lintServices(source.path, located, options));
    } catch (err) {
      if (!(err instanceof ManifestSyntaxError)) throw err;
      inputErrors.push({
        path: source.path,
        line: err.line,
        column: err.column,
        message: `cannot parse: ${err.reason}`,
      });
    }
  }
  findings.sort((a, b) => (a.path === b.path ? a.line - b.line : a.path < b.path ? -1 : 1));
  const summary: LintSummary = {
    files: sources.length,
    services,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    unreadable: inputErrors.length,
  };
  const files = sources.map((s) => s.path);
  const output =
    flags.format === 'sarif'
      ? formatSarif(findings, inputErrors, version, process.cwd())
      : flags.format === 'junit'
        ? formatJunit(files, findings, inputErrors, flags.strict)
        : (flags.format === 'json' ? formatJson : formatText)(findings, inputErrors, summary);
  return { output, exitCode: exitCodeFor(summary, flags.strict) };
}

export function createLintCommand(): Command {
  const command = new Command('lint')
    .summary('check Service annotations in manifest files, offline (for CI)')
    .description(
      "Check the consul.hashicorp.com/* annotations of the Services in manifest files with the webhook's rules.\n" +
        'PATH is a file, a directory (searched for *.yaml, *.yml, *.json) or - for stdin; default: the current directory.\n' +
        'Exit status: 0 no errors, 1 errors (with --strict: also warnings), 2 input that cannot be read or parsed.',
    )
    .argument('[paths...]', 'files, directories or - for stdin')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['text', 'json', 'sarif', 'junit'])
        .default('text'),
    )
    .option('--strict', 'exit 1 on warnings too', false);
  addRegistrarViewOptions(command);
  return command.action(async (paths: string[], flags: LintFlags) => {
    const { output, exitCode } = await runLint(paths, flags);
    process.stdout.write(output);
    process.exitCode = exitCode;
  });
}
