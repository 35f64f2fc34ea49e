/** `webhook` through the built CLI (`npm test` builds it first): real process, real SIGTERM. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestCa } from '../test/support/pki';
import { request } from '../test/support/webhook/client';
import { admissionReview } from '../test/support/webhook/reviews';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-cli-'));
const ca = createTestCa();
const pair = ca.issue({ commonName: 'webhook', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
const certFile = path.join(tmp, 'tls.crt');
const keyFile = path.join(tmp, 'tls.key');
fs.writeFileSync(certFile, pair.certPem);
fs.writeFileSync(keyFile, pair.keyPem);

let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

function webhookArgs(extra: string[]): string[] {
  return [cli, 'webhook', '--tls-cert-file', certFile, '--tls-private-key-file', keyFile, ...extra];
}

test('serves, and on SIGTERM turns unready, keeps serving for --shutdown-delay, then exits 0', async () => {
  const proc = spawn(
    process.execPath,
    webhookArgs(['--port', '0', '--host', '127.0.0.1', '--shutdown-delay', '700ms']),
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child = proc;
  const lines: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('webhook did not start within 10 s')), 10_000);
    let buffered = '';
    proc.stderr!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
        buffered = buffered.slice(newline + 1);
        lines.push(line);
        if (line.msg === 'webhook serving') {
          clearTimeout(timer);
          resolve(line.port as number);
        }
      }
    });
    proc.once('exit', () => reject(new Error(`webhook exited early: ${buffered}`)));
  });
  const post = (body: object) => request({ port, ca: ca.certPem, body: JSON.stringify(body) });

  const denied = await post(
    admissionReview({ uid: 'cli', annotations: { 'consul.hashicorp.com/service-sync': 'yes' } }),
  );
  expect(JSON.parse(denied.text)).toMatchObject({
    response: { uid: 'cli', allowed: false, status: { code: 400 } },
  });
  expect((await request({ port, ca: ca.certPem, method: 'GET', path: '/readyz' })).status).toBe(200);

  proc.kill('SIGTERM');
  const deadline = Date.now() + 5000;
  let readyz = 200;
  while (readyz === 200 && Date.now() < deadline) {
    readyz = (await request({ port, ca: ca.certPem, method: 'GET', path: '/readyz' })).status;
  }
  expect(readyz).toBe(503);
  const during = await post(admissionReview({ uid: 'during-delay' }));
  expect(JSON.parse(during.text)).toMatchObject({ response: { uid: 'during-delay', allowed: true } });

  expect(await exited).toBe(0);
  expect(lines.map((line) => line.msg)).toEqual(
    expect.arrayContaining([
      'admission denied',
      'shutting down: not ready, still serving',
      'shutdown complete',
    ]),
  );
});

test.each<[string, string[], RegExp]>([
  [
    'an invalid mode',
    ['--mode', 'audit'],
    /--mode <mode>' argument 'audit' is invalid. Allowed choices are enforce, warn/,
  ],
  ['a duration without unit', ['--shutdown-delay', '5'], /invalid duration "5"/],
  ['a port out of range', ['--port', '70000'], /invalid port "70000"/],
])('%s stops the CLI with exit status 1 and says why', (_name, args, message) => {
  const result = spawnSync(process.execPath, webhookArgs(args), { encoding: 'utf8', timeout: 10_000 });
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(message);
});

test('an unreadable certificate stops the CLI with exit status 1, naming the flag and file', () => {
  const result = spawnSync(
    process.execPath,
    [
      cli,
      'webhook',
      '--port',
      '0',
      '--tls-cert-file',
      path.join(tmp, 'missing.crt'),
      '--tls-private-key-file',
      keyFile,
    ],
    { encoding: 'utf8', timeout: 10_000 },
  );
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(
    `error: --tls-cert-file ${path.join(tmp, 'missing.crt')}: cannot read (ENOENT)`,
  );
  expect(result.stderr).not.toMatch(/\n\s+at /);
});

// Finding 3: pairs that load but cannot serve are refused at startup, naming the file and why.
test.each([
  [
    'an expired certificate',
    () =>
      ca.issue({
        commonName: 'webhook',
        notBefore: new Date(Date.now() - 10 * 86_400_000),
        notAfter: new Date(Date.now() - 86_400_000),
      }),
    (dir: string) => `error: --tls-cert-file ${path.join(dir, 'tls.crt')}: certificate expired at `,
  ],
  [
    'a key of another certificate',
    () => ({ certPem: ca.issue({ commonName: 'a' }).certPem, keyPem: ca.issue({ commonName: 'b' }).keyPem }),
    (dir: string) =>
      `error: --tls-private-key-file ${path.join(dir, 'tls.key')}: does not match the certificate in --tls-cert-file ${path.join(dir, 'tls.crt')}`,
  ],
])('%s stops the CLI with exit status 1, naming the file and the reason', (name, make, message) => {
  const dir = path.join(tmp, name.replace(/\W+/g, '-'));
  fs.mkdirSync(dir);
  const bad = make();
  fs.writeFileSync(path.join(dir, 'tls.crt'), bad.certPem);
  fs.writeFileSync(path.join(dir, 'tls.key'), bad.keyPem);
  const result = spawnSync(
    process.execPath,
    [
      cli,
      'webhook',
      '--port',
      '0',
      '--tls-cert-file',
      path.join(dir, 'tls.crt'),
      '--tls-private-key-file',
      path.join(dir, 'tls.key'),
    ],
    { encoding: 'utf8', timeout: 10_000 },
  );
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(message(dir));
  expect(result.stderr).not.toMatch(/\n\s+at /);
});
