/** The `registrar` subcommand: flags (consul-k8s names and defaults) and process lifecycle. */
import { Command, Option } from 'commander';
import { DEFAULT_SYNC_TAG } from '../core/annotations';
import {
  addSyncSettingsOptions,
  boundPort,
  createLogger,
  GracefulShutdown,
  LOG_LEVELS,
  portArg,
} from '../core/runtime';
import {
  DEFAULT_CLUSTER_ID,
  DEFAULT_HTTP_PORT,
  DEFAULT_LEASE_DURATION,
  DEFAULT_LEASE_NAME,
  DEFAULT_NODE_NAME_PREFIX,
  DEFAULT_RESYNC_PERIOD,
  parseRegistrarConfig,
  type RawRegistrarOptions,
} from './config';
import { NODE_PORT_SYNC_TYPES } from './desired';
import type * as RegistrarMain from './main';

/** A boolean flag in Go style: `--flag` (true), `--flag=false`, `--flag=true`. */
function boolOption(flags: string, description: string, defaultValue: boolean): Option {
  return new Option(`${flags} [bool]`, description).default(defaultValue);
}

export function createRegistrarCommand(): Command {
  const command = new Command('registrar')
    .description(
      'Sync Kubernetes Services to the Consul catalog (consul-k8s catalog sync semantics): event-driven, minimal writes in transactions, safe for several clusters on one Consul. Consul access from CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN(_FILE), CONSUL_HTTP_SSL, CONSUL_CACERT, CONSUL_CLIENT_CERT/KEY, CONSUL_TLS_SERVER_NAME, CONSUL_HTTP_SSL_VERIFY, and (Consul Enterprise) CONSUL_NAMESPACE, CONSUL_PARTITION.',
    )
    .addOption(
      new Option(
        '--kubeconfig <path>',
        'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)',
      ),
    )
    .addOption(new Option('--datacenter <dc>', "Consul datacenter to register in (default: the agent's)"))
    .addOption(
      new Option(
        '--consul-service-prefix <prefix>',
        'prefix for Consul service names (not applied to service-name annotations)',
      ).default(''),
    )
    .addOption(
      boolOption('--add-k8s-namespace-suffix', 'append "-<namespace>" to Consul service names', false),
    )
    .addOption(
      new Option('--consul-k8s-tag <tag>', 'tag added to every registered instance').default(
        DEFAULT_SYNC_TAG,
      ),
    )
    .addOption(
      new Option(
        '--consul-node-name <name>',
        `Consul node that holds every instance (default: ${DEFAULT_NODE_NAME_PREFIX}, or ${DEFAULT_NODE_NAME_PREFIX}-<cluster-id> when --cluster-id is not ${DEFAULT_CLUSTER_ID})`,
      ),
    )
    .addOption(
      new Option(
        '--node-port-sync-type <type>',
        `NodePort instance address: ${NODE_PORT_SYNC_TYPES.join(' | ')}`,
      ).default('ExternalOnly'),
    )
    .addOption(
      new Option(
        '--cluster-id <id>',
        'identifies this cluster: in node and service meta, instance IDs and the default node name',
      ).default(DEFAULT_CLUSTER_ID),
    )
    .addOption(
      new Option(
        '--resync-period <duration>',
        'full compare with Consul that repairs drift (writes only differences)',
      ).default(DEFAULT_RESYNC_PERIOD),
    )
    .addOption(
      boolOption(
        '--leader-elect',
        'elect one writer among replicas through a coordination.k8s.io/v1 Lease',
        false,
      ),
    )
    .addOption(new Option('--leader-elect-lease-name <name>', 'Lease name').default(DEFAULT_LEASE_NAME))
    .addOption(
      new Option(
        '--leader-elect-lease-namespace <ns>',
        'Lease namespace (default: $POD_NAMESPACE, else default)',
      ),
    )
    .addOption(
      new Option(
        '--leader-elect-lease-duration <duration>',
        'how long a Lease lasts without renewal; a standby takes over within it',
      ).default(DEFAULT_LEASE_DURATION),
    )
    .addOption(
      boolOption(
        '--purge',
        'deregister everything this registrar owns in Consul, then exit (for uninstall)',
        false,
      ),
    )
    .addOption(
      new Option('--http-port <port>', 'port for /healthz, /readyz and /metrics')
        .argParser(portArg)
        .default(DEFAULT_HTTP_PORT),
    )
    .addOption(
      new Option('--log-level <level>', 'log level (JSON lines on stderr)')
        .choices(LOG_LEVELS)
        .default('info'),
    )
    // Consul Enterprise namespaces and admin partitions (consul-k8s's flags); refused at start
    // against a Consul without them.
    .addOption(
      boolOption(
        '--enable-namespaces',
        '[Enterprise] register into Consul namespaces: --consul-destination-namespace, or mirrored',
        false,
      ),
    )
    .addOption(
      new Option(
        '--consul-destination-namespace <ns>',
        '[Enterprise] the Consul namespace of every Service unless mirroring (default: default; created when missing)',
      ),
    )
    .addOption(
      boolOption(
        '--enable-k8s-namespace-mirroring',
        '[Enterprise] each Service goes to the Consul namespace named after its Kubernetes namespace (created when missing)',
        false,
      ),
    )
    .addOption(
      new Option(
        '--k8s-namespace-mirroring-prefix <prefix>',
        '[Enterprise] prefix of mirrored namespace names (k8s- maps default to k8s-default)',
      ),
    )
    .addOption(
      new Option(
        '--consul-cross-namespace-acl-policy <policy>',
        '[Enterprise] ACL policy attached as a policy default to every namespace the registrar creates',
      ),
    )
    .addOption(
      new Option('--partition <name>', '[Enterprise] Consul admin partition (default: $CONSUL_PARTITION)'),
    )
    .action(async (options: RawRegistrarOptions, self: Command) => {
      await runRegistrarCommand(options, self.getOptionValueSource('httpPort') === 'default');
    });
  return addSyncSettingsOptions(command);
}

/** Validates everything first (bad flags, unreadable token files: exit 1 before any I/O). */
async function runRegistrarCommand(options: RawRegistrarOptions, defaultHttpPort: boolean): Promise<void> {
  const config = parseRegistrarConfig(options);
  // Loaded here, not at import: the Kubernetes client costs every other subcommand ~0.3 s to load.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { consulFromEnv, purgeRegistrations, startRegistrar } = require('./main') as typeof RegistrarMain;
  const logger = createLogger({ level: config.logLevel, component: 'registrar' });
  const consul = consulFromEnv(config, process.env, logger);
  if (config.purge) {
    const result = await purgeRegistrations(config, consul, logger);
    logger.info({ node: config.nodeName, clusterId: config.clusterId, ...result }, 'purge complete');
    return;
  }
  const registrar = await startRegistrar(config, {
    logger,
    consul,
    httpPortInUse: defaultHttpPort ? 'continue' : 'fail',
  });
  logger.info(
    {
      node: config.nodeName,
      clusterId: config.clusterId,
      leaderElect: config.leaderElect,
      httpPort: registrar.server ? boundPort(registrar.server) : null,
    },
    'registrar started',
  );
  new GracefulShutdown({ delayMs: 0, health: registrar.health, logger })
    .onDrain('registrar', () => registrar.stop())
    .install();
}
