/**
 * `--purge`, once logged in: reads our node in every namespace the registrar uses, deregisters
 * what this cluster owns on it (all of it, or what `--filter` matches) and says how much went.
 * A malformed `--filter` is a config error, not retried.
 */
import type { Logger } from 'pino';
import { type ConsulClient, isUnrunnable } from '../core/consul';
import { retryWithBackoff } from '../core/kube/backoff';
import { applyOps } from './apply';
import { type RegistrarConfig, RegistrarConfigError } from './config';
import { readActualState } from './consul-state';
import { purgeOps } from './diff';
import type { Tenancy } from './namespaces';

export interface PurgeResult {
  deleted: number;
  nodeDeleted: boolean;
}

/**
 * Deregisters every instance this cluster owns on its node (and the node if empty), or with
 * `--filter` only the owned instances Consul's filter matches (the node then stays); transient
 * failures are retried with backoff.
 */
export async function purgeOwned(
  config: RegistrarConfig,
  consul: ConsulClient,
  tenancy: Tenancy,
  logger: Logger,
): Promise<PurgeResult> {
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
