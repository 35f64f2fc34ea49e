/** `consul-k8s-gitops webhook`: wires logger, metrics, health, the HTTPS server and shutdown. */
import {
  GracefulShutdown,
  Health,
  type ShutdownOptions,
  type LogLevel,
  createLogger,
  createMetricsRegistry,
} from '../core/runtime';
import type { DestinationStream } from 'pino';
import type { SyncSettings } from '../core/annotations';
import type { Mode } from './review';
import type { WorkerScript } from './heavy';
import { type WebhookServer, startWebhookServer } from './server';

export interface WebhookConfig {
  port: number;
  /** Default: all interfaces (`::` where IPv6 exists, else `0.0.0.0`). */
  host?: string;
  tlsCertFile: string;
  tlsPrivateKeyFile: string;
  mode: Mode;
  shutdownDelayMs: number;
  tlsReloadIntervalMs: number;
  logLevel: LogLevel;
  consulK8sTag: string;
  /** The registrar's settings, for "will not be synced" warnings; off when undefined. */
  syncSettings?: SyncSettings;
}

/** Process hooks, replaced by tests that run the command in-process. */
interface WebhookProcess {
  signalSource?: ShutdownOptions['signalSource'];
  exit?: ShutdownOptions['exit'];
  logDestination?: DestinationStream;
  /** The review worker script (tests run it from the TypeScript sources). */
  reviewWorker?: WorkerScript;
}

export interface RunningWebhook {
  webhook: WebhookServer;
  shutdown: GracefulShutdown;
}

/** Starts serving; the process then runs until SIGTERM/SIGINT, which drains and exits 0. */
export async function runWebhook(config: WebhookConfig, proc: WebhookProcess = {}): Promise<RunningWebhook> {
  const logger = createLogger({
    level: config.logLevel,
    component: 'webhook',
    destination: proc.logDestination,
  });
  const registry = createMetricsRegistry();
  const health = new Health();
  const webhook = await startWebhookServer({
    port: config.port,
    host: config.host,
    certFile: config.tlsCertFile,
    keyFile: config.tlsPrivateKeyFile,
    certReloadIntervalMs: config.tlsReloadIntervalMs,
    review: {
      mode: config.mode,
      analyze: {
        syncTag: config.consulK8sTag,
        ...(config.syncSettings ? { syncSettings: config.syncSettings } : {}),
      },
    },
    logger,
    registry,
    health,
    ...(proc.reviewWorker ? { reviewWorker: proc.reviewWorker } : {}),
  });
  const shutdown = new GracefulShutdown({
    delayMs: config.shutdownDelayMs,
    health,
    logger,
    signalSource: proc.signalSource,
    exit: proc.exit,
  })
    .onDrain('https server', () => webhook.close())
    .install();
  logger.info({ port: webhook.port, mode: config.mode }, 'webhook serving');
  return { webhook, shutdown };
}
