/**
 * Leader election as both long-running programs wire it: a Lease in a namespace, the timing from
 * one duration, the Pod's identity, and one log line per change. The program says what a change
 * means for it (`onChange`).
 */
import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { LeaderElector } from './leader';
import { electionIdentity, leaseTiming } from './lease-settings';

interface LeadershipSettings {
  namespace: string;
  name: string;
  durationMs: number;
}

interface LeadershipOptions {
  kubeConfig: KubeConfig;
  lease: LeadershipSettings;
  logger: Logger;
  /** What leading means, for the log line ("writing to Consul"). */
  leaderDoes: string;
  /** Default: POD_NAME, else host name and a random suffix. */
  identity?: string;
  env?: NodeJS.ProcessEnv;
  onChange?: (leading: boolean) => void;
}

/** A LeaderElector, not started (`start()` begins campaigning). */
export function createLeadership(options: LeadershipOptions): LeaderElector {
  const { logger, lease } = options;
  const identity = options.identity ?? electionIdentity(options.env);
  return new LeaderElector({
    coordination: options.kubeConfig.makeApiClient(CoordinationV1Api),
    namespace: lease.namespace,
    name: lease.name,
    identity,
    ...leaseTiming(lease.durationMs),
    onStartedLeading: () => {
      logger.info(
        { identity, lease: `${lease.namespace}/${lease.name}` },
        `became the leader; ${options.leaderDoes}`,
      );
      options.onChange?.(true);
    },
    onStoppedLeading: () => {
      logger.warn({ identity, lease: `${lease.namespace}/${lease.name}` }, 'stopped leading; standing by');
      options.onChange?.(false);
    },
    onError: (_error, description) => logger.warn({ error: description }, 'leader election'),
  });
}
