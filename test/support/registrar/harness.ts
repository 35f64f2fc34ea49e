/**
 * Test support for the registrar's integration tests and benchmark: both doubles, registrars
 * started in-process through the real clients, object builders and catalog inspection.
 * Never imported by product code.
 */
import { Writable } from 'node:stream';
import { createLogger } from '../../../core/runtime';
import { type ConsulDouble, type ConsulDoubleOptions, startConsulDouble } from '../consul';
import { KubeDouble, type KubeObject } from '../kube';
import {
  parseRegistrarConfig,
  type RawRegistrarOptions,
  type RegistrarConfig,
} from '../../../registrar/config';
import { consulFromEnv, startRegistrar, type RunningRegistrar } from '../../../registrar/main';
import type { RefusalRetry } from '../../../registrar/refusals';
import { eventually } from '../wait';

export interface TestRegistrar extends RunningRegistrar {
  config: RegistrarConfig;
  /** Parsed JSON log lines. */
  logs: Array<Record<string, unknown>>;
}

export interface StartOptions {
  token?: string;
  identity?: string;
  /** Serve /healthz /readyz /metrics on a random port (default off). */
  serveHttp?: boolean;
  /** More CONSUL_* variables (e.g. CONSUL_CACERT). */
  env?: Record<string, string>;
  httpPortInUse?: 'fail' | 'continue';
  /** Retry delays of refused Services (default: the product's, 1 s growing to minutes). */
  refusalRetry?: RefusalRetry;
}

export class Harness {
  private readonly running = new Set<TestRegistrar>();

  private constructor(
    readonly consul: ConsulDouble,
    readonly kube: KubeDouble,
  ) {}

  static async start(consulOptions: ConsulDoubleOptions = {}): Promise<Harness> {
    const [consul, kube] = await Promise.all([startConsulDouble(consulOptions), KubeDouble.start()]);
    return new Harness(consul, kube);
  }

  /** Starts a registrar with these flags (commander option names, camelCase). */
  async registrar(flags: RawRegistrarOptions = {}, options: StartOptions = {}): Promise<TestRegistrar> {
    const config = parseRegistrarConfig({ clusterId: 'east', httpPort: 0, ...flags }, {});
    const logs: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger({ level: 'debug', component: 'registrar', destination });
    const consul = consulFromEnv(config, { ...this.consul.env(options.token), ...options.env }, logger);
    const started = await startRegistrar(config, {
      logger,
      consul,
      env: { ...this.consul.env(options.token), ...options.env },
      tokenFilePollMs: 50,
      kubeConfig: this.kube.kubeConfig({ skipTLSVerify: true }),
      serveHttp: options.serveHttp ?? false,
      ...(options.identity ? { identity: options.identity } : {}),
      ...(options.httpPortInUse ? { httpPortInUse: options.httpPortInUse } : {}),
      controller: {
        debounceMs: 10,
        retry: { initialMs: 20, maxMs: 200 },
        ...(options.refusalRetry ? { refusalRetry: options.refusalRetry } : {}),
      },
    });
    const registrar: TestRegistrar = { ...started, config, logs };
    this.running.add(registrar);
    const stop = started.stop;
    registrar.stop = async () => {
      this.running.delete(registrar);
      await stop();
    };
    return registrar;
  }

  /** Instances on a Consul node, by ID. */
  instances(node = 'k8s-sync-east') {
    return [...(this.consul.state.services.get(node)?.values() ?? [])];
  }

  checks(node = 'k8s-sync-east') {
    return [...(this.consul.state.checks.get(node)?.values() ?? [])];
  }

  /** `address:port` of every instance of a Consul service on a node, sorted. */
  addresses(service: string, node = 'k8s-sync-east'): string[] {
    return this.instances(node)
      .filter((s) => s.Service === service)
      .map((s) => `${s.Address}:${s.Port}`)
      .sort();
  }

  writes(): number {
    return this.consul.requests.writes().length;
  }

  async close(): Promise<void> {
    for (const registrar of [...this.running]) await registrar.stop();
    await Promise.all([this.consul.stop(), this.kube.close()]);
  }
}

/** Until the registrar is ready and its queue is empty: everything it was told so far is written. */
export async function converged(registrar: TestRegistrar): Promise<void> {
  await eventually(() => registrar.controller.isReady());
  await registrar.controller.whenIdle();
}

export function service(
  name: string,
  spec: Record<string, unknown>,
  annotations: Record<string, string> = {},
  namespace = 'default',
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, annotations },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...spec },
  };
}

export interface EndpointSpec {
  ip: string;
  ready?: boolean;
  terminating?: boolean;
  node?: string;
  pod?: string;
}

export function endpointSlice(
  serviceName: string,
  endpoints: EndpointSpec[],
  namespace = 'default',
  name = `${serviceName}-abc`,
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: e.terminating ?? false },
      ...(e.node ? { nodeName: e.node } : {}),
      targetRef: { kind: 'Pod', name: e.pod ?? `${serviceName}-${e.ip.replace(/\./g, '-')}`, namespace },
    })),
  };
}

export function node(name: string, addresses: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { addresses: Object.entries(addresses).map(([type, address]) => ({ type, address })) },
  };
}

export interface IngressRuleSpec {
  host?: string;
  /** The Service the path `/` routes to. */
  service: string;
  path?: string;
}

/** A networking.k8s.io/v1 Ingress; `tls` lists the TLS hosts. */
export function ingress(
  name: string,
  rules: IngressRuleSpec[],
  tls: string[] = [],
  namespace = 'default',
): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace },
    spec: {
      rules: rules.map((rule) => ({
        ...(rule.host ? { host: rule.host } : {}),
        http: {
          paths: [
            {
              path: rule.path ?? '/',
              pathType: 'Prefix',
              backend: { service: { name: rule.service, port: { number: 80 } } },
            },
          ],
        },
      })),
      ...(tls.length > 0 ? { tls: [{ hosts: tls, secretName: `${name}-tls` }] } : {}),
    },
  };
}
