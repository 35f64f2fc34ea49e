/**
 * The webhook's HTTPS server: serves the express app (app.ts) over TLS with its connection caps
 * (timeouts, handshake time, open connections), answers unparseable requests as JSON, and
 * installs renewed certificates without a restart.
 */
import https from 'node:https';
import { boundPort, closeServer } from '../core/runtime';
import { answerClientError } from './answers';
import { type WebhookAppOptions, createWebhookApp } from './app';
import { expressServerClasses } from './express-classes';
import { WebhookMetrics } from './metrics';
import { CertificateReloader, type KeyPairFiles, MIN_TLS_VERSION, loadKeyPair } from './tls';

/** Longer than the API server's 90 s idle connection reuse, so it never reuses a closed socket. */
const KEEP_ALIVE_TIMEOUT_MS = 120_000;
/** A client that has not sent its headers by then gets 408 (checked every second). */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** A connection that has not completed its TLS handshake by then is closed. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Open connections; more are refused. The API servers keep a few each. */
const MAX_CONNECTIONS = 512;

interface WebhookServerOptions extends WebhookAppOptions, KeyPairFiles {
  port: number;
  host?: string;
  /** Period of the certificate files re-read (the directory is also watched). */
  certReloadIntervalMs?: number;
  keepAliveTimeoutMs?: number;
  headersTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  maxConnections?: number;
}

export interface WebhookServer {
  server: https.Server;
  port: number;
  /** Re-reads the certificate files now; true when a new pair was installed. */
  reloadCertificate(): boolean;
  /** Stops accepting, finishes in-flight requests, closes idle connections, stops the reloader. */
  close(): Promise<void>;
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const pair = loadKeyPair(options);
  const metrics = options.metrics ?? new WebhookMetrics(options.registry);
  metrics.setCertificateNotAfter(pair.notAfter.getTime() / 1000);
  const { app, close: closeApp } = createWebhookApp({ ...options, metrics });
  const server = https.createServer(
    {
      ...expressServerClasses(app),
      cert: pair.cert,
      key: pair.key,
      minVersion: MIN_TLS_VERSION,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS,
      headersTimeout: options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      // Node checks the two timeouts above only this often (default 30 s: a 408 came after ~35 s).
      connectionsCheckingInterval: 1000,
      handshakeTimeout: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
    },
    app,
  );
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS;
  server.maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
  server.on('clientError', answerClientError);
  server.on('tlsClientError', (err) => {
    if (options.logger.isLevelEnabled('debug'))
      options.logger.debug({ err: err.message }, 'TLS handshake failed');
  });
  const reloader = new CertificateReloader(pair, {
    certFile: options.certFile,
    keyFile: options.keyFile,
    intervalMs: options.certReloadIntervalMs ?? 10_000,
    logger: options.logger,
    onReload: (next) => {
      // New handshakes use the new pair; established connections keep theirs.
      server.setSecureContext({ cert: next.cert, key: next.key, minVersion: MIN_TLS_VERSION });
      metrics.recordTlsReload('success');
      metrics.setCertificateNotAfter(next.notAfter.getTime() / 1000);
    },
    onFailure: () => metrics.recordTlsReload('failure'),
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  reloader.start();
  return {
    server,
    port: boundPort(server),
    reloadCertificate: () => reloader.check(),
    close: async () => {
      reloader.stop();
      await closeServer(server);
      await closeApp();
    },
  };
}
