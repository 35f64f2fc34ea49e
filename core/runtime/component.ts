/**
 * The component kit of the long-running programs (the registrar and `generate --watch`): the
 * metrics registry, readiness and health, the HTTP server for them, leader election through a
 * Lease, the readiness rule, and the order these stop in. A program adds its own checks and its
 * own work; everything else is wired here once, with one set of defaults.
 *
 * The readiness rule: a standby replica is ready (it has nothing to do, and an unready standby
 * would only page someone); the leader, or a replica without leader election, is ready when the
 * program's own check says so.
 */
import type { Server } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { LeaderElector } from '../kube/leader';
import { createLeadership } from '../kube/leadership';
import { closeServer, Health, type ReadinessCheck, startHealthServer } from './health';
import { createMetricsRegistry, type Registry } from './metrics';

interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  lease: { namespace: string; name: string; durationMs: number };
  /** What leading means, for the log line ("writing to Consul"). */
  leaderDoes: string;
  /** Default: POD_NAME, else host name and a random suffix. */
  identity?: string;
  env?: NodeJS.ProcessEnv;
}

interface ComponentOptions {
  /** The `component` label on every metric. */
  name: string;
  logger: Logger;
  /** `/livez`, `/healthz`, `/readyz`, `/metrics` on this port; none when undefined. */
  http?: {
    port: number;
    /**
     * When the port is taken: `fail` (default), or `continue` without the endpoints, logging an
     * error, as consul-k8s does.
     */
    whenPortInUse?: 'fail' | 'continue';
  };
  /** Run only while holding this Lease; without it the replica always leads. */
  leaderElection?: LeaderElectionOptions;
  onLeadershipChange?: (leading: boolean) => void;
}

export class Component {
  readonly registry: Registry;
  readonly health = new Health();
  /** Created, not campaigning until `startElection()`. */
  readonly elector: LeaderElector | undefined;
  private server: Server | undefined;

  constructor(private readonly options: ComponentOptions) {
    this.registry = createMetricsRegistry({ defaultLabels: { component: options.name } });
    const election = options.leaderElection;
    this.elector = election
      ? createLeadership({
          ...election,
          logger: options.logger,
          ...(options.onLeadershipChange ? { onChange: options.onLeadershipChange } : {}),
        })
      : undefined;
  }

  /** True while this replica may do the work: it holds the Lease, or runs without election. */
  isLeader(): boolean {
    return this.elector?.isLeader() ?? true;
  }

  /** Registers the program's readiness under the readiness rule (a standby is ready). */
  addReadinessCheck(name: string, check: ReadinessCheck): void {
    this.health.addReadinessCheck(name, () => !this.isLeader() || check());
  }

  /** Starts the HTTP endpoints (if configured); undefined when there are none. */
  async serve(): Promise<Server | undefined> {
    const http = this.options.http;
    if (!http) return undefined;
    try {
      this.server = await startHealthServer({
        port: http.port,
        health: this.health,
        registry: this.registry,
      });
    } catch (err) {
      if (http.whenPortInUse !== 'continue' || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE')
        throw err;
      this.options.logger.error(
        { port: http.port },
        `port ${http.port} is in use: running without /healthz, /readyz and /metrics (choose another with --http-port)`,
      );
    }
    return this.server;
  }

  startElection(): void {
    this.elector?.start();
  }

  /**
   * Turns unready, stops the program's `work`, then gives the Lease up (a standby takes over at
   * once) and closes the server.
   */
  async stop(work?: () => Promise<void>, graceMs?: number): Promise<void> {
    this.health.markShuttingDown();
    await work?.();
    await this.elector?.stop();
    if (this.server) await closeServer(this.server, graceMs);
  }
}
