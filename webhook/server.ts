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
import type { ReviewOptions } from './review';
import { type Decision, decide } from './decide';
import { HEAVY_BODY_BYTES, HeavyReviewer, type WorkerScript } from './heavy';
import { CertificateReloader, type KeyPairFiles, MIN_TLS_VERSION, loadKeyPair } from './tls';

/**
 * The largest AdmissionReview the API server sends is about 3 MiB (an UPDATE carries the object and
 * the old object, each up to etcd's 1.5 MiB): with headroom, 4 MiB; larger bodies get 413.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** `POST /validate` requests being read or decided at once; more get 429. */
const MAX_IN_FLIGHT = 64;
/** Body bytes held by requests in flight (declared sizes); a request that would pass it gets 429. */
export const MAX_BUFFERED_BYTES = 48 * 1024 * 1024;
/** Longer than the API server's 90 s idle connection reuse, so it never reuses a closed socket. */
const KEEP_ALIVE_TIMEOUT_MS = 120_000;
/** A client that has not sent its headers by then gets 408 (checked every second). */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** A connection that has not completed its TLS handshake by then is closed. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Open connections; more are refused. The API servers keep a few each. */
const MAX_CONNECTIONS = 512;
const VALIDATE_PATH = '/validate';

interface WebhookAppOptions {
  review: ReviewOptions;
  logger: Logger;
  registry: Registry;
  health: Health;
  /** Created on `registry` when not given; pass one to share it with the TLS reloader. */
  metrics?: WebhookMetrics;
  maxBodyBytes?: number;
  /** The review worker for large bodies (the compiled script by default). */
  reviewWorker?: WorkerScript;
}

/** The app and what must be stopped with it. */
interface WebhookApp {
  app: Express;
  close(): Promise<void>;
}

const HTTP_REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
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
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
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
function createWebhookApp(options: WebhookAppOptions): WebhookApp {
  const { logger, health } = options;
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const metrics = options.metrics ?? new WebhookMetrics(options.registry);
  const heavy = new HeavyReviewer(options.review, options.reviewWorker, (reason) =>
    logger.warn({ reason }, 'review worker stopped; starting a new one'),
  );
  let inFlight = 0;
  let buffered = 0;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const fail = (res: ServerResponse, started: number, err: HttpError): void => {
    metrics.recordRequest('unknown', 'bad_request', (performance.now() - started) / 1000);
    if (err.status === 429) res.setHeader('retry-after', '1');
    sendJson(res, err.status, errorBody(err.status, err.message), health.isShuttingDown);
  };

  const answer = (res: ServerResponse, started: number, decision: Decision): void => {
    if (!decision.ok) {
      fail(res, started, new HttpError(decision.status, decision.message));
      return;
    }
    const { review } = decision;
    sendJson(res, 200, decision.body, health.isShuttingDown);
    if (review.findings.length > 0) metrics.recordFindings(review.findings);
    metrics.recordRequest(review.operation, review.verdict, (performance.now() - started) / 1000);
    const { uid, namespace, name, operation } = review;
    if (review.verdict === 'denied') {
      logger.info({ uid, namespace, name, operation, rules: review.deniedRules }, 'admission denied');
    } else if (logger.isLevelEnabled('debug')) {
      logger.debug({ uid, namespace, name, operation, verdict: review.verdict }, 'admission allowed');
    }
  };

  const handle = (res: ServerResponse, started: number, body: Buffer): void => {
    // Large bodies are decided off this thread, so probes and small reviews are never stalled.
    if (body.length > HEAVY_BODY_BYTES) heavy.decide(body, (decision) => answer(res, started, decision));
    else answer(res, started, decide(body.toString('utf8'), options.review));
  };

  app.post(VALIDATE_PATH, (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const declared = Number(req.headers['content-length'] ?? NaN);
    const reserved = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, limit) : limit;
    if (inFlight >= MAX_IN_FLIGHT || buffered + reserved > MAX_BUFFERED_BYTES) {
      fail(res, started, new HttpError(429, 'too many requests in flight; retry'));
      return;
    }
    inFlight++;
    buffered += reserved;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      inFlight--;
      buffered -= reserved;
    };
    res.once('finish', release);
    res.once('close', release);
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
  return { app, close: () => heavy.close() };
}

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
