/**
 * Webhook benchmark: the webhook against a bare `node:https` server in the same run, same client
 * (autocannon over HTTPS keep-alive), same realistic ~4 KB UPDATE review. Each server runs in its
 * own child process (the client must not share its event loop). Reports max throughput ratio,
 * p99 at a steady 500 requests/s, reference express variants, and per-stage costs in the request
 * path measured in-process. `WEBHOOK_BENCH_SECONDS` (default 8) sets the length of each run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import express from 'express';
import { Health, createLogger, createMetricsRegistry } from '../core/runtime';
import { WebhookMetrics } from '../webhook/metrics';
import { admissionReviewOf, parseAdmissionReview, serializeReview } from '../webhook/admission';
import { reviewAdmission } from '../webhook/review';
import { expressServerClasses } from '../webhook/express-classes';
import { startWebhookServer } from '../webhook/server';
import { createTestCa } from '../test/support/pki';
import { admissionReview, realisticUpdateReview } from '../test/support/webhook/reviews';
import { runHostileScenario } from '../test/support/webhook/hostile-run';

interface AutocannonResult {
  requests: { average: number; total: number };
  errors: number;
  non2xx: number;
  timeouts: number;
}
interface AutocannonInstance extends Promise<AutocannonResult> {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (options: Record<string, unknown>) => AutocannonInstance;
// autocannon ships no type declarations.
const autocannon = createRequire(__filename)('autocannon') as Autocannon;

const VARIANTS = {
  bare: 'bare node:https: read body, JSON.parse, fixed allowed review',
  'express-json': 'express 5 with express.json() and res.json() (reference)',
  'express-raw': 'express 5 route reading the body itself, res.end (reference)',
  'express-raw-classes': 'the same route, server created with express-prototype request/response classes',
  webhook: 'the webhook (express 5, full review, metrics, logging)',
} as const;
type Variant = keyof typeof VARIANTS;

const FIXED_ALLOWED = JSON.stringify(admissionReviewOf({ uid: 'fixed', allowed: true }));

function readAll(req: IncomingMessage, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => done(Buffer.concat(chunks)));
}

function answerFixed(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(FIXED_ALLOWED),
  });
  res.end(FIXED_ALLOWED);
}

/** Child process: serve one variant on a random port and report it to the parent. */
async function serveVariant(variant: Variant, certFile: string, keyFile: string): Promise<void> {
  const tls = {
    cert: fs.readFileSync(certFile),
    key: fs.readFileSync(keyFile),
    minVersion: 'TLSv1.2' as const,
  };
  let server: https.Server;
  if (variant === 'webhook') {
    const webhook = await startWebhookServer({
      port: 0,
      host: '127.0.0.1',
      certFile,
      keyFile,
      review: { mode: 'enforce', analyze: { syncTag: 'k8s' } },
      logger: createLogger({ component: 'webhook' }),
      registry: createMetricsRegistry(),
      health: new Health(),
    });
    server = webhook.server;
  } else {
    let handler: (req: IncomingMessage, res: ServerResponse) => void;
    let classes = {};
    if (variant === 'bare') {
      handler = (req, res) =>
        readAll(req, (body) => {
          JSON.parse(body.toString('utf8'));
          answerFixed(res);
        });
    } else if (variant === 'express-json') {
      const app = express();
      app.use(express.json({ limit: '4mb' }));
      app.post('/validate', (req, res) => {
        const uid = (req.body as { request?: { uid?: string } }).request?.uid;
        res.json(admissionReviewOf({ uid: uid ?? '', allowed: true }));
      });
      handler = app;
    } else {
      const app = express();
      app.post('/validate', (req, res) =>
        readAll(req, (body) => {
          JSON.parse(body.toString('utf8'));
          answerFixed(res);
        }),
      );
      handler = app;
      if (variant === 'express-raw-classes') classes = expressServerClasses(app);
    }
    server = https.createServer({ ...tls, ...classes, keepAliveTimeout: 120_000 }, handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }
  // CPU time per request is robust to other load on the machine; the parent asks for it.
  let last = process.cpuUsage();
  process.on('message', (message) => {
    if (message !== 'cpu') return;
    const used = process.cpuUsage(last);
    last = process.cpuUsage();
    process.send?.({ cpuMicros: used.user + used.system });
  });
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
}

interface RunningVariant {
  port: number;
  child: ChildProcess;
}

function startVariant(variant: Variant, certFile: string, keyFile: string): Promise<RunningVariant> {
  const child = fork(__filename, ['--serve-variant', variant, certFile, keyFile], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${variant} server did not start`)), 20_000);
    child.once('message', (message: { port: number }) => {
      clearTimeout(timer);
      resolve({ port: message.port, child });
    });
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
}

function cpuMicros(running: RunningVariant): Promise<number> {
  return new Promise((resolve) => {
    running.child.once('message', (message: { cpuMicros: number }) => resolve(message.cpuMicros));
    running.child.send('cpu');
  });
}

async function stopVariant(running: RunningVariant): Promise<void> {
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGKILL');
  await exited;
}

interface LoadResult {
  rps: number;
  /** Server CPU time per request, µs. */
  cpuPerRequest: number;
  errors: number;
  /** Response times in ms, sorted. */
  latencies: number[];
}

const percentile = (sorted: number[], q: number): number =>
  sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;

async function load(
  running: RunningVariant,
  ca: string,
  body: string,
  seconds: number,
  rate?: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  await cpuMicros(running);
  const instance = autocannon({
    url: `https://127.0.0.1:${running.port}/validate`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: 10,
    pipelining: 1,
    duration: seconds,
    servername: 'localhost',
    tlsOptions: { ca },
    ...(rate ? { overallRate: rate } : {}),
  });
  instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  const result = await instance;
  const cpu = await cpuMicros(running);
  latencies.sort((a, b) => a - b);
  return {
    rps: result.requests.total / seconds,
    cpuPerRequest: cpu / Math.max(1, result.requests.total),
    errors: result.errors + result.non2xx + result.timeouts,
    latencies,
  };
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** Microseconds per call of `fn`, after a warm-up. */
function microseconds(fn: () => void, iterations = 20_000): number {
  for (let i = 0; i < 2000; i++) fn();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return ((performance.now() - start) * 1000) / iterations;
}

/** In-process cost of each step of the request path, on the benchmark's review. */
function stageCosts(body: string): [string, number][] {
  const buffer = Buffer.from(body);
  const parsed = JSON.parse(body) as unknown;
  const envelope = parseAdmissionReview(parsed);
  if (!envelope.ok) throw new Error(envelope.message);
  const outcome = reviewAdmission(envelope.request, { mode: 'enforce' });
  const bad = parseAdmissionReview(
    admissionReview({
      annotations: {
        'consul.hashicorp.com/service-port': '0x10000',
        'consul.hashicorp.com/service-sync': 'yes',
      },
    }),
  );
  if (!bad.ok) throw new Error(bad.message);
  const denied = reviewAdmission(bad.request, { mode: 'enforce' });
  const metrics = new WebhookMetrics(createMetricsRegistry({ defaultMetrics: false }));
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const logger = createLogger({ destination: sink });
  return [
    [
      'body parsing: Buffer -> string -> JSON.parse (4.4 KB)',
      microseconds(() => JSON.parse(buffer.toString('utf8'))),
    ],
    ['envelope check (parseAdmissionReview)', microseconds(() => parseAdmissionReview(parsed))],
    [
      'validation: reviewAdmission (annotation rules, ratcheting)',
      microseconds(() => reviewAdmission(envelope.request, { mode: 'enforce' })),
    ],
    [
      'serialisation: allowed answer from the template',
      microseconds(() => serializeReview(outcome.response)),
    ],
    [
      'serialisation: JSON.stringify of the same answer',
      microseconds(() => JSON.stringify(admissionReviewOf(outcome.response))),
    ],
    ['serialisation: a denial (JSON.stringify)', microseconds(() => serializeReview(denied.response))],
    [
      'metrics: count + observe (cached label children)',
      microseconds(() => metrics.recordRequest('UPDATE', 'allowed', 0.0004)),
    ],
    ['logging: allowed request (level check only)', microseconds(() => logger.isLevelEnabled('debug'))],
    [
      'logging: one denial line (pino, JSON)',
      microseconds(
        () =>
          logger.info(
            { uid: 'u', namespace: 'shop', name: 'web', operation: 'UPDATE', rules: denied.deniedRules },
            'admission denied',
          ),
        5000,
      ),
    ],
  ];
}

const fmt = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export async function benchWebhook(): Promise<void> {
  const seconds = Number(process.env.WEBHOOK_BENCH_SECONDS ?? 8);
  const rounds = 3;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-bench-'));
  const ca = createTestCa();
  const pair = ca.issue({ commonName: 'webhook', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const certFile = path.join(dir, 'tls.crt');
  const keyFile = path.join(dir, 'tls.key');
  fs.writeFileSync(certFile, pair.certPem);
  fs.writeFileSync(keyFile, pair.keyPem);
  const body = JSON.stringify(realisticUpdateReview());
  console.log(
    `review: UPDATE, ${Buffer.byteLength(body)} bytes; autocannon, 10 HTTPS keep-alive connections, ${seconds} s runs`,
  );

  const servers = new Map<Variant, RunningVariant>();
  try {
    for (const variant of Object.keys(VARIANTS) as Variant[]) {
      const running = await startVariant(variant, certFile, keyFile);
      servers.set(variant, running);
      await load(running, ca.certPem, body, 2); // warm-up (JIT, TLS session)
    }
    const throughput = new Map<Variant, number[]>();
    const cpu = new Map<Variant, number[]>();
    const errors = new Map<Variant, number>();
    // Alternate the servers so drifts in machine load hit all of them alike.
    for (let round = 0; round < rounds; round++) {
      for (const [variant, running] of servers) {
        if (round > 0 && variant.startsWith('express')) continue; // references: one round is enough
        const result = await load(running, ca.certPem, body, seconds);
        throughput.set(variant, [...(throughput.get(variant) ?? []), result.rps]);
        cpu.set(variant, [...(cpu.get(variant) ?? []), result.cpuPerRequest]);
        errors.set(variant, (errors.get(variant) ?? 0) + result.errors);
      }
    }
    // Steady rate: alternating rounds, latencies pooled per server, so machine noise hits both alike.
    const steady = new Map<Variant, LoadResult[]>();
    for (let round = 0; round < rounds; round++) {
      for (const variant of ['bare', 'webhook'] as const) {
        const result = await load(servers.get(variant)!, ca.certPem, body, seconds, 500);
        steady.set(variant, [...(steady.get(variant) ?? []), result]);
      }
    }

    const bare = median(throughput.get('bare') ?? []);
    const cpuOf = (variant: Variant): number => median(cpu.get(variant) ?? []);
    console.log(
      '\n| server | req/s (median) | ratio to bare | server CPU µs/request | CPU ratio (bare/this) | errors |',
    );
    console.log('|---|---|---|---|---|---|');
    for (const [variant, values] of throughput) {
      const rps = median(values);
      console.log(
        `| ${VARIANTS[variant]} | ${fmt(rps, 0)} | ${fmt(rps / bare)} | ${fmt(cpuOf(variant), 1)} | ${fmt(cpuOf('bare') / cpuOf(variant))} | ${errors.get(variant)} |`,
      );
    }
    console.log(
      `\n| at a steady 500 req/s (${rounds} alternating rounds pooled) | p50 ms | p99 ms | p99 per round, ms | server CPU µs/request | errors |`,
    );
    console.log('|---|---|---|---|---|---|');
    const steadyP99 = new Map<Variant, number>();
    for (const [variant, results] of steady) {
      const pooled = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
      steadyP99.set(variant, percentile(pooled, 0.99));
      const perRound = results.map((r) => fmt(percentile(r.latencies, 0.99), 3)).join(', ');
      const cpuPerRequest = median(results.map((r) => r.cpuPerRequest));
      const failed = results.reduce((sum, r) => sum + r.errors, 0);
      console.log(
        `| ${variant} | ${fmt(percentile(pooled, 0.5), 3)} | ${fmt(percentile(pooled, 0.99), 3)} | ${perRound} | ${fmt(cpuPerRequest, 1)} | ${failed} |`,
      );
    }
    const webhookRatio = median(throughput.get('webhook') ?? []) / bare;
    const p99Delta = steadyP99.get('webhook')! - steadyP99.get('bare')!;
    console.log(
      `\nthroughput ratio webhook/bare: ${fmt(webhookRatio)} (goal >= 0.50: ${webhookRatio >= 0.5 ? 'met' : 'NOT met'}); ` +
        `p99 at 500 req/s: ${p99Delta >= 0 ? '+' : ''}${fmt(p99Delta, 3)} ms vs bare (goal <= 1 ms: ${p99Delta <= 1 ? 'met' : 'NOT met'})`,
    );
    console.log('\n| cost in the request path (server CPU per request, from the runs above) | µs |');
    console.log('|---|---|');
    const costs: [string, number][] = [
      [
        'express 5 prototype switching (avoided by the request/response classes)',
        cpuOf('express-raw') - cpuOf('express-raw-classes'),
      ],
      ['express 5 routing and bookkeeping (with the classes)', cpuOf('express-raw-classes') - cpuOf('bare')],
      [
        'express.json() + res.json() instead of reading the body and res.end',
        cpuOf('express-json') - cpuOf('express-raw'),
      ],
      [
        "the webhook's own work (envelope, review, serialisation, metrics, logging)",
        cpuOf('webhook') - cpuOf('express-raw-classes'),
      ],
    ];
    for (const [what, us] of costs) console.log(`| ${what} | ${fmt(us, 1)} |`);
  } finally {
    for (const running of servers.values()) await stopVariant(running);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  console.log('\n| request path step (in-process) | µs per request |');
  console.log('|---|---|');
  for (const [step, us] of stageCosts(body)) console.log(`| ${step} | ${fmt(us)} |`);
}

if (require.main === module && process.argv[2] === '--serve-variant') {
  const [, , , variant, certFile, keyFile] = process.argv;
  serveVariant(variant as Variant, certFile!, keyFile!).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}

/**
 * `npm run bench -- webhook-hostile`: the webhook CLI under 8 concurrent hostile ~3.9 MiB reviews,
 * repeated (`BENCH_HOSTILE_ROUNDS`, default 3), sent from another process; baseline: the same
 * process's RSS after warm-up, before the load. Reports peak RSS (VmHWM) and small-review latency.
 */
export async function benchWebhookHostile(): Promise<void> {
  const rounds = Number(process.env.BENCH_HOSTILE_ROUNDS ?? 3);
  const result = await runHostileScenario(8, rounds);
  const sorted = [...result.smallLatenciesMs].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  console.log(`8 concurrent hostile 3.9 MiB reviews x ${rounds} rounds (from another process)`);
  console.log(`survived: ${result.survived}; hostile answers: ${JSON.stringify(result.hostileStatuses)}`);
  console.log(
    `RSS: baseline ${result.baselineRssMb.toFixed(0)} MB, peak ${result.peakRssMb.toFixed(0)} MB (target < 400 MB)`,
  );
  console.log(
    `small review + /healthz during the load: ${sorted.length} samples, median ${pick(0.5).toFixed(0)} ms, max ${pick(1).toFixed(0)} ms (target < 1000 ms)`,
  );
}
