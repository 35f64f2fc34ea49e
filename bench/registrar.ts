/**
 * Registrar benchmark on the doubles (issue 4). The registrar runs as its own process (the built
 * `registrar` command), so its peak RSS is its own; both doubles run here.
 *   1. 10,000 Services (mixed types, 3 instances each): time to initial convergence, Consul write
 *      requests vs. the floor ceil(operations / 64), peak RSS.
 *   2. An idle window with no Kubernetes change (60 s; resync every 20 s so full compares happen):
 *      Consul writes must be 0. Baseline: consul-k8s re-registers every instance every 30 s.
 *   3. Single changes: latency from the Kubernetes write to the Consul index moving, p50/p99, and
 *      writes per change.
 * Environment: BENCH_SERVICES (default 10000), BENCH_IDLE_SECONDS (60), BENCH_CHANGES (200),
 * BENCH_LOG_LEVEL (the registrar's, default warn), BENCH_REGISTRAR_NODE_OPTIONS (the registrar
 * process's NODE_OPTIONS, default empty: Node's own heap sizing, the issue-11 RSS goal),
 * BENCH_REGISTRAR_MEMORY_LIMIT_MIB (run the registrar in a memory cgroup of that size, as the
 * Deployment's `limits.memory` does, so Node sizes its default heap from it; default: none).
 * Objects carry what a real API server adds for `kubectl apply` (managedFields and the
 * last-applied-configuration annotation), so the informer caches weigh what they weigh in a cluster.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ConsulDouble, startConsulDouble } from '../test/support/consul';
import { KubeDouble, type KubeObject } from '../test/support/kube';
import { createMemoryCgroup, type MemoryCgroup } from './memory-cgroup';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 10_000);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 200);
const NODES = 50;
const RESYNC_SECONDS = 20;
/** The registrar's NODE_OPTIONS: none by default, so the RSS goal holds with Node's own heap sizing. */
const REGISTRAR_NODE_OPTIONS = process.env.BENCH_REGISTRAR_NODE_OPTIONS ?? '';
const MEMORY_LIMIT_MIB = process.env.BENCH_REGISTRAR_MEMORY_LIMIT_MIB;
const NODE_NAME = 'k8s-sync-bench';
const MAX_TXN_OPS = 64;
/** consul-k8s's fixed sync period: it re-registers every instance this often. */
const CONSUL_K8S_SYNC_SECONDS = 30;

type Kind = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalIPs';
const MIX: Kind[] = [
  'ClusterIP',
  'ClusterIP',
  'ClusterIP',
  'ClusterIP',
  'ClusterIP',
  'ClusterIP',
  'NodePort',
  'NodePort',
  'LoadBalancer',
  'ExternalIPs',
];

function ip(prefix: number, n: number): string {
  return `${prefix}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/**
 * What the API server stores beside an object: a managedFields entry naming every field its
 * writer set, and for `kubectl apply` also the client-side apply annotation (the whole manifest).
 */
function writtenBy(
  manager: 'kubectl-client-side-apply' | 'endpointslice-controller',
  object: KubeObject,
  fields: string,
): KubeObject {
  const metadata = object.metadata ?? {};
  const annotations: Record<string, string> | undefined =
    manager === 'kubectl-client-side-apply'
      ? {
          ...metadata.annotations,
          'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(object)}\n`,
        }
      : metadata.annotations;
  const managedFields = [
    {
      manager,
      operation: 'Update',
      apiVersion: object.apiVersion,
      time: '2026-12-01T00:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: JSON.parse(fields) as unknown,
    },
  ];
  return { ...object, metadata: { ...metadata, ...(annotations ? { annotations } : {}), managedFields } };
}

const SERVICE_FIELDS =
  '{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}},"f:spec":{"f:externalTrafficPolicy":{},"f:internalTrafficPolicy":{},"f:ports":{".":{},"k:{\\"port\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:name":{},"f:port":{},"f:protocol":{},"f:targetPort":{}}},"f:selector":{},"f:sessionAffinity":{},"f:type":{}}}';
const SLICE_FIELDS =
  '{"f:addressType":{},"f:endpoints":{},"f:metadata":{"f:labels":{".":{},"f:endpointslice.kubernetes.io/managed-by":{},"f:kubernetes.io/service-name":{}},"f:ownerReferences":{".":{},"k:{\\"uid\\":\\"5f1c\\"}":{}}},"f:ports":{}}';

function serviceObject(i: number, kind: Kind, annotations: Record<string, string> = {}): KubeObject {
  const name = `svc-${i}`;
  const ports = [
    {
      name: 'http',
      port: 80,
      targetPort: 8080,
      protocol: 'TCP',
      ...(kind === 'NodePort' || kind === 'LoadBalancer' ? { nodePort: 30000 + (i % 2700) } : {}),
    },
  ];
  const spec: Record<string, unknown> = { type: kind === 'ExternalIPs' ? 'ClusterIP' : kind, ports };
  if (kind === 'ExternalIPs') spec.externalIPs = [0, 1, 2].map((k) => ip(100, i * 3 + k));
  return writtenBy(
    'kubectl-client-side-apply',
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: `ns-${i % 20}`, annotations }, spec },
    SERVICE_FIELDS,
  );
}

function sliceObject(i: number, readyMask = 0b111): KubeObject {
  return writtenBy(
    'endpointslice-controller',
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `svc-${i}-x`,
        namespace: `ns-${i % 20}`,
        labels: { 'kubernetes.io/service-name': `svc-${i}` },
      },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [0, 1, 2].map((k) => ({
        addresses: [ip(10, i * 3 + k)],
        conditions: { ready: (readyMask & (1 << k)) !== 0, serving: true, terminating: false },
        nodeName: `node-${(i + k) % NODES}`,
        targetRef: { kind: 'Pod', name: `svc-${i}-pod-${k}`, namespace: `ns-${i % 20}` },
      })),
    },
    SLICE_FIELDS,
  );
}

function seed(kube: KubeDouble): { operations: number } {
  for (let n = 0; n < NODES; n++) {
    kube.create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `node-${n}` },
      status: {
        addresses: [
          { type: 'InternalIP', address: ip(172, n) },
          { type: 'ExternalIP', address: ip(34, n) },
        ],
      },
    });
  }
  let operations = 1; // the node
  for (let i = 0; i < SERVICES; i++) {
    const kind = MIX[i % MIX.length]!;
    const created = kube.create(serviceObject(i, kind));
    if (kind === 'LoadBalancer') {
      kube.updateStatus({
        ...created,
        status: { loadBalancer: { ingress: [0, 1, 2].map((k) => ({ ip: ip(200, i * 3 + k) })) } },
      });
    }
    if (kind === 'ClusterIP' || kind === 'NodePort') {
      kube.create(sliceObject(i));
      operations += 6; // 3 services + 3 readiness checks
    } else {
      operations += 3;
    }
  }
  return { operations };
}

function startRegistrarProcess(
  consul: ConsulDouble,
  kubeconfig: string,
  cgroup: MemoryCgroup | undefined,
): ChildProcess {
  const command = path.join(__dirname, '..', 'registrar', 'command.js');
  const script = `require(${JSON.stringify(command)}).createRegistrarCommand().parseAsync(process.argv.slice(1), { from: 'user' }).catch((e) => { console.error(e.message); process.exit(1); });`;
  const args = [
    '--kubeconfig',
    kubeconfig,
    '--cluster-id',
    'bench',
    '--resync-period',
    `${RESYNC_SECONDS}s`,
    '--http-port',
    '0',
    '--log-level',
    process.env.BENCH_LOG_LEVEL ?? 'warn',
  ];
  const plain = { command: process.execPath, args: ['-e', script, '--', ...args] };
  const run = cgroup ? cgroup.wrap(plain.command, plain.args) : plain;
  const child = spawn(run.command, run.args, {
    env: { ...process.env, ...consul.env(), NODE_OPTIONS: REGISTRAR_NODE_OPTIONS },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return child;
}

/** Peak resident set of a process (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Waits for the next catalog change (the Consul index moving) and returns when it happened. */
function nextConsulChange(consul: ConsulDouble, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no Consul change within the timeout'));
    }, timeoutMs);
    const off = consul.state.onChange(() => {
      clearTimeout(timer);
      off();
      resolve(performance.now());
    });
  });
}

export async function benchRegistrar(): Promise<void> {
  // First, so a machine without writable cgroups fails before anything is started.
  const cgroup = MEMORY_LIMIT_MIB === undefined ? undefined : createMemoryCgroup(Number(MEMORY_LIMIT_MIB));
  try {
    await benchRegistrarIn(cgroup);
  } finally {
    try {
      cgroup?.remove();
    } catch (error) {
      console.warn(`could not remove the benchmark's memory cgroup: ${(error as Error).message}`);
    }
  }
}

/** Fails at once when the registrar process has died (e.g. killed for memory in its cgroup). */
function alive(child: ChildProcess, cgroup: MemoryCgroup | undefined): void {
  if (child.exitCode === null && child.signalCode === null) return;
  const how = child.signalCode ?? `exit code ${child.exitCode}`;
  const hint =
    cgroup && child.signalCode === 'SIGKILL' ? ` (out of memory in the ${MEMORY_LIMIT_MIB} MiB cgroup?)` : '';
  throw new Error(`the registrar process ended: ${how}${hint}`);
}

async function benchRegistrarIn(cgroup: MemoryCgroup | undefined): Promise<void> {
  const consul = await startConsulDouble({ maxTxnOps: MAX_TXN_OPS });
  const kube = await KubeDouble.start({ historyLimit: 100_000 });
  const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-bench-')), 'kubeconfig');
  kube.writeKubeconfig(kubeconfig, { skipTLSVerify: true });
  let child: ChildProcess | undefined;
  try {
    const { operations } = seed(kube);
    const expectedInstances = SERVICES * 3;
    const instancesOnNode = () => consul.state.services.get(NODE_NAME)?.size ?? 0;
    const checksOnNode = () => consul.state.checks.get(NODE_NAME)?.size ?? 0;
    const expectedChecks = operations - 1 - expectedInstances;

    // 1. Initial convergence.
    const started = performance.now();
    child = startRegistrarProcess(consul, kubeconfig, cgroup);
    const registrar = child;
    await until(
      () => {
        alive(registrar, cgroup);
        return instancesOnNode() === expectedInstances && checksOnNode() === expectedChecks;
      },
      120_000,
      'initial convergence',
    );
    const convergeMs = performance.now() - started;
    const initialWrites = consul.requests.writes().length;
    const floor = Math.ceil(operations / MAX_TXN_OPS);
    const rssAfterSync = peakRssMb(child.pid!);

    // 2. Idle window.
    consul.requests.clear();
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    const idleWrites = consul.requests.writes().length;
    const idleReads = consul.requests.count((e) => e.method === 'GET');
    const consulK8sIdleWrites = Math.floor(IDLE_SECONDS / CONSUL_K8S_SYNC_SECONDS) * expectedInstances;

    // 3. Single changes: alternate an annotation change (3 instances) and a readiness flip (1 check).
    consul.requests.clear();
    const latencies: number[] = [];
    for (let c = 0; c < CHANGES; c++) {
      const i = (c * 7919) % SERVICES;
      const kind = MIX[i % MIX.length]!;
      const changed = nextConsulChange(consul, 10_000);
      const t0 = performance.now();
      if (c % 2 === 1 && (kind === 'ClusterIP' || kind === 'NodePort')) {
        kube.apply(sliceObject(i, 0b110)); // each Service is changed once: always a real flip
      } else {
        kube.apply(serviceObject(i, kind, { 'consul.hashicorp.com/service-tags': `rev-${c}` }));
        if (kind === 'LoadBalancer') {
          const current = kube.get('services', `ns-${i % 20}`, `svc-${i}`)!;
          kube.updateStatus({
            ...current,
            status: { loadBalancer: { ingress: [0, 1, 2].map((k) => ({ ip: ip(200, i * 3 + k) })) } },
          });
        }
      }
      latencies.push((await changed) - t0);
      // Let the rest of this change land before the next one starts.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const changeWrites = consul.requests.writes().length;
    const sorted = [...latencies].sort((a, b) => a - b);
    const rssPeak = peakRssMb(child.pid!);

    const rows: Array<[string, string]> = [
      ['Services / instances / checks', `${SERVICES} / ${expectedInstances} / ${expectedChecks}`],
      [
        'initial convergence (process start -> Consul complete)',
        `${(convergeMs / 1000).toFixed(1)} s (goal < 30 s)`,
      ],
      [
        'initial Consul write requests',
        `${initialWrites} for ${operations} operations; floor ceil(ops/64) = ${floor}`,
      ],
      [
        `idle ${IDLE_SECONDS} s (${Math.floor(IDLE_SECONDS / RESYNC_SECONDS)} full resyncs, every ${RESYNC_SECONDS} s)`,
        `${idleWrites} writes, ${idleReads} reads (consul-k8s: ~${consulK8sIdleWrites} writes)`,
      ],
      [
        `single change -> Consul index moved (${CHANGES} changes)`,
        `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms (goal p99 < 1 s)`,
      ],
      ['writes per change', (changeWrites / CHANGES).toFixed(2)],
      [
        `registrar peak RSS${cgroup ? ` (in a ${MEMORY_LIMIT_MIB} MiB memory cgroup)` : ''}`,
        `${rssAfterSync.toFixed(0)} MB after initial sync, ${rssPeak.toFixed(0)} MB at the end (goal ≤ 250 MB with Node's default heap)`,
      ],
    ];
    console.log('| measure | result |\n|---|---|');
    for (const [measure, result] of rows) console.log(`| ${measure} | ${result} |`);
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await Promise.all([consul.stop(), kube.close()]);
    fs.rmSync(path.dirname(kubeconfig), { recursive: true, force: true });
  }
}
