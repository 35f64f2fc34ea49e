/**
 * The webhook's HTTPS server: express 5 with `POST /validate` on a fast path (the body is read and
 * parsed here, the answer is written with `res.end`), plus `/healthz`, `/readyz`, `/metrics`.
 * Every error is answered as JSON; nothing is answered as HTML or with a stack trace.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type Health, boundPort, closeServer, createHealthRouter } from '../core/runtime';
import { HttpError, isJsonContentType, readBody } from './body';
import { expressServerClasses } from './express-classes';
import { WebhookMetrics } from './metrics';
import {
  type ReviewOptions,
  parseAdmissionReview,
  reviewAdmission,
  serializeReview,
  subjectOf,
} from './review';
import { CertificateReloader, type KeyPairFiles, MIN_TLS_VERSION, loadKeyPair } from './tls';

/** The API server sends at most 3 MiB; a little headroom, then 413. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Longer than the API server's 90 s idle connection reuse, so it never reuses a closed socket. */
export const KEEP_ALIVE_TIMEOUT_MS = 120_000;
export const VALIDATE_PATH = '/validate';

export interface WebhookAppOptions {
  review: ReviewOptions;
  logger: Logger;
  registry: Registry;
  health: Health;
  /** Created on `registry` when not given; pass one to share it with the TLS reloader. */
  metrics?: WebhookMetrics;
  maxBodyBytes?: number;
}

const HTTP_REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
};

function sendJson(res: ServerResponse, status: number, body: string, closeConnection: boolean): void {
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  // While shutting down, move keep-alive clients to other replicas.
  if (closeConnection) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

function errorBody(status: number, message: string): string {
  return JSON.stringify({ code: status, error: HTTP_REASONS[status] ?? 'Error', message });
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request did not arrive in time'],
};

/**
 * Node's own answer to a request it cannot parse has no body; ours is the same JSON error as every
 * other. Like Node's default, it answers only when nothing of a response was sent yet, then closes.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!socket.writable || (inFlight && inFlight.headersSent)) {
    socket.destroy();
    return;
  }
  const [status, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'malformed HTTP request'];
  const body = errorBody(status, message);
  // Destroying right after a write would lose it under TLS: end, then destroy once flushed (bounded).
  const giveUp = setTimeout(() => socket.destroy(), 2000);
  giveUp.unref();
  socket.end(
    `HTTP/1.1 ${status} ${HTTP_REASONS[status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => {
      clearTimeout(giveUp);
      socket.destroy();
    },
  );
}

/** The express app; TLS and listening are `startWebhookServer`'s job. */
export function createWebhookApp(options: WebhookAppOptions): Express {
  const { logger, health } = options;
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const metrics = options.metrics ?? new WebhookMetrics(options.registry);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const fail = (res: ServerResponse, started: number, err: HttpError): void => {
    metrics.recordRequest('unknown', 'bad_request', (performance.now() - started) / 1000);
    sendJson(res, err.status, errorBody(err.status, err.message), health.isShuttingDown);
  };

  const handle = (res: ServerResponse, started: number, body: Buffer): void => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      fail(res, started, new HttpError(400, 'request body is not valid JSON'));
      return;
    }
    const envelope = parseAdmissionReview(parsed);
    if (!envelope.ok) {
      fail(res, started, new HttpError(400, `not an AdmissionReview: ${envelope.message}`));
      return;
    }
    const outcome = reviewAdmission(envelope.request, options.review);
    sendJson(res, 200, serializeReview(outcome.response), health.isShuttingDown);
    if (outcome.findings.length > 0) metrics.recordFindings(outcome.findings);
    metrics.recordRequest(outcome.operation, outcome.verdict, (performance.now() - started) / 1000);
    const request = envelope.request;
    if (outcome.verdict === 'denied') {
      const { namespace, name } = subjectOf(request);
      logger.info(
        { uid: request.uid, namespace, name, operation: outcome.operation, rules: outcome.deniedRules },
        'admission denied',
      );
    } else if (logger.isLevelEnabled('debug')) {
      const { namespace, name } = subjectOf(request);
      logger.debug(
        { uid: request.uid, namespace, name, operation: outcome.operation, verdict: outcome.verdict },
        'admission allowed',
      );
    }
  };

  app.post(VALIDATE_PATH, (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    if (!isJsonContentType(req.headers['content-type'])) {
      const got = req.headers['content-type'] ?? 'none';
      fail(
        res,
        started,
        new HttpError(415, `content type must be application/json, got ${JSON.stringify(got.slice(0, 80))}`),
      );
      // Let Node discard the unread body so the connection stays usable.
      return;
    }
    readBody(req, limit, (err, body) => {
      if (err) {
        fail(res, started, err);
        return;
      }
      // Runs from a stream event, outside express's error handling: never let it throw.
      try {
        handle(res, started, body!);
      } catch (failure) {
        logger.error({ err: failure instanceof Error ? failure.message : String(failure) }, 'review failed');
        if (!res.headersSent) sendJson(res, 500, errorBody(500, 'internal error'), health.isShuttingDown);
      }
    });
  });
  app.all(VALIDATE_PATH, (_req, res) => {
    res.setHeader('allow', 'POST');
    sendJson(res, 405, errorBody(405, `use POST ${VALIDATE_PATH}`), health.isShuttingDown);
  });
  app.use(createHealthRouter(health, options.registry));
  app.use((req: Request, res: Response) => {
    sendJson(res, 404, errorBody(404, `no route for ${req.method} ${req.path}`), health.isShuttingDown);
  });
  // Express's default handler answers HTML with a stack trace: never let an error reach it.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status =
      typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
    const known = status >= 400 && status < 500;
    if (!known) logger.error({ err: err instanceof Error ? err.message : String(err) }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const message = known && err instanceof Error ? err.message : 'internal error';
    sendJson(res, known ? status : 500, errorBody(known ? status : 500, message), health.isShuttingDown);
  });
  return app;
}

export interface WebhookServerOptions extends WebhookAppOptions, KeyPairFiles {
  port: number;
  host?: string;
  /** Period of the certificate files re-read (the directory is also watched). */
  certReloadIntervalMs?: number;
  keepAliveTimeoutMs?: number;
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
  const app = createWebhookApp({ ...options, metrics });
  const server = https.createServer(
    {
      ...expressServerClasses(app),
      cert: pair.cert,
      key: pair.key,
      minVersion: MIN_TLS_VERSION,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS,
      headersTimeout: 20_000,
      requestTimeout: 30_000,
    },
    app,
  );
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS;
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
    },
  };
}
