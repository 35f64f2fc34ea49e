/**
 * The webhook's express 5 app: `POST /validate` on a fast path (the body is read and parsed here,
 * the answer is written with `res.end`) with its caps (body size, requests and bytes in flight),
 * plus `/healthz`, `/readyz`, `/metrics`. Every error is answered as JSON. TLS and listening are
 * server.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type Health, createHealthRouter } from '../core/runtime';
import { errorBody, sendJson } from './answers';
import { HttpError, isJsonContentType, readBody } from './body';
import { WebhookMetrics } from './metrics';
import type { ReviewOptions } from './review';
import { type Decision, decide } from './decide';
import { HEAVY_BODY_BYTES, HeavyReviewer, type WorkerScript } from './heavy';

/**
 * The largest AdmissionReview the API server sends is about 3 MiB (an UPDATE carries the object and
 * the old object, each up to etcd's 1.5 MiB): with headroom, 4 MiB; larger bodies get 413.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** `POST /validate` requests being read or decided at once; more get 429. */
const MAX_IN_FLIGHT = 64;
/** Body bytes held by requests in flight (declared sizes); a request that would pass it gets 429. */
export const MAX_BUFFERED_BYTES = 48 * 1024 * 1024;
const VALIDATE_PATH = '/validate';

export interface WebhookAppOptions {
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

/** The express app; TLS and listening are `startWebhookServer`'s job. */
export function createWebhookApp(options: WebhookAppOptions): WebhookApp {
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
