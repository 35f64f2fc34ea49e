import { EventEmitter, once } from 'node:events';
import { Writable } from 'node:stream';
import type http from 'node:http';
import { Counter } from 'prom-client';
import {
  GracefulShutdown,
  Health,
  boundPort,
  closeServer,
  createLogger,
  createMetricsRegistry,
  durationArg,
  logLevelArg,
  parseDuration,
  portArg,
  redactText,
  startHealthServer,
} from './index';

describe('parseDuration', () => {
  test.each([
    ['0', 0],
    ['500ms', 500],
    ['5s', 5000],
    ['30s', 30000],
    ['1m', 60000],
    ['1m30s', 90000],
    ['1.5h', 5400000],
    [' 2s ', 2000],
  ])('%s -> %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each(['', '5', '-1s', 's', '5x', '5s junk', '1d'])('rejects %j with the reason', (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration .*expected a number with a unit/);
  });

  test('commander parsers reject bad values with InvalidArgumentError', () => {
    expect(durationArg('10s')).toBe(10000);
    expect(() => durationArg('ten')).toThrow(expect.objectContaining({ code: 'commander.invalidArgument' }));
    expect(portArg('8443')).toBe(8443);
    expect(() => portArg('70000')).toThrow(/invalid port/);
    expect(logLevelArg('debug')).toBe('debug');
    expect(() => logLevelArg('loud')).toThrow(/expected one of trace, debug/);
  });
});

describe('logger', () => {
  function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    return { lines, stream };
  }

  test('writes JSON with level names and redacts token-like fields', async () => {
    const { lines, stream } = capture();
    const logger = createLogger({ component: 'test', destination: stream });
    logger.info(
      {
        token: 's3cr3t',
        consul: { token: 'abc', addr: 'x' },
        headers: { authorization: 'Bearer zzz', 'x-consul-token': 'q' },
      },
      'hello',
    );
    logger.debug('hidden at info');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    const text = JSON.stringify(lines[0]);
    expect(text).not.toMatch(/s3cr3t|"abc"|zzz|"q"/);
    expect(lines[0]).toMatchObject({ level: 'info', component: 'test', msg: 'hello', consul: { addr: 'x' } });
  });

  test('text format: one human-readable line per entry, redacted the same way', async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ component: 'test', destination: stream, format: 'text' });
    logger.warn({ token: 's3cr3t', node: 'k8s-sync', headers: { 'x-consul-token': 'q' } }, 'watch failed');
    logger.debug('hidden at info');
    await new Promise((resolve) => setImmediate(resolve));
    const text = chunks.join('');
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(text).toMatch(/^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] WARN: test: watch failed \{.*"node":"k8s-sync"/);
    expect(text).not.toMatch(/s3cr3t|"q"|^\{/);
  });

  test('redactText hides credentials in URLs and headers', () => {
    const out = redactText(
      'push https://user:ghp_abcdef@github.com/x.git?token=zzz failed; Bearer abcdefghijkl',
    );
    expect(out).not.toMatch(/ghp_abcdef|zzz|abcdefghijkl/);
    expect(out).toContain('github.com/x.git');
  });
});

describe('health server', () => {
  let server: http.Server;
  const health = new Health();
  let cachesSynced = false;
  const registry = createMetricsRegistry({ defaultLabels: { component: 'test' } });
  const hits = new Counter({ name: 'test_hits_total', help: 'hits', registers: [registry] });

  beforeAll(async () => {
    health.addReadinessCheck('caches-synced', () => cachesSynced);
    server = await startHealthServer({ port: 0, host: '127.0.0.1', health, registry });
  });
  afterAll(() => closeServer(server));

  const get = (path: string) => fetch(`http://127.0.0.1:${boundPort(server)}${path}`);

  test('livez is always ok; healthz follows the health checks, not readiness', async () => {
    let attention = false;
    health.addHealthCheck('needs-attention', () => !attention);
    expect((await get('/livez')).status).toBe(200);
    expect((await get('/healthz')).status).toBe(200);
    attention = true;
    const res = await get('/healthz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unhealthy', failing: ['needs-attention'] });
    expect((await get('/livez')).status).toBe(200);
    attention = false;
  });

  test('healthz is ok without failing health checks; readyz follows the checks and shutdown', async () => {
    expect((await get('/healthz')).status).toBe(200);
    let res = await get('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not ready', failing: ['caches-synced'] });
    expect((await get('/health/ready')).status).toBe(503);
    cachesSynced = true;
    expect((await get('/readyz')).status).toBe(200);
    expect((await get('/health/ready')).status).toBe(200);
    health.markShuttingDown();
    res = await get('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not ready', failing: ['shutting-down'] });
  });

  test('metrics include process metrics and component metrics', async () => {
    hits.inc();
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^process_cpu_user_seconds_total\{component="test"\}/m);
    expect(text).toMatch(/^test_hits_total\{component="test"\} 1$/m);
  });

  test('unknown paths get a JSON 404', async () => {
    const res = await get('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found' });
  });
});

describe('GracefulShutdown', () => {
  test('on SIGTERM: unready, waits, runs hooks in order, exits 0', async () => {
    const signals = new EventEmitter();
    const health = new Health();
    const events: string[] = [];
    const exited = new EventEmitter();
    const shutdown = new GracefulShutdown({
      delayMs: 20,
      health,
      signalSource: signals,
      exit: (code) => exited.emit('exit', code),
    })
      .onDrain('first', async () => {
        events.push(`first ready=${health.readiness().ready}`);
      })
      .onDrain('second', () => {
        events.push('second');
      })
      .install();
    const exit = once(exited, 'exit');
    signals.emit('SIGTERM', 'SIGTERM');
    expect(health.readiness().ready).toBe(false);
    expect(events).toEqual([]);
    expect(await exit).toEqual([0]);
    expect(events).toEqual(['first ready=false', 'second']);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
    expect(shutdown.started).toBe(true);
  });

  test('a failing hook still runs the next ones and exits 1; a second signal exits 1 at once', async () => {
    const signals = new EventEmitter();
    const codes: number[] = [];
    let ran = false;
    const shutdown = new GracefulShutdown({
      delayMs: 0,
      signalSource: signals,
      exit: (code) => codes.push(code),
    })
      .onDrain('broken', () => {
        throw new Error('boom');
      })
      .onDrain('after', () => {
        ran = true;
      })
      .install();
    const done = shutdown.shutdown('test');
    signals.emit('SIGINT', 'SIGINT');
    expect(await done).toBe(1);
    expect(ran).toBe(true);
    expect(codes).toEqual([1, 1]);
  });

  test('draining is bounded by drainTimeoutMs', async () => {
    const codes: number[] = [];
    const shutdown = new GracefulShutdown({
      delayMs: 0,
      drainTimeoutMs: 10,
      signalSource: new EventEmitter(),
      exit: (code) => codes.push(code),
    }).onDrain('stuck', () => new Promise<void>(() => undefined));
    expect(await shutdown.shutdown('test')).toBe(1);
    expect(codes).toEqual([1]);
  });
});
