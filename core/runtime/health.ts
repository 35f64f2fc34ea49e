/**
 * Liveness, readiness and metrics endpoints. `Health` holds the readiness state (checks registered
 * by the component, and "shutting down"); `createHealthRouter` serves it on an existing express
 * app; `startHealthServer` serves it on its own HTTP port for components without one.
 */
import http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type Router } from 'express';
import type { Registry } from 'prom-client';

/** Returns true when this part of the component is ready. Must be cheap and synchronous. */
export type ReadinessCheck = () => boolean;

interface ReadinessReport {
  ready: boolean;
  /** Names of the checks that are failing (`shutting-down` while shutting down). */
  failing: string[];
}

export class Health {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly healthChecks = new Map<string, ReadinessCheck>();
  private shuttingDown = false;

  /** Registers (or replaces) a named readiness check. */
  addReadinessCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /**
   * Registers (or replaces) a named health check: a condition that needs an operator (`/healthz`
   * 503) but that a restart would not fix, so liveness (`/livez`) is unaffected.
   */
  addHealthCheck(name: string, check: ReadinessCheck): void {
    this.healthChecks.set(name, check);
  }

  /** The health checks that are failing; healthy when none. */
  health(): ReadinessReport {
    const failing = failingChecks(this.healthChecks);
    return { ready: failing.length === 0, failing };
  }

  /** From now on the component reports not ready (called by the shutdown sequence). */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  readiness(): ReadinessReport {
    const failing = [...(this.shuttingDown ? ['shutting-down'] : []), ...failingChecks(this.checks)];
    return { ready: failing.length === 0, failing };
  }
}

/** Names of the checks that return false or throw. */
function failingChecks(checks: ReadonlyMap<string, ReadinessCheck>): string[] {
  const failing: string[] = [];
  for (const [name, check] of checks) {
    let ok = false;
    try {
      ok = check();
    } catch {
      ok = false;
    }
    if (!ok) failing.push(name);
  }
  return failing;
}

/**
 * `GET /livez` (200 while the process serves: the liveness probe), `GET /healthz` (200, or 503 while
 * a health check fails), `GET /readyz` (200 or 503; also at `/health/ready`, consul-k8s's
 * readiness path, so probes copied from its manifests keep working), `GET /metrics`.
 */
export function createHealthRouter(health: Health, registry: Registry): Router {
  const router = express.Router();
  router.get('/livez', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  router.get('/healthz', (_req, res) => {
    const report = health.health();
    res
      .status(report.ready ? 200 : 503)
      .json(report.ready ? { status: 'ok' } : { status: 'unhealthy', failing: report.failing });
  });
  router.get(['/readyz', '/health/ready'], (_req, res) => {
    const report = health.readiness();
    res
      .status(report.ready ? 200 : 503)
      .json(report.ready ? { status: 'ready' } : { status: 'not ready', failing: report.failing });
  });
  router.get('/metrics', async (_req, res, next) => {
    try {
      const body = await registry.metrics();
      res.status(200).type(registry.contentType).send(body);
    } catch (err) {
      next(err);
    }
  });
  return router;
}

interface HealthServerOptions {
  port: number;
  /** Default: all interfaces (`::` where IPv6 exists, else `0.0.0.0`); probes come from the kubelet. */
  host?: string;
  health: Health;
  registry: Registry;
}

/** Starts a plain HTTP server with the health router; resolves once listening. */
export async function startHealthServer(options: HealthServerOptions): Promise<http.Server> {
  const app = express();
  app.disable('x-powered-by');
  app.use(createHealthRouter(options.health, options.registry));
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** The port a listening server is bound to (useful with port 0 in tests). */
export function boundPort(server: { address(): AddressInfo | string | null }): number {
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('server is not listening on a TCP port');
  return address.port;
}

/** Closes a server: stops accepting, lets in-flight requests finish, closes idle keep-alive sockets. */
export async function closeServer(server: http.Server | https.Server, graceMs = 10_000): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const forced = setTimeout(() => server.closeAllConnections(), graceMs);
  forced.unref();
  await closed;
  clearTimeout(forced);
}
