/**
 * The hostile-load scenario of issue 10 (finding 2), for the end-to-end test and the benchmark:
 * the built webhook CLI in its own process; another process sends CONCURRENCY hostile ~3.9 MiB
 * reviews at a time, ROUNDS times; meanwhile this process times a small review and /healthz every
 * 250 ms. Reports the webhook's peak RSS (VmHWM) and RSS before the load, the latencies, the
 * hostile answers, and whether the webhook survived. Needs `npm run build` first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createTestCa } from '../pki';
import { request } from './client';
import { admissionReview } from './reviews';

const root = path.resolve(__dirname, '../../..');
const dist = root.endsWith(`${path.sep}dist`) ? root : path.join(root, 'dist');
const repoRoot = root.endsWith(`${path.sep}dist`) ? path.dirname(root) : root;

export interface HostileResult {
  baselineRssMb: number;
  peakRssMb: number;
  /** ms per small review (and /healthz in parallel), in order. */
  smallLatenciesMs: number[];
  hostileStatuses: Record<string, number>;
  survived: boolean;
}

function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** The heap cap the shipped Deployment gives the webhook (NODE_OPTIONS), so the test runs as production does. */
function productionHeapFlags(): string[] {
  const manifest = fs.readFileSync(path.join(repoRoot, 'deploy/components/webhook/deployment.yaml'), 'utf8');
  const flag = /--max-old-space-size=\d+/.exec(manifest)?.[0];
  if (!flag) throw new Error('deploy/components/webhook/deployment.yaml sets no --max-old-space-size');
  return [flag];
}

function startWebhook(certFile: string, keyFile: string): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(
    process.execPath,
    [
      ...productionHeapFlags(),
      path.join(dist, 'cli.js'),
      'webhook',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ].concat(['--tls-cert-file', certFile, '--tls-private-key-file', keyFile, '--shutdown-delay', '0']),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('webhook did not start within 20 s')), 20_000);
    let buffered = '';
    proc.stderr!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /"port":(\d+)[^\n]*"msg":"webhook serving"/.exec(buffered);
      if (match) {
        clearTimeout(timer);
        resolve({ proc, port: Number(match[1]) });
      }
    });
    proc.once('exit', (code) => reject(new Error(`webhook exited early (${code}): ${buffered}`)));
  });
}

export async function runHostileScenario(concurrency = 8, rounds = 2): Promise<HostileResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-hostile-'));
  const ca = createTestCa();
  const pair = ca.issue({ commonName: 'webhook', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const certFile = path.join(tmp, 'tls.crt');
  const keyFile = path.join(tmp, 'tls.key');
  const caFile = path.join(tmp, 'ca.crt');
  fs.writeFileSync(certFile, pair.certPem);
  fs.writeFileSync(keyFile, pair.keyPem);
  fs.writeFileSync(caFile, ca.certPem);
  const { proc, port } = await startWebhook(certFile, keyFile);
  try {
    const small = () => JSON.stringify(admissionReview({ uid: 'small' }));
    // Warm up, then the baseline.
    for (let i = 0; i < 20; i++) await request({ port, ca: ca.certPem, body: small() });
    const baselineRssMb = rssMb(proc.pid!, 'VmRSS');
    const sender = spawn(
      process.execPath,
      [path.join(dist, 'test/support/webhook/hostile-sender.js'), String(port), caFile].concat([
        String(concurrency),
        String(rounds),
      ]),
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    sender.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const senderDone = new Promise<void>((resolve) => sender.once('exit', () => resolve()));
    let done = false;
    void senderDone.then(() => (done = true));
    const smallLatenciesMs: number[] = [];
    while (!done) {
      const started = performance.now();
      const [health, review] = await Promise.all([
        request({ port, ca: ca.certPem, method: 'GET', path: '/healthz', timeoutMs: 30_000 }),
        request({ port, ca: ca.certPem, body: small(), timeoutMs: 30_000 }),
      ]);
      if (health.status !== 200 || review.status !== 200) throw new Error('a small request failed');
      smallLatenciesMs.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const survived = proc.exitCode === null && proc.signalCode === null;
    return {
      baselineRssMb,
      peakRssMb: survived ? rssMb(proc.pid!, 'VmHWM') : NaN,
      smallLatenciesMs,
      hostileStatuses: JSON.parse(output || '{}') as Record<string, number>,
      survived,
    };
  } finally {
    proc.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
