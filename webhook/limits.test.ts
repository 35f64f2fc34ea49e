/**
 * The server's bounds, over real HTTPS on 127.0.0.1: large reviews off the event loop, requests in
 * flight and buffered bytes capped, header and TLS handshake timeouts, a connection cap, and the
 * uid check (issue 10, findings 2 and 10).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { Health, createLogger, createMetricsRegistry } from '../core/runtime';
import { MAX_BUFFERED_BYTES, MAX_BODY_BYTES } from './app';
import { type WebhookServer, startWebhookServer } from './server';
import { createTestCa } from '../test/support/pki';
import { request } from '../test/support/webhook/client';
import { admissionReview, hostileReview } from '../test/support/webhook/reviews';
import { TS_REVIEW_WORKER } from '../test/support/webhook/worker';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-limits-'));
const ca = createTestCa();
const pair = ca.issue({ commonName: 'webhook', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
const certFile = path.join(tmp, 'tls.crt');
const keyFile = path.join(tmp, 'tls.key');
fs.writeFileSync(certFile, pair.certPem);
fs.writeFileSync(keyFile, pair.keyPem);

const servers: WebhookServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function start(extra: Partial<Parameters<typeof startWebhookServer>[0]> = {}): Promise<WebhookServer> {
  const server = await startWebhookServer({
    port: 0,
    host: '127.0.0.1',
    certFile,
    keyFile,
    review: { mode: 'enforce' },
    logger: createLogger({ level: 'silent' }),
    registry: createMetricsRegistry(),
    health: new Health(),
    reviewWorker: TS_REVIEW_WORKER,
    ...extra,
  });
  servers.push(server);
  return server;
}

const post = (port: number, body: string | Buffer, extra: Record<string, unknown> = {}) =>
  request({ port, ca: ca.certPem, body, timeoutMs: 60_000, ...extra });

test('health and small reviews are answered within 1 s while large hostile reviews are analysed', async () => {
  const server = await start();
  const hostile = Array.from({ length: 4 }, (_, i) => post(server.port, hostileReview(`hostile-${i}`)));
  const latencies: number[] = [];
  const probe = async (): Promise<void> => {
    // The hostile bodies are sent from this process too: start once they are uploaded, while the
    // worker parses them (the end-to-end test sends them from another process).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const [health, small] = await Promise.all([
        request({ port: server.port, ca: ca.certPem, method: 'GET', path: '/healthz' }),
        post(server.port, JSON.stringify(admissionReview({ uid: `small-${i}` }))),
      ]);
      latencies.push(performance.now() - started);
      expect(health.status).toBe(200);
      expect(JSON.parse(small.text)).toMatchObject({ response: { uid: `small-${i}`, allowed: true } });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const [replies] = await Promise.all([Promise.all(hostile), probe()]);
  // Generous (other suites share the cores): a blocked event loop stalls for seconds; the 1 s
  // figure is the benchmark's (`npm run bench -- webhook-hostile`).
  for (const latency of latencies) expect(latency).toBeLessThan(3000);
  // The pile sits where the review never reads: each is decided.
  for (const reply of replies) expect(reply.status).toBe(200);
}, 120_000);

test('a hostile pile where the review reads is refused with 413; one where it never reads is decided', async () => {
  const server = await start();
  const [read, skipped] = await Promise.all([
    post(server.port, hostileReview('in-ports', undefined, 'ports')),
    post(server.port, hostileReview('in-junk')),
  ]);
  // The worker building the pile in spec.ports dies at its heap limit; the process does not.
  expect(read.status).toBe(413);
  expect(read.text).toMatch(/review memory limit/);
  // The pile in spec.junk is scanned past: an ordinary decision for the Service around it.
  expect(skipped.status).toBe(200);
  expect(JSON.parse(skipped.text)).toMatchObject({ response: { uid: 'in-junk', allowed: true } });
  const small = await post(server.port, JSON.stringify(admissionReview({ uid: 'after' })));
  expect(JSON.parse(small.text)).toMatchObject({ response: { uid: 'after', allowed: true } });
}, 120_000);

test('a body over the limit is refused with 413 before it is read', async () => {
  const server = await start();
  const reply = await post(server.port, Buffer.alloc(MAX_BODY_BYTES + 1, 0x20));
  expect(reply.status).toBe(413);
});

test('requests that would hold more than the buffered-bytes cap get 429 with Retry-After', async () => {
  const server = await start();
  const sockets: tls.TLSSocket[] = [];
  const held = Math.floor(MAX_BUFFERED_BYTES / MAX_BODY_BYTES);
  try {
    // Each declares a 4 MiB body and sends none of it: the reservations fill the cap.
    for (let i = 0; i < held; i++) {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: server.port,
        ca: ca.certPem,
        servername: 'localhost',
      });
      await new Promise((resolve) => socket.once('secureConnect', resolve));
      socket.write(
        `POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${MAX_BODY_BYTES}\r\n\r\n`,
      );
      sockets.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await request({
      port: server.port,
      ca: ca.certPem,
      body: Buffer.alloc(1024 * 1024, 0x20),
    });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.text)).toMatchObject({ code: 429, error: 'Too Many Requests' });
  } finally {
    for (const socket of sockets) socket.destroy();
  }
  // Released when those requests end: a small review passes again.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const ok = await post(server.port, JSON.stringify(admissionReview({ uid: 'after' })));
  expect(ok.status).toBe(200);
});

// Finding 10: Node checks headersTimeout only every connectionsCheckingInterval (30 s by default),
// so a client that never finished its headers got its 408 after ~35 s instead of ~10 s.
test('a client that does not finish its headers gets 408 soon after the header timeout', async () => {
  const server = await start({ headersTimeoutMs: 1000 });
  const socket = tls.connect({
    host: '127.0.0.1',
    port: server.port,
    ca: ca.certPem,
    servername: 'localhost',
  });
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  const started = performance.now();
  socket.write('POST /validate HTTP/1.1\r\nHost: x\r\n');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await new Promise((resolve) => socket.once('close', resolve));
  expect(performance.now() - started).toBeLessThan(3500);
  expect(text).toMatch(/^HTTP\/1.1 408 /);
});

// Finding 10: a raw TCP connection that never starts TLS was held for 120 s (Node's default).
test('a connection that never starts its TLS handshake is closed after the handshake timeout', async () => {
  const server = await start({ handshakeTimeoutMs: 1000 });
  const socket = net.connect(server.port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const started = performance.now();
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('close', resolve));
  expect(performance.now() - started).toBeLessThan(3500);
});

test('connections beyond the cap are refused; the ones within it are served', async () => {
  const server = await start({ maxConnections: 2 });
  const open = await Promise.all(
    [0, 1].map(async () => {
      const socket = net.connect(server.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      return socket;
    }),
  );
  try {
    await expect(
      request({ port: server.port, ca: ca.certPem, method: 'GET', path: '/healthz', timeoutMs: 3000 }),
    ).rejects.toThrow();
  } finally {
    for (const socket of open) socket.destroy();
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  const ok = await request({ port: server.port, ca: ca.certPem, method: 'GET', path: '/healthz' });
  expect(ok.status).toBe(200);
});

// Finding 10: a numeric uid was answered "request.uid: missing".
test('a non-string uid gets a 400 that says the uid must be a string', async () => {
  const server = await start();
  const body = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 42 },
  });
  const reply = await post(server.port, body);
  expect(reply.status).toBe(400);
  expect(JSON.parse(reply.text)).toEqual({
    code: 400,
    error: 'Bad Request',
    message: 'not an AdmissionReview: request.uid: must be a string, got a number',
  });
});
