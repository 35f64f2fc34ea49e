#!/usr/bin/env node
/** The one CLI: commander wiring only. Each subcommand lives with its component. */
import { Command } from 'commander';
import { createWebhookCommand } from './webhook/command';
import { createLintCommand } from './lint/command';
import { createRegistrarCommand } from './registrar/command';
import { createGenerateCommand } from './generator/command';
import { createAuditCommand } from './audit/command';
import { createPolicyCommand } from './policy/command';
import { version } from './package.json';

export function buildProgram(): Command {
  return new Command('consul-k8s-gitops')
    .description('Keep Kubernetes Services and the Consul catalog in sync, GitOps-style.')
    .version(version)
    .showHelpAfterError()
    .addCommand(createWebhookCommand())
    .addCommand(createLintCommand())
    .addCommand(createRegistrarCommand())
    .addCommand(createGenerateCommand())
    .addCommand(createAuditCommand())
    .addCommand(createPolicyCommand());
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
