/**
 * Webhook settings: commander's option values -> a validated WebhookConfig, through one zod
 * schema (the registrar's style). Bad values fail at startup with a message naming the flag and
 * the reason. Pure: no I/O.
 */
import { z } from 'zod';
import { LOG_LEVELS } from '../core/runtime/logger';
import { syncSettingsFromFlags } from '../core/runtime/sync-flags';
import { parseOptions } from '../core/runtime/zod-flags';
import type { WebhookConfig } from './main';
import { MODES } from './review';

export class WebhookConfigError extends Error {
  override readonly name = 'WebhookConfigError';
}

const schema = z.object({
  port: z.number().int().min(0).max(65535, '--port: expected an integer 0-65535'),
  host: z.string().optional(),
  tlsCertFile: z.string(),
  tlsPrivateKeyFile: z.string(),
  mode: z.enum(MODES, { error: () => `--mode: expected one of ${MODES.join(', ')}` }),
  shutdownDelay: z.number().min(0, '--shutdown-delay: must not be negative'),
  tlsReloadInterval: z.number().positive('--tls-reload-interval: must be longer than 0'),
  logLevel: z.enum(LOG_LEVELS, { error: () => `--log-level: expected one of ${LOG_LEVELS.join(', ')}` }),
  consulK8sTag: z.string(),
  warnUnsynced: z.boolean(),
  k8sDefaultSync: z.boolean(),
  allowK8sNamespace: z.array(z.string()).optional(),
  denyK8sNamespace: z.array(z.string()).optional(),
  syncClusteripServices: z.boolean(),
  syncLbServicesEndpoints: z.boolean(),
});

/** Validates the webhook's option values; throws WebhookConfigError listing every problem. */
export function parseWebhookConfig(raw: Record<string, unknown>): WebhookConfig {
  const flags = parseOptions(schema, raw, (message) => new WebhookConfigError(message));
  return {
    port: flags.port,
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    tlsCertFile: flags.tlsCertFile,
    tlsPrivateKeyFile: flags.tlsPrivateKeyFile,
    mode: flags.mode,
    shutdownDelayMs: flags.shutdownDelay,
    tlsReloadIntervalMs: flags.tlsReloadInterval,
    logLevel: flags.logLevel,
    consulK8sTag: flags.consulK8sTag,
    ...(flags.warnUnsynced ? { syncSettings: syncSettingsFromFlags(flags) } : {}),
  };
}
