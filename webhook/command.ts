/** The `webhook` subcommand: flags only; `main.ts` does the work. */
import { Command, Option } from 'commander';
// The flag helpers from their own modules: the runtime barrel loads express and prom-client.
import { durationArg, portArg, positiveDurationArg } from '../core/runtime/config';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS } from '../core/runtime/logger';
import { addRegistrarViewOptions } from '../core/runtime/sync-flags';
import { parseWebhookConfig } from './config';
import type * as WebhookMain from './main';
import { MODES } from './review';

export function createWebhookCommand(): Command {
  const command = new Command('webhook')
    .description(
      'Validating admission webhook for Services: denies malformed consul.hashicorp.com/* annotations and warns about suspicious ones (HTTPS, POST /validate).',
    )
    .addOption(new Option('--port <port>', 'HTTPS port to listen on').argParser(portArg).default(8443))
    .addOption(
      new Option('--host <address>', 'address to listen on (default: all interfaces, IPv6 and IPv4)'),
    )
    .addOption(
      new Option(
        '--tls-cert-file <file>',
        'PEM serving certificate (chain); reloaded when the file changes',
      ).makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--tls-private-key-file <file>',
        'PEM private key of the serving certificate; reloaded with it',
      ).makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--mode <mode>',
        'enforce: deny requests with annotation errors; warn: never deny, report errors as warnings',
      )
        .choices(MODES)
        .default('enforce'),
    )
    .addOption(
      new Option(
        '--shutdown-delay <duration>',
        'on SIGTERM, keep serving (unready) this long before draining, e.g. 5s',
      )
        .argParser(durationArg)
        .default(5000, '5s'),
    )
    .addOption(
      new Option(
        '--tls-reload-interval <duration>',
        'how often the certificate files are re-read (the directory is also watched)',
      )
        .argParser(positiveDurationArg)
        .default(10_000, '10s'),
    )
    .addOption(
      new Option('--log-level <level>', 'log level (JSON lines on stderr)')
        .choices(LOG_LEVELS)
        .default(DEFAULT_LOG_LEVEL),
    );
  addRegistrarViewOptions(command);
  return command.action(async (flags: Record<string, unknown>) => {
    // Loaded when the command runs: the server stack costs every other subcommand to load.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runWebhook } = require('./main') as typeof WebhookMain;
    await runWebhook(parseWebhookConfig(flags));
  });
}
