/**
 * The registrar's first steps against Consul, before it syncs or purges anything: the login
 * through the auth method (`--acl-auth-method`), the namespaces and partition checked against
 * Consul (Enterprise only), and the refusal to start on a Consul node another cluster's
 * registrar owns. main.ts runs them in this order.
 */
import type { Logger } from 'pino';
import { clientTenancy, type ConsulClient, ConsulError, ConsulLoginSession, readNode } from '../core/consul';
import { requireEnterprise } from '../core/consul/namespaces';
import { NodeClaimedError } from './catalog-port';
import type { RegistrarConfig } from './config';
import { nodeClaimedBy } from './diff';
import { resolveTenancy, type Tenancy } from './namespaces';

/** `--acl-auth-method`: logs in (undefined without it); renewals wake `onRenewed`. */
export async function loginToConsul(
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

/**
 * The registrar's namespaces and partition (its flags and its client's CONSUL_NAMESPACE /
 * CONSUL_PARTITION), checked against Consul: a Consul without namespaces (OSS) fails the start at
 * once. An unreachable Consul does not: every later read carries `ns`/`partition`, which such a
 * Consul refuses, so nothing is written before it is known to be Enterprise.
 */
export async function registrarTenancy(
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

/**
 * Refuses to start when our node belongs to another cluster's registrar. Consul being unreachable
 * does not stop the start: the controller checks again before every full reconcile.
 */
export async function refuseClaimedNode(
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
