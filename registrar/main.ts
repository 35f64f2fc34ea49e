/**
 * Wires the registrar, its composition root: Consul client and start-up checks
 * (consul-startup.ts), informers (informers.ts), Events, leader election and the health/metrics
 * server (the component kit), and the controller. `startRegistrar` runs it in-process (tests,
 * benchmark); `purgeRegistrations` is `--purge`. Signal handling lives in command.ts.
 */
import type { Server } from 'node:http';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  type ConsulClient,
  consulConfigFromEnv,
  type ConsulOverrides,
  createConsulClient,
  watchTokenFile,
} from '../core/consul';
import { EventRecorder } from '../core/kube/event-recorder';
import type { LeaderElector } from '../core/kube/leader';
import { loadKubeConfig } from '../core/kube/config';
import type { Health, Registry } from '../core/runtime';
import { Component } from '../core/runtime/component';
import type { RegistrarConfig } from './config';
import { loginToConsul, refuseClaimedNode, registrarTenancy } from './consul-startup';
import { type ControllerOptions, RegistrarController } from './controller';
import { createInformers } from './informers';
import { createRegistrarMetrics } from './metrics';
import { purgeOwned, type PurgeResult } from './purge';

const COMPONENT = 'consul-k8s-gitops-registrar';

interface RegistrarDeps {
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Pre-built clients (tests); otherwise from the environment and kubeconfig. */
  consul?: ConsulClient;
  kubeConfig?: KubeConfig;
  /** Replica identity for the Lease (default: POD_NAME, else host name plus a random suffix). */
  identity?: string;
  /** Passed to the controller (tests shorten them). */
  controller?: Pick<ControllerOptions, 'debounceMs' | 'retry' | 'refusalRetry'>;
  /** Poll interval of CONSUL_HTTP_TOKEN_FILE (ms; default 2000). */
  tokenFilePollMs?: number;
  /** Serve /healthz /readyz /metrics (default true). */
  serveHttp?: boolean;
  /**
   * When the HTTP port is taken: `fail` (default), or `continue` without the endpoints, logging
   * an error, as consul-k8s does. The command uses `continue` only for the default port, so a
   * second registrar on one host (tests, a laptop) still syncs; an explicit --http-port fails.
   */
  httpPortInUse?: 'fail' | 'continue';
}

export interface RunningRegistrar {
  controller: RegistrarController;
  registry: Registry;
  health: Health;
  server?: Server;
  elector?: LeaderElector;
  /** Stops everything; deregisters nothing (a released Lease lets a standby take over at once). */
  stop(): Promise<void>;
}

export function consulFromEnv(config: RegistrarConfig, env: NodeJS.ProcessEnv, logger: Logger): ConsulClient {
  const overrides: ConsulOverrides = {};
  if (config.datacenter) overrides.datacenter = config.datacenter;
  if (config.partition) overrides.partition = config.partition;
  const consulConfig = consulConfigFromEnv(env, overrides);
  logger.info(
    {
      consul: consulConfig.describe(),
      ...(config.login
        ? { login: `auth method ${config.login.authMethod} (replaces any static token)` }
        : {}),
    },
    'Consul connection',
  );
  return createConsulClient(consulConfig);
}

export async function startRegistrar(
  config: RegistrarConfig,
  deps: RegistrarDeps,
): Promise<RunningRegistrar> {
  const consul = deps.consul ?? consulFromEnv(config, deps.env ?? process.env, deps.logger);
  // The elector's, the token watch's and the login's callbacks reach the controller, built later.
  const ref: { controller?: RegistrarController } = {};
  // Before any request: every one carries the login token; logged out on every way out.
  const login = await loginToConsul(config, consul, deps.logger, () => ref.controller?.leadershipChanged());
  try {
    const running = await startSyncing(config, deps, consul, ref);
    return {
      ...running,
      async stop() {
        await running.stop();
        await login?.stop();
      },
    };
  } catch (err) {
    await login?.stop();
    throw err;
  }
}

async function startSyncing(
  config: RegistrarConfig,
  deps: RegistrarDeps,
  consul: ConsulClient,
  ref: { controller?: RegistrarController },
): Promise<RunningRegistrar> {
  const { logger } = deps;
  const env = deps.env ?? process.env;
  const kc =
    deps.kubeConfig ??
    loadKubeConfig(config.kubeconfig !== undefined ? { kubeconfig: config.kubeconfig } : {});
  const tenancy = await registrarTenancy(config, consul, logger);
  await refuseClaimedNode(config, consul, logger);
  const core = kc.makeApiClient(CoreV1Api);
  // With a login, the login token replaces the file's.
  const tokenFile = config.login ? undefined : env.CONSUL_HTTP_TOKEN_FILE;
  const stopTokenWatch = tokenFile
    ? watchTokenFile({
        consul,
        path: tokenFile,
        ...(deps.tokenFilePollMs !== undefined ? { intervalMs: deps.tokenFilePollMs } : {}),
        onRotated: () => {
          logger.info({ file: tokenFile }, 'CONSUL_HTTP_TOKEN_FILE changed; using the new token');
          ref.controller?.leadershipChanged();
        },
        onError: (reason) => logger.warn(`${reason}; still using the previous token`),
      })
    : undefined;
  const { services, endpointSlices, nodes, ingresses, all: informers } = createInformers(kc, config, logger);
  const events = new EventRecorder({
    core,
    component: COMPONENT,
    onError: (_error, description) =>
      logger.warn({ error: description }, 'could not record a Kubernetes event'),
  });

  const component = new Component({
    name: 'registrar',
    logger,
    ...(deps.serveHttp === false
      ? {}
      : { http: { port: config.httpPort, whenPortInUse: deps.httpPortInUse ?? 'fail' } }),
    ...(config.leaderElect
      ? {
          leaderElection: {
            kubeConfig: kc,
            lease: {
              namespace: config.leaseNamespace,
              name: config.leaseName,
              durationMs: config.leaseDurationMs,
            },
            leaderDoes: 'writing to Consul',
            ...(deps.identity !== undefined ? { identity: deps.identity } : {}),
            env,
          },
        }
      : {}),
    onLeadershipChange: (leading) => {
      metrics.leader.set(leading ? 1 : 0);
      ref.controller?.leadershipChanged();
    },
  });
  const { registry, health, elector } = component;
  const metrics = createRegistrarMetrics(registry);
  const controller = new RegistrarController({
    config,
    consul,
    tenancy,
    services,
    endpointSlices,
    nodes,
    ...(ingresses ? { ingresses } : {}),
    logger,
    metrics,
    events,
    ...(elector
      ? { isLeader: () => elector.isLeader(), leaseRemainingMs: () => elector.leaseRemainingMs() }
      : {}),
    ...deps.controller,
  });
  ref.controller = controller;
  metrics.leader.set(elector ? 0 : 1);
  component.addReadinessCheck('registrar', () => controller.isReady());

  const server = await component.serve();

  const started = controller.start();
  await Promise.all(informers.map((informer) => informer.start()));
  component.startElection();
  void started.catch((error: unknown) =>
    logger.error({ error: String(error) }, 'controller failed to start'),
  );

  return {
    controller,
    registry,
    health,
    ...(server ? { server } : {}),
    ...(elector ? { elector } : {}),
    async stop() {
      await component.stop(async () => {
        await controller.stop();
        stopTokenWatch?.();
        await Promise.all(informers.map((informer) => informer.stop()));
      }, 2000);
    },
  };
}

/**
 * `--purge`: logs in, resolves the namespaces and partition, and deregisters what this cluster
 * owns on its node (purge.ts); logged out on every way out.
 */
export async function purgeRegistrations(
  config: RegistrarConfig,
  consul: ConsulClient,
  logger: Logger,
): Promise<PurgeResult> {
  const login = await loginToConsul(config, consul, logger);
  try {
    const tenancy = await registrarTenancy(config, consul, logger);
    return await purgeOwned(config, consul, tenancy, logger);
  } finally {
    await login?.stop();
  }
}
