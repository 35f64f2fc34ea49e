/**
 * The generator's command line as its end-to-end tests write it: the arguments that say where a
 * run reads and writes (catalog, repository, workdir, folder), the `--watch` flags the watch
 * tests run with, and the flags the `generate` command parses from an argument list, without
 * running it.
 */
import { createGenerateCommand } from '../../../generator/command';
import type { GenerateFlags } from '../../../generator/config';

/** Where a run reads its catalog and which repository, workdir and folder it writes. */
export interface RunTarget {
  catalog?: string;
  repo: string;
  workdir?: string;
  dir?: string;
}

/** `--catalog-file`, `--repo`, `--workdir` and `--path`, in that order, each only when given. */
export function targetArgs({ catalog, repo, workdir, dir }: RunTarget): string[] {
  return [
    ...(catalog === undefined ? [] : ['--catalog-file', catalog]),
    '--repo',
    repo,
    ...(workdir === undefined ? [] : ['--workdir', workdir]),
    ...(dir === undefined ? [] : ['--path', dir]),
  ];
}

/** How fast a watch test's loop reacts: the debounce buffers (`--buffer-min`, `--buffer-max`). */
interface WatchPace {
  bufferMin?: string;
  bufferMax?: string;
}

/** `--watch` with short debounce buffers (default 100ms / 500ms) and the health/metrics server on a free port. */
export function watchArgs({ bufferMin = '100ms', bufferMax = '500ms' }: WatchPace = {}): string[] {
  return ['--watch', '--buffer-min', bufferMin, '--buffer-max', bufferMax, '--http-port', '0'];
}

/** The flags `generate` parses from `argv` (arguments as a user types them). */
export async function parseGenerateFlags(argv: string[]): Promise<GenerateFlags> {
  let flags: GenerateFlags | undefined;
  await createGenerateCommand()
    .action((parsed: GenerateFlags) => {
      flags = parsed;
    })
    .parseAsync(argv, { from: 'user' });
  if (flags === undefined) throw new Error(`generate did not parse ${argv.join(' ')}`);
  return flags;
}
