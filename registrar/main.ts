/**
 * Wires the registrar: Consul client, informers, leader election, health/metrics server and the
 * controller. `startRegistrar` runs it in-process (tests, benchmark); `purgeRegistrations` is
 * `--purge`. Signal handling lives in command.ts.
 */
import type { Server } from 'node:http';
import {
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  NetworkingV1Api,
  type V1EndpointSlice,
  type V1Ingress,
  type V1Node,
  type V1Service,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  clientTenancy,
  type ConsulClient,
  ConsulError,
  isUnrunnable,
  ConsulLoginSession,
  consulConfigFromEnv,
  type ConsulOverrides,
  createConsulClient,
  readNode,
  watchTokenFile,
} from '../core/consul';
import { requireEnterprise } from '../core/consul/namespaces';
import { retryWithBackoff } from '../core/kube/backoff';
import { describeKubeError } from '../core/kube/errors';
import { EventRecorder } from '../core/kube/event-recorder';
import { KubeInformer } from '../core/kube/informer';
import { slimEndpointSlice, slimNode, slimService } from './cache-shape';
import type { LeaderElector } from '../core/kube/leader';
import { loadKubeConfig } from '../core/kube/config';
import type { Health, Registry } from '../core/runtime';
import { Component } from '../core/runtime/component';
import { applyOps } from './apply';
import { type RegistrarConfig, RegistrarConfigError } from './config';
import { readActualState } from './consul-state';
import { type ControllerOptions, RegistrarController } from './controller';
import { NodeClaimedError } from './catalog-port';
import { nodeClaimedBy, purgeOps } from './diff';
import { createRegistrarMetrics } from './metrics';
import { resolveTenancy, type Tenancy } from './namespaces';

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

/**
 * The registrar's namespaces and partition (its flags and its client's CONSUL_NAMESPACE /
 * CONSUL_PARTITION), checked against Consul: a Consul without namespaces (OSS) fails the start at
 * once. An unreachable Consul does not: every later read carries `ns`/`partition`, which such a
 * Consul refuses, so nothing is written before it is known to be Enterprise.
 */
async function registrarTenancy(
  config: RegistrarConfig,
  consul: ConsulClient,
  logger: Logger,
): Promise<Tenancy> {
  const tenancy = resolveTenancy(config.namespaces, clientTenancy(consul), config.partition !== undefined);
  if (tenancy.requestedBy.length === 0) return tenancy;
  try {
    await requireEnterprise(consul, tenancy.requestedBy);
  } catch (err) {
    if (!(err instanceof ConsulError)) throw err;
    logger.warn(
      { error: err.message },
      'could not check that Consul has namespaces (Consul Enterprise); requests carry them and fail if not',
    );
  }
  return tenancy;
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

/** `--acl-auth-method`: logs in (undefined without it); renewals wake `onRenewed`. */
async function loginToConsul(
  config: RegistrarConfig,
  consul: ConsulClient,
  logger: Logger,
  onRenewed?: () => void,
): Promise<ConsulLoginSession | undefined> {
  if (!config.login) return undefined;
  const { authMethod } = config.login;
  return ConsulLoginSession.start({
    consul,
    settings: config.login,
    onLogin: (accessorId, renewal) => {
      logger.info(
        { authMethod, accessorId },
        renewal
          ? 'Consul no longer knows our token: logged in again'
          : 'logged in to Consul through the auth method',
      );
      if (renewal) onRenewed?.();
    },
    onError: (message) => logger.warn(message),
  });
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
  const discovery = kc.makeApiClient(DiscoveryV1Api);

  const informerHooks = (kind: string) => ({
    onError: (error: unknown, delayMs: number) =>
      logger.warn({ kind, retryInMs: delayMs, error: describeKubeError(error) }, 'watch failed; restarting'),
    onSynced: () => logger.info({ kind }, 'cache synced'),
  });
  const nodes = new KubeInformer<V1Node>(kc, {
    path: '/api/v1/nodes',
    list: (page) => core.listNode(page),
    transform: slimNode,
    hooks: informerHooks('Node'),
  });
  // --k8s-source-namespace: namespaced informers, so a Role in that namespace grants them.
  const namespace = config.sourceNamespace;
  const scoped = (api: string, plural: string) =>
    namespace ? `${api}/namespaces/${namespace}/${plural}` : `${api}/${plural}`;
  const services = new KubeInformer<V1Service>(kc, {
    path: scoped('/api/v1', 'services'),
    list: (page) =>
      namespace ? core.listNamespacedService({ namespace, ...page }) : core.listServiceForAllNamespaces(page),
    transform: slimService,
    hooks: informerHooks('Service'),
  });
  const endpointSlices = new KubeInformer<V1EndpointSlice>(kc, {
    path: scoped('/apis/discovery.k8s.io/v1', 'endpointslices'),
    list: (page) =>
      namespace
        ? discovery.listNamespacedEndpointSlice({ namespace, ...page })
        : discovery.listEndpointSliceForAllNamespaces(page),
    transform: slimEndpointSlice,
    hooks: informerHooks('EndpointSlice'),
  });
  const networking = kc.makeApiClient(NetworkingV1Api);
  const ingresses = config.enableIngress
    ? new KubeInformer<V1Ingress>(kc, {
        path: scoped('/apis/networking.k8s.io/v1', 'ingresses'),
        list: (page) =>
          namespace
            ? networking.listNamespacedIngress({ namespace, ...page })
            : networking.listIngressForAllNamespaces(page),
        hooks: informerHooks('Ingress'),
      })
    : undefined;
  const informers = [services, endpointSlices, nodes, ...(ingresses ? [ingresses] : [])];
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
 * Refuses to start when our node belongs to another cluster's registrar. Consul being unreachable
 * does not stop the start: the controller checks again before every full reconcile.
 */
async function refuseClaimedNode(
  config: RegistrarConfig,
  consul: ConsulClient,
  logger: Logger,
): Promise<void> {
  let node;
  try {
    node = await readNode(consul, config.nodeName);
  } catch (err) {
    if (!(err instanceof ConsulError)) throw err;
    logger.warn(
      { error: err.message },
      'could not read our Consul node at startup; checked again before writing',
    );
    return;
  }
  const other = node
    ? nodeClaimedBy({ address: node.Address, meta: node.Meta ?? {} }, config.clusterId)
    : undefined;
  if (other !== undefined) throw new NodeClaimedError(config.nodeName, other, config.clusterId);
}

interface PurgeResult {
  deleted: number;
  nodeDeleted: boolean;
}

/**
 * `--purge`: deregister every instance this cluster owns on its node (and the node if empty),
 * in every namespace when namespaces are on; with `--filter` only the owned instances Consul's
 * filter matches (the node then stays).
 */
export async function purgeRegistrations(
  config: RegistrarConfig,
  consul: ConsulClient,
  logger: Logger,
): Promise<PurgeResult> {
  const login = await loginToConsul(config, consul, logger);
  try {
    return await purgeOwned(config, consul, logger);
  } finally {
    await login?.stop();
  }
}

async function purgeOwned(
  config: RegistrarConfig,
  consul: ConsulClient,
  logger: Logger,
): Promise<PurgeResult> {
  const tenancy = await registrarTenancy(config, consul, logger);
  return retryWithBackoff(
    async () => {
      const actual = await readActualState(consul, config.nodeName, tenancy, config.purgeFilter).catch(
        (error: unknown) => {
          if (config.purgeFilter === undefined || !isUnrunnable(error)) throw error;
          throw new RegistrarConfigError(
            `--filter: Consul refused the expression: ${(error as Error).message}`,
          );
        },
      );
      const ops = purgeOps(actual, config.nodeName, config.clusterId, config.purgeFilter !== undefined);
      const outcome = await applyOps(ops, {
        consul,
        nodeName: config.nodeName,
        ...(tenancy.partition !== undefined ? { partition: tenancy.partition } : {}),
      });
      if (outcome.error) throw outcome.error;
      if (outcome.rejected.length > 0) {
        throw new Error(
          `Consul refused ${outcome.rejected.length} deregistration(s): ${outcome.rejected[0]?.reason}`,
        );
      }
      const deleted = ops.filter((op) => op.kind === 'delete').length;
      return { deleted, nodeDeleted: ops.some((op) => op.kind === 'delete-node') };
    },
    {
      maxAttempts: 6,
      initialMs: 500,
      maxMs: 10_000,
      // A malformed --filter fails the same way every time.
      retryable: (error) => !isUnrunnable(error) && !(error instanceof RegistrarConfigError),
      onRetry: (error, attempt, delayMs) =>
        logger.warn(
          { attempt, retryInMs: delayMs, error: error instanceof Error ? error.message : String(error) },
          'purge failed; retrying',
        ),
    },
  );
}
