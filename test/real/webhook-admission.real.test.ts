/**
 * The webhook end to end on a real kube-apiserver: the ValidatingWebhookConfiguration rendered
 * from deploy/overlays/production (only clientConfig switched to a loopback URL with our CA),
 * our webhook as a separate process, and the real kubectl applying good and bad Services.
 */
import { writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { createTestCa } from '../support/pki';
import { eventually } from '../support/wait';
import { REPO_ROOT, renderOverlay } from '../deploy/render';
import { freePorts, removeDir, startProcess, tempDir, type ServerProcess } from './servers/process';
import { startRealKube, type RealKube } from './servers/kube';

let kube: RealKube;
let webhook: ServerProcess;
let dir: string;
let webhookName = '';
const NAMESPACE = 'team-a';

function httpsStatus(port: number, path: string, caPem: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, ca: caPem, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

function serviceYaml(name: string, annotations: Record<string, string>): string {
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NAMESPACE, annotations },
    spec: { ports: [{ name: 'http', port: 80 }] },
  });
}

beforeAll(async () => {
  dir = tempDir('webhook');
  kube = await startRealKube();
  const [port] = (await freePorts(1)) as [number];
  const ca = createTestCa('real webhook test CA');
  const serving = ca.issue({ commonName: 'webhook', ipAddresses: ['127.0.0.1'] });
  writeFileSync(join(dir, 'tls.crt'), serving.certPem);
  writeFileSync(join(dir, 'tls.key'), serving.keyPem);
  webhook = startProcess(
    'webhook',
    process.execPath,
    [
      join(REPO_ROOT, 'dist/cli.js'),
      'webhook',
      '--host=127.0.0.1',
      `--port=${port}`,
      `--tls-cert-file=${join(dir, 'tls.crt')}`,
      `--tls-private-key-file=${join(dir, 'tls.key')}`,
    ],
    dir,
  );
  await eventually(
    async () => {
      if (!webhook.running()) throw new Error(`webhook exited:\n${webhook.logTail()}`);
      return (await httpsStatus(port, '/readyz', ca.certPem)) === 200;
    },
    { timeoutMs: 20_000, intervalMs: 200, what: 'the webhook to be ready' },
  );

  const rendered = await renderOverlay('overlays/production');
  const config = rendered.find((o) => o.kind === 'ValidatingWebhookConfiguration');
  if (!config) throw new Error('deploy/overlays/production renders no ValidatingWebhookConfiguration');
  delete config.metadata.annotations?.['cert-manager.io/inject-ca-from'];
  const webhooks = config.webhooks as Array<{ name: string; clientConfig: Record<string, unknown> }>;
  for (const entry of webhooks) {
    entry.clientConfig = {
      url: `https://127.0.0.1:${port}/validate`,
      caBundle: Buffer.from(ca.certPem).toString('base64'),
    };
  }
  webhookName = webhooks[0]!.name;
  const applied = kube.kubectl(['apply', '-f', '-'], { input: yaml.dump(config) });
  expect(applied.stderr).toBe('');
  expect(kube.kubectl(['create', 'namespace', NAMESPACE]).status).toBe(0);
  // The API server reads webhook configurations through an informer: wait until ours is in force.
  await eventually(
    () => {
      const res = kube.kubectl(['apply', '--dry-run=server', '-f', '-'], {
        input: serviceYaml('probe', { 'consul.hashicorp.com/service-port': 'not a port!' }),
      });
      return res.status !== 0;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: 'the webhook configuration to take effect' },
  );
}, 240_000);

afterAll(async () => {
  await webhook?.stop();
  await kube?.stop();
  removeDir(dir);
});

test('a Service with valid annotations is created', () => {
  const res = kube.kubectl(['apply', '-f', '-'], {
    input: serviceYaml('good', {
      'consul.hashicorp.com/service-name': 'good',
      'consul.hashicorp.com/service-tags': 'a,b',
      'consul.hashicorp.com/service-port': 'http',
    }),
  });
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
  expect(res.stdout).toContain('service/good created');
});

test('a Service with a malformed annotation is refused with our message and the webhook name', () => {
  const res = kube.kubectl(['apply', '-f', '-'], {
    input: serviceYaml('bad', { 'consul.hashicorp.com/service-port': '99999' }),
  });
  expect(res.status).not.toBe(0);
  expect(res.stderr).toContain(webhookName);
  expect(res.stderr).toContain('consul.hashicorp.com/service-port');
  expect(res.stderr).toContain('99999');
  expect(kube.kubectl(['get', 'service', 'bad', '-n', NAMESPACE]).status).not.toBe(0);
});

test('warnings reach kubectl as Warning: lines on an allowed request', () => {
  const res = kube.kubectl(['apply', '-f', '-'], {
    input: serviceYaml('warned', { 'consul.hashicorp.com/servce-name': 'typo' }),
  });
  expect(res.status).toBe(0);
  expect(res.stderr).toMatch(/^Warning: .*consul\.hashicorp\.com\/servce-name/m);
});

test('Services without consul.hashicorp.com/ annotations never reach the webhook (matchConditions)', async () => {
  const before = await admissionCount();
  const res = kube.kubectl(['apply', '-f', '-'], { input: serviceYaml('plain', { team: 'a' }) });
  expect(res.status).toBe(0);
  expect(await admissionCount()).toBe(before);
});

test('the latency the API server adds for the webhook, from its own metric', async () => {
  const metrics = await kube.api('GET', '/metrics');
  const text = String(metrics.body);
  const series = (suffix: string) =>
    text
      .split('\n')
      .filter(
        (line) =>
          line.startsWith(`apiserver_admission_webhook_admission_duration_seconds_${suffix}{`) &&
          line.includes(`name="${webhookName}"`),
      )
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  const count = series('count');
  const seconds = series('sum');
  expect(count).toBeGreaterThan(0);
  const meanMs = (seconds / count) * 1000;
  console.log(
    `webhook admission: ${count} calls, mean ${meanMs.toFixed(1)} ms as measured by the API server`,
  );
  // A generous bound: the webhook's timeoutSeconds is 5; on loopback a call takes milliseconds.
  expect(meanMs).toBeLessThan(1000);
});

async function admissionCount(): Promise<number> {
  const metrics = await kube.api('GET', '/metrics');
  return String(metrics.body)
    .split('\n')
    .filter(
      (line) =>
        line.startsWith('apiserver_admission_webhook_admission_duration_seconds_count{') &&
        line.includes(`name="${webhookName}"`),
    )
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}
