/** `registrar` through the built CLI (`npm test` builds it first): real process, real SIGTERM. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type ConsulDouble, startConsulDouble } from '../test/support/consul';
import { KubeDouble } from '../test/support/kube';
import { endpointSlice, service } from '../test/support/registrar/harness';
import { eventually } from '../test/support/wait';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-cli-'));
const kubeconfig = path.join(tmp, 'kubeconfig');

let consul: ConsulDouble;
let kube: KubeDouble;
let child: ChildProcess | undefined;

beforeAll(async () => {
  [consul, kube] = await Promise.all([startConsulDouble(), KubeDouble.start()]);
  kube.writeKubeconfig(kubeconfig, { skipTLSVerify: true });
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await Promise.all([consul.stop(), kube.close()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CONSUL_')));
  return { ...clean, ...consul.env(), ...extra };
}

function run(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, args, { env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    proc.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

test.each([
  [
    ['--node-port-sync-type', 'Foo'],
    {},
    'error: --node-port-sync-type: "Foo" is not one of ExternalOnly, InternalOnly, ExternalFirst',
  ],
  [
    ['--k8s-default-sync=maybe'],
    {},
    "error: option '--k8s-default-sync [bool]' argument 'maybe' is invalid. \"maybe\" is not a boolean",
  ],
  [
    [],
    { CONSUL_HTTP_TOKEN_FILE: path.join(tmp, 'missing-token') },
    'error: CONSUL_HTTP_TOKEN_FILE: cannot read',
  ],
  [['--kubeconfig', path.join(tmp, 'missing-kubeconfig')], {}, 'cannot read the file'],
])('startup error %j exits 1 with a clear message', (args, extraEnv, message) => {
  const result = spawnSync(process.execPath, [cli, 'registrar', '--http-port', '0', ...args], {
    env: env(extraEnv),
    encoding: 'utf8',
    timeout: 15_000,
  });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(message);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
});

test('syncs, keeps registrations on SIGTERM (exit 0), and --purge removes them', async () => {
  kube.create(service('web', {}));
  kube.create(endpointSlice('web', [{ ip: '10.1.0.1' }, { ip: '10.1.0.2' }]));
  const args = [cli, 'registrar', '--kubeconfig', kubeconfig, '--cluster-id', 'e2e', '--http-port', '0'];
  const proc = spawn(process.execPath, args, { env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
  child = proc;
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

  const onNode = () => [...(consul.state.services.get('k8s-sync-e2e')?.values() ?? [])];
  await eventually(() => expect(onNode()).toHaveLength(2), { timeoutMs: 10_000 });
  const port = Number(/"httpPort":(\d+)/.exec(stderr)?.[1]);
  await eventually(async () => expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200), {
    timeoutMs: 5000,
  });

  proc.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(onNode()).toHaveLength(2);
  expect(stderr).toContain('shutdown complete');

  // Asynchronously: the Consul double lives in this process and must keep serving.
  const purge = await run([cli, 'registrar', '--purge', '--cluster-id', 'e2e']);
  expect(purge.status).toBe(0);
  expect(purge.stderr).toContain('purge complete');
  expect(consul.state.nodes.has('k8s-sync-e2e')).toBe(false);
});

/** Listens on `port` unless something already does; either way the port is taken afterwards. */
async function occupy(port: number): Promise<net.Server | undefined> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(port, () => resolve(server));
  });
}

test('a taken HTTP port: explicit --http-port fails at startup; the default port only loses the endpoints', async () => {
  const blocker = await occupy(0);
  const taken = (blocker!.address() as net.AddressInfo).port;
  const defaultBlocker = await occupy(8080);
  try {
    const explicit = await run([cli, 'registrar', '--kubeconfig', kubeconfig, '--http-port', String(taken)]);
    expect(explicit.status).toBe(1);
    expect(explicit.stderr).toContain('EADDRINUSE');
    expect(explicit.stderr).not.toMatch(/\n\s+at /);

    kube.create(service('port-test', { externalIPs: ['9.9.9.9'] }));
    const proc = spawn(
      process.execPath,
      [cli, 'registrar', '--kubeconfig', kubeconfig, '--cluster-id', 'port'],
      {
        env: env(),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child = proc;
    let stderr = '';
    proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const portTest = () =>
      [...(consul.state.services.get('k8s-sync-port')?.values() ?? [])].filter(
        (instance) => instance.Service === 'port-test',
      );
    await eventually(() => expect(portTest()).toHaveLength(1), { timeoutMs: 10_000 });
    expect(stderr).toContain('port 8080 is in use');
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    await Promise.all(
      [blocker, defaultBlocker].map(
        (server) => new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined))),
      ),
    );
  }
});
