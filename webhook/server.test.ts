/**
 * The webhook end to end over real HTTPS on 127.0.0.1: certificates from a test CA made here,
 * the client verifying the server against that CA as the API server does.
 */
import { EventEmitter, once } from 'node:events';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Writable } from 'node:stream';
import { type RunningWebhook, type WebhookConfig, runWebhook } from './main';
import { createTestCa, type IssuedCertificate, type TestCa } from '../test/support/pki';
import { type PostOptions, type Reply, request } from '../test/support/webhook/client';
import { admissionReview } from '../test/support/webhook/reviews';
import { TS_REVIEW_WORKER } from '../test/support/webhook/worker';
import { eventually } from '../test/support/wait';

const PORT_KEY = 'consul.hashicorp.com/service-port';
const SYNC_KEY = 'consul.hashicorp.com/service-sync';
const TYPO_KEY = 'consul.hashicorp.com/servce-name';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-test-'));
const ca: TestCa = createTestCa();
const issue = (): IssuedCertificate =>
  ca.issue({ commonName: 'webhook', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });

/** Writes a pair the way the kubelet publishes a Secret: files behind an atomically swapped `..data` symlink. */
function publish(dir: string, pair: { certPem: string; keyPem: string }, version: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, `..${version}`);
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'tls.crt'), pair.certPem);
  fs.writeFileSync(path.join(target, 'tls.key'), pair.keyPem);
  fs.symlinkSync(`..${version}`, path.join(dir, '..data_tmp'));
  fs.renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
  for (const file of ['tls.crt', 'tls.key']) {
    if (!fs.existsSync(path.join(dir, file))) fs.symlinkSync(path.join('..data', file), path.join(dir, file));
  }
}

interface Instance {
  running: RunningWebhook;
  logs: Record<string, unknown>[];
  signals: EventEmitter;
  exits: EventEmitter;
  dir: string;
  post(options?: Partial<PostOptions>): Promise<Reply>;
  review(
    fixture: Parameters<typeof admissionReview>[0],
  ): Promise<{ reply: Reply; response: Record<string, unknown> }>;
}

const instances: Instance[] = [];
let counter = 0;

async function start(
  config: Partial<WebhookConfig> = {},
  pair: IssuedCertificate = issue(),
): Promise<Instance> {
  const dir = path.join(tmp, `instance-${++counter}`);
  publish(dir, pair, 'v1');
  const logs: Record<string, unknown>[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const signals = new EventEmitter();
  const exits = new EventEmitter();
  const running = await runWebhook(
    {
      port: 0,
      host: '127.0.0.1',
      tlsCertFile: path.join(dir, 'tls.crt'),
      tlsPrivateKeyFile: path.join(dir, 'tls.key'),
      mode: 'enforce',
      shutdownDelayMs: 0,
      tlsReloadIntervalMs: 60_000,
      logLevel: 'info',
      consulK8sTag: 'k8s',
      ...config,
    },
    {
      signalSource: signals,
      exit: (code) => exits.emit('exit', code),
      logDestination,
      reviewWorker: TS_REVIEW_WORKER,
    },
  );
  const post = (options: Partial<PostOptions> = {}): Promise<Reply> =>
    request({ port: running.webhook.port, ca: ca.certPem, ...options });
  const instance: Instance = {
    running,
    logs,
    signals,
    exits,
    dir,
    post,
    review: async (fixture) => {
      const reply = await post({ body: JSON.stringify(admissionReview(fixture)) });
      expect(reply.status).toBe(200);
      const parsed = JSON.parse(reply.text) as Record<string, unknown>;
      expect(parsed).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
      return { reply, response: parsed.response as Record<string, unknown> };
    },
  };
  instances.push(instance);
  return instance;
}

afterAll(async () => {
  for (const instance of instances) {
    instance.running.shutdown.uninstall();
    await instance.running.webhook.close();
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('enforce mode', () => {
  let webhook: Instance;
  beforeAll(async () => {
    webhook = await start();
  });

  test('CREATE with errors is denied with 400 BadRequest, every error listed, causes with annotation paths', async () => {
    const { response } = await webhook.review({
      uid: 'create-bad',
      annotations: { [PORT_KEY]: '0x10000', [SYNC_KEY]: 'yes', [TYPO_KEY]: 'web' },
    });
    expect(response).toMatchObject({
      uid: 'create-bad',
      allowed: false,
      status: { code: 400, reason: 'BadRequest' },
    });
    const status = response.status as { message: string; details: { causes: { field: string }[] } };
    expect(status.message).toContain('consul.hashicorp.com/service-port: "0x10000"');
    expect(status.message).toContain('consul.hashicorp.com/service-sync: "yes"');
    expect(status.details.causes.map((cause) => cause.field).sort()).toEqual([
      'metadata.annotations[consul.hashicorp.com/service-port]',
      'metadata.annotations[consul.hashicorp.com/service-sync]',
    ]);
    expect(response.warnings).toEqual([
      expect.stringContaining('did you mean consul.hashicorp.com/service-name'),
    ]);
  });

  test('exactly one log line per denial (namespace, name, uid, rules), none for allowed requests', async () => {
    const before = webhook.logs.length;
    await webhook.review({ uid: 'allowed-1', annotations: { [SYNC_KEY]: 'true' } });
    await webhook.review({
      uid: 'denied-1',
      name: 'api',
      namespace: 'team-a',
      annotations: { [SYNC_KEY]: 'on' },
    });
    const lines = webhook.logs.slice(before);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'admission denied',
        uid: 'denied-1',
        namespace: 'team-a',
        name: 'api',
        rules: ['service-sync/invalid'],
      }),
    ]);
  });

  test('the ?timeout= query the API server appends to the webhook URL is accepted', async () => {
    const reply = await webhook.post({
      path: '/validate?timeout=5s',
      body: JSON.stringify(admissionReview({ uid: 'with-timeout' })),
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toMatchObject({ response: { uid: 'with-timeout', allowed: true } });
  });

  test('CREATE with valid annotations is allowed without warnings', async () => {
    const { response } = await webhook.review({
      uid: 'ok',
      annotations: { [PORT_KEY]: 'http', [SYNC_KEY]: 'true' },
    });
    expect(response).toEqual({ uid: 'ok', allowed: true });
  });

  test('UPDATE ratchets: an unchanged bad value warns, a new bad value denies', async () => {
    const kept = await webhook.review({
      uid: 'ratchet',
      operation: 'UPDATE',
      annotations: { [PORT_KEY]: '0x10000', 'example.com/owner': 'new-team' },
      oldAnnotations: { [PORT_KEY]: '0x10000' },
    });
    expect(kept.response).toMatchObject({ uid: 'ratchet', allowed: true });
    expect(kept.response.warnings).toEqual([
      expect.stringMatching(/^error \(unchanged\): consul.hashicorp.com\/service-port/),
    ]);

    const changed = await webhook.review({
      uid: 'changed',
      operation: 'UPDATE',
      annotations: { [PORT_KEY]: '70000' },
      oldAnnotations: { [PORT_KEY]: '0x10000' },
    });
    expect(changed.response).toMatchObject({ uid: 'changed', allowed: false, status: { code: 400 } });
  });

  test('DELETE, subresources and other kinds are allowed untouched', async () => {
    const bad = { [PORT_KEY]: '0x10000' };
    for (const fixture of [
      { uid: 'd', operation: 'DELETE' as const, oldAnnotations: bad },
      { uid: 's', operation: 'UPDATE' as const, subResource: 'status', annotations: bad, oldAnnotations: {} },
      { uid: 'k', kind: 'ConfigMap', annotations: bad },
    ]) {
      const { response } = await webhook.review(fixture);
      expect(response).toEqual({ uid: fixture.uid, allowed: true });
    }
  });

  const fiveMiB = Buffer.alloc(5 * 1024 * 1024, 0x20);
  test.each<[string, Partial<PostOptions>, number, RegExp]>([
    ['a body over 4 MiB', { body: fiveMiB }, 413, /larger than the limit of 4194304 bytes/],
    [
      'a chunked body over 4 MiB',
      { body: fiveMiB, headers: { 'transfer-encoding': 'chunked' } },
      413,
      /larger than the limit/,
    ],
    ['a body that is not JSON', { body: '{"apiVersion": ' }, 400, /not valid JSON/],
    ['an empty body', { body: '' }, 400, /not valid JSON/],
    [
      'a text/plain body',
      { body: '{}', headers: { 'content-type': 'text/plain' } },
      415,
      /content type must be application\/json, got "text\/plain"/,
    ],
    [
      'no content type',
      { body: '{}', headers: { 'content-type': '' } },
      415,
      /content type must be application\/json/,
    ],
    [
      'a v1beta1 review',
      { body: JSON.stringify({ ...admissionReview(), apiVersion: 'admission.k8s.io/v1beta1' }) },
      400,
      /not an AdmissionReview: apiVersion\/kind/,
    ],
    [
      'a review without request.uid',
      {
        body: JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: { operation: 'CREATE' },
        }),
      },
      400,
      /request.uid: missing/,
    ],
    ['a JSON array', { body: '[]' }, 400, /not an AdmissionReview/],
    ['GET /validate', { method: 'GET' }, 405, /use POST \/validate/],
    ['an unknown path', { path: '/mutate' }, 404, /no route for POST \/mutate/],
  ])(
    '%s: answered with a JSON error, and the server keeps serving',
    async (_name, options, status, message) => {
      const reply = await webhook.post(options);
      expect(reply.status).toBe(status);
      expect(reply.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(reply.text) as { code: number; error: string; message: string };
      expect(body.code).toBe(status);
      expect(body.message).toMatch(message);
      expect(reply.text).not.toMatch(/\bat .*\.(ts|js):\d+|<html|stack/i);
      const { response } = await webhook.review({ uid: 'after-error' });
      expect(response).toEqual({ uid: 'after-error', allowed: true });
    },
  );

  test.each<[string, string, number, RegExp]>([
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 400, /malformed HTTP request/],
    [
      'a non-numeric Content-Length',
      'POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      400,
      /malformed HTTP request/,
    ],
    [
      'headers over the size limit',
      `POST /validate HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      /headers are too large/,
    ],
  ])(
    '%s that Node cannot parse: a JSON error, then the connection closes',
    async (_name, raw, status, message) => {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect(
          { host: '127.0.0.1', port: webhook.running.webhook.port, ca: ca.certPem, servername: 'localhost' },
          () => socket.write(raw),
        );
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
        socket.setTimeout(5000, () => socket.destroy(new Error('no answer')));
      });
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      expect(head).toMatch(/\r\nContent-Type: application\/json\r\n/i);
      expect(JSON.parse(body)).toEqual({
        code: status,
        error: expect.any(String),
        message: expect.stringMatching(message),
      });
      const { response } = await webhook.review({ uid: 'after-client-error' });
      expect(response).toEqual({ uid: 'after-client-error', allowed: true });
    },
  );

  test('an oversized body on a keep-alive connection leaves the connection usable', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await webhook.post({ agent, body: fiveMiB })).status).toBe(413);
      const after = await webhook.post({ agent, body: JSON.stringify(admissionReview({ uid: 'reuse' })) });
      expect(after.status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  test('keep-alive outlasts the API server 90 s connection reuse', async () => {
    const reply = await webhook.post({
      body: JSON.stringify(admissionReview()),
      headers: { connection: 'keep-alive' },
    });
    expect(reply.headers['keep-alive']).toMatch(/timeout=(\d+)/);
    expect(Number(/timeout=(\d+)/.exec(String(reply.headers['keep-alive']))?.[1])).toBeGreaterThan(90);
  });

  test('TLS below 1.2 is refused; 1.2 and 1.3 are served', async () => {
    await expect(webhook.post({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', body: '{}' })).rejects.toThrow();
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const reply = await webhook.post({
        minVersion: version,
        maxVersion: version,
        body: JSON.stringify(admissionReview()),
      });
      expect(reply.status).toBe(200);
    }
  });

  test('a client that does not trust the CA is refused', async () => {
    await expect(webhook.post({ ca: createTestCa('other CA').certPem, body: '{}' })).rejects.toThrow(
      /self.signed|unable to verify|certificate/i,
    );
  });

  test('healthz, readyz and metrics (requests by operation and verdict, duration, findings by rule)', async () => {
    expect(JSON.parse((await webhook.post({ method: 'GET', path: '/healthz' })).text)).toEqual({
      status: 'ok',
    });
    const ready = await webhook.post({ method: 'GET', path: '/readyz' });
    expect(ready.status).toBe(200);
    const metrics = await webhook.post({ method: 'GET', path: '/metrics' });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(
      /^webhook_admission_requests_total\{operation="CREATE",verdict="denied"\} \d+$/m,
    );
    expect(metrics.text).toMatch(
      /^webhook_admission_requests_total\{operation="CREATE",verdict="allowed"\} \d+$/m,
    );
    expect(metrics.text).toMatch(
      /^webhook_admission_requests_total\{operation="DELETE",verdict="skipped"\} 1$/m,
    );
    expect(metrics.text).toMatch(
      /^webhook_admission_requests_total\{operation="unknown",verdict="bad_request"\} \d+$/m,
    );
    expect(metrics.text).toMatch(
      /^webhook_admission_duration_seconds_bucket\{le="0\.005",operation="CREATE"\} \d+$/m,
    );
    expect(metrics.text).toMatch(
      /^webhook_findings_total\{rule="service-port\/out-of-range",severity="error"\} \d+$/m,
    );
    expect(metrics.text).toMatch(
      /^webhook_findings_total\{rule="annotation\/unknown-key",severity="warning"\} \d+$/m,
    );
    expect(metrics.text).toMatch(/^webhook_tls_certificate_not_after_seconds \d+/m);
    expect(metrics.text).toMatch(/^process_cpu_user_seconds_total /m);
  });
});

test('warn mode never denies: errors come back as warnings', async () => {
  const webhook = await start({ mode: 'warn' });
  const { response } = await webhook.review({
    uid: 'warn',
    annotations: { [PORT_KEY]: '0x10000', [SYNC_KEY]: 'yes' },
  });
  expect(response.allowed).toBe(true);
  expect(response.status).toBeUndefined();
  expect(response.warnings).toEqual([
    expect.stringMatching(/^error \(warn mode\): consul.hashicorp.com\/service-(port|sync)/),
    expect.stringMatching(/^error \(warn mode\): consul.hashicorp.com\/service-(port|sync)/),
  ]);
  for (const warning of response.warnings as string[]) expect(warning.length).toBeLessThan(120);
});

test('startup fails with a clear message when the key does not match the certificate', async () => {
  const dir = path.join(tmp, 'mismatch');
  publish(dir, { certPem: issue().certPem, keyPem: issue().keyPem }, 'v1');
  await expect(
    runWebhook(
      {
        port: 0,
        host: '127.0.0.1',
        tlsCertFile: path.join(dir, 'tls.crt'),
        tlsPrivateKeyFile: path.join(dir, 'tls.key'),
        mode: 'enforce',
        shutdownDelayMs: 0,
        tlsReloadIntervalMs: 60_000,
        logLevel: 'silent',
        consulK8sTag: 'k8s',
      },
      { signalSource: new EventEmitter(), exit: () => undefined },
    ),
  ).rejects.toThrow(/^--tls-private-key-file .*tls.key: does not match the certificate in --tls-cert-file/);
  await expect(
    runWebhook(
      {
        port: 0,
        host: '127.0.0.1',
        tlsCertFile: path.join(dir, 'missing.crt'),
        tlsPrivateKeyFile: path.join(dir, 'tls.key'),
        mode: 'enforce',
        shutdownDelayMs: 0,
        tlsReloadIntervalMs: 60_000,
        logLevel: 'silent',
        consulK8sTag: 'k8s',
      },
      { signalSource: new EventEmitter(), exit: () => undefined },
    ),
  ).rejects.toThrow(/^--tls-cert-file .*missing.crt: cannot read \(ENOENT\)/);
});

test('certificate rotation under load: no failed request, new connections get the new certificate', async () => {
  const first = issue();
  const webhook = await start({ tlsReloadIntervalMs: 100 }, first);
  const second = issue();
  const body = JSON.stringify(admissionReview({ uid: 'load' }));
  const agent = new https.Agent({ keepAlive: true, maxSockets: 2 });
  const failures: string[] = [];
  const serials = new Set<string>();
  let ok = 0;
  let rotatedAt = -1;
  let stop = false;
  const worker = async (keepAlive: boolean): Promise<void> => {
    for (let i = 0; i < 2000 && !stop; i++) {
      try {
        const reply = await webhook.post({ body, ...(keepAlive ? { agent } : {}) });
        if (reply.status !== 200 || !reply.text.includes('"allowed":true'))
          failures.push(`status ${reply.status}`);
        else ok++;
        if (!keepAlive) serials.add(reply.serial);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  const rotate = async (): Promise<void> => {
    try {
      await eventually(() => ok >= 20, { timeoutMs: 10_000, what: '20 answers before the rotation' });
      // A half-finished rotation first (new certificate, old key): it must be ignored.
      publish(webhook.dir, { certPem: second.certPem, keyPem: first.keyPem }, 'v2');
      await new Promise((resolve) => setTimeout(resolve, 250));
      publish(webhook.dir, second, 'v3');
      rotatedAt = ok;
      await eventually(() => serials.has(second.serial.toUpperCase()), {
        timeoutMs: 10_000,
        what: 'the new certificate served',
      });
      const target = ok + 20;
      await eventually(() => ok >= target, { timeoutMs: 10_000, what: '20 answers after the rotation' });
    } finally {
      stop = true;
    }
  };
  try {
    await Promise.all([worker(true), worker(true), worker(false), worker(false), rotate()]);
  } finally {
    agent.destroy();
  }
  expect(failures).toEqual([]);
  expect(rotatedAt).toBeGreaterThan(0);
  expect([...serials].sort()).toEqual([first.serial.toUpperCase(), second.serial.toUpperCase()].sort());
  const metrics = (await webhook.post({ method: 'GET', path: '/metrics' })).text;
  expect(metrics).toMatch(/^webhook_tls_reloads_total\{result="success"\} 1$/m);
  expect(metrics).toMatch(/^webhook_tls_reloads_total\{result="failure"\} [1-9]/m);
});

test('SIGTERM: unready at once, keeps serving for --shutdown-delay, finishes in-flight requests, exits 0', async () => {
  const webhook = await start({ shutdownDelayMs: 400 });
  const port = webhook.running.webhook.port;
  const body = Buffer.from(JSON.stringify(admissionReview({ uid: 'in-flight' })));
  // A request whose body is still arriving when draining starts.
  let sendRest = (): void => undefined;
  const inFlight = new Promise<Reply>((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/validate',
        method: 'POST',
        ca: ca.certPem,
        servername: 'localhost',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, serial: '' }));
      },
    );
    req.on('error', reject);
    req.write(body.subarray(0, 100));
    sendRest = () => req.end(body.subarray(100));
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const exited = once(webhook.exits, 'exit');

  webhook.signals.emit('SIGTERM', 'SIGTERM');
  const unready = await webhook.post({ method: 'GET', path: '/readyz' });
  expect(unready.status).toBe(503);
  expect(JSON.parse(unready.text)).toEqual({ status: 'not ready', failing: ['shutting-down'] });
  const during = await webhook.post({ body: JSON.stringify(admissionReview({ uid: 'during-delay' })) });
  expect(during.status).toBe(200);
  expect(during.headers.connection).toBe('close');

  // Past the delay the listener closes; then the in-flight request completes.
  await eventually(() => !webhook.running.webhook.server.listening, { what: 'the listener to close' });
  expect(webhook.running.webhook.server.listening).toBe(false);
  sendRest();
  const finished = await inFlight;
  expect(finished.status).toBe(200);
  expect(JSON.parse(finished.text)).toMatchObject({ response: { uid: 'in-flight', allowed: true } });
  expect(await exited).toEqual([0]);
  await expect(webhook.post({ body: '{}' })).rejects.toThrow(/ECONNREFUSED/);
});
