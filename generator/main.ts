/**
 * `generate`, the generator's composition root: config -> the run's dependencies (wiring.ts) ->
 * one run (`--once`, `--dry-run`) or the watch loop (watch-main.ts). Prints results on stdout, logs JSON on stderr.
 * Exit codes: 0 committed / up to date / nothing to change (dry run); 1 error; 2 dry run found
 * changes; 3 refused by the mass-deletion guard (`--once`); 4 the Consul catalog could not be
 * read completely (filtered by ACLs, or a failed read): nothing it could not see was changed.
 */
import { createLogger } from '../core/runtime/logger';
import { parseGenerateConfig, type GenerateFlags, type GeneratorConfig } from './config';
import type * as MetricsFileModule from './metrics-file';
import { EXIT_ERROR, EXIT_OK, failed, report, type GenerateIo } from './output';
import { runOnce } from './run';
import { isCatalogReadFailure } from './source/source';
import type * as WatchModule from './watch-main';
import { buildRun } from './wiring';

/*
 * Loaded on demand: the HTTP/metrics stack takes time to load, which a plain `generate --once`
 * (CI, cron) should not pay (metrics only with `--metrics-file`).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const lazy = {
  watch: () => require('./watch-main') as typeof WatchModule,
  metricsFile: () => require('./metrics-file') as typeof MetricsFileModule,
};
/* eslint-enable @typescript-eslint/no-require-imports */

const defaultIo: GenerateIo = {
  stdout: (text) => {
    // A closed pipe (`generate ... | head`) must not crash the run with a stack trace.
    if (process.stdout.listenerCount('error') === 0) process.stdout.on('error', () => undefined);
    process.stdout.write(text);
  },
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

export async function runGenerate(flags: GenerateFlags, io: GenerateIo = defaultIo): Promise<number> {
  let config: GeneratorConfig;
  try {
    config = parseGenerateConfig(flags, io.env);
  } catch (err) {
    io.stderr(`error: ${(err as Error).message}\n`);
    return EXIT_ERROR;
  }
  const logger = io.logger ?? createLogger({ level: config.logLevel, component: 'generator' });
  if (config.mode === 'watch') {
    try {
      return await lazy.watch().watch(config, logger, io);
    } catch (err) {
      return failed(err, io);
    }
  }
  const metricsFile = config.metricsFile
    ? new (lazy.metricsFile().MetricsFile)(config.metricsFile)
    : undefined;
  const metrics = metricsFile?.metrics;
  let code: number;
  try {
    const { deps, settings } = await buildRun(config, logger, io, metrics);
    const outcome = await runOnce(deps, settings, { dryRun: config.mode === 'dry-run' });
    metrics?.runFinished(outcome.status);
    code = report(outcome, config, io);
  } catch (err) {
    metrics?.runFailed();
    if (isCatalogReadFailure(err)) metrics?.catalogIncomplete.set(1);
    code = failed(err, io);
  }
  if (!metricsFile) return code;
  try {
    await metricsFile.write();
  } catch (err) {
    io.stderr(`error: ${(err as Error).message}\n`);
    return code === EXIT_OK ? EXIT_ERROR : code;
  }
  return code;
}
