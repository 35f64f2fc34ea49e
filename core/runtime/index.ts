/**
 * Runtime pieces every long-running command shares.
 *
 * Logging (`logger.ts`)
 *   createLogger({ level?, component?, destination? }): Logger  pino JSON lines to stderr; fields named
 *     token/password/secret/authorization/apiKey/privateKey/cookie/x-consul-token (top level, one
 *     level down, or under `headers`) are replaced by "[REDACTED]".
 *   redactText(text): string  hides credentials in free text (URL userinfo, ?token=, Bearer ...).
 *   LOG_LEVELS, LogLevel, DEFAULT_LOG_LEVEL ('info').
 *
 * Metrics (`metrics.ts`)
 *   createMetricsRegistry({ defaultMetrics? = true, defaultLabels? }): Registry  a fresh prom-client
 *     registry with process/Node metrics. Define your own metrics on it with
 *     `registers: [registry]`; labels must be low-cardinality (never names, namespaces, uids).
 *   Counter, Gauge, Histogram, Registry re-exported from prom-client.
 *
 * Health (`health.ts`)
 *   new Health(); health.addReadinessCheck(name, () => boolean); health.markShuttingDown();
 *     health.readiness(): { ready, failing[] }  (not ready while shutting down).
 *     health.addHealthCheck(name, () => boolean): conditions that need a person, not a restart.
 *   createHealthRouter(health, registry): express Router  GET /livez (200 while serving: liveness),
 *     GET /healthz (200 {status:'ok'} | 503 {status:'unhealthy', failing}),
 *     GET /readyz (200 {status:'ready'} | 503 {status:'not ready', failing}), GET /metrics.
 *   startHealthServer({ port, host? = all interfaces, health, registry }): Promise<http.Server>
 *   closeServer(server, graceMs? = 10s): stop accepting, finish in-flight requests, close idle sockets;
 *     after graceMs the remaining connections are closed.
 *   boundPort(server): the port actually bound (for port 0 in tests).
 *
 * Shutdown (`shutdown.ts`)
 *   new GracefulShutdown({ delayMs, drainTimeoutMs? = 30s, health?, logger?, exit?, signalSource?,
 *     signals? = SIGTERM,SIGINT }).onDrain(name, hook).install()
 *   On the first signal: health unready -> wait delayMs (still serving) -> drain hooks in order ->
 *   exit(0) (exit(1) if a hook threw or draining timed out). A second signal exits 1 at once.
 *   shutdown(reason) runs the same sequence programmatically; resolves with the exit code.
 *   Tests inject `exit` and an EventEmitter as `signalSource`.
 *
 * Config (`config.ts`)
 *   parseDuration('1m30s') -> 90000 (ms; Go syntax ms/s/m/h, '0'); throws Error with the reason.
 *   commander argParsers, each throwing InvalidArgumentError with the reason: durationArg (ms),
 *   positiveDurationArg (ms, > 0), portArg (0-65535), positiveIntArg, logLevelArg.
 */
export * from './logger';
export * from './metrics';
export * from './health';
export * from './shutdown';
export * from './config';
export * from './sync-flags';
