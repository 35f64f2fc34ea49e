/** The `registrar` subcommand: flags (consul-k8s names and defaults) and process lifecycle. */
import { Command, Option } from 'commander';
import { DEFAULT_SYNC_TAG } from '../core/annotations';
import { DEFAULT_BEARER_TOKEN_FILE, LOGIN_OPTIONS } from '../core/consul/login-settings';
import type * as HealthModule from '../core/runtime/health';
import { addLeaderFlags } from '../core/runtime/leader-flags';
import { createLogger, LOG_LEVELS } from '../core/runtime/logger';
import { GracefulShutdown } from '../core/runtime/shutdown';
import { addSyncSettingsOptions } from '../core/runtime/sync-flags';
import {
  DEFAULT_CLUSTER_ID,
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
    );
  // Leader election and --http-port (shared with the generator), next to the other timing flags.
  addLeaderFlags(command, { leaseName: DEFAULT_LEASE_NAME, leaseNamespaceFallback: 'default' });
  command
    .addOption(
      boolOption(
        '--purge',
        'deregister everything this registrar owns in Consul, then exit (for uninstall)',
        false,
      ),
    )
    .addOption(
      new Option(
        '--filter <expression>',
        'with --purge: only the owned instances this Consul filter expression matches (as consul-k8s), e.g. \'Service == "web"\'; the node stays',
      ),
    )
    .addOption(
      new Option('--log-level <level>', 'log level (lines on stderr)').choices(LOG_LEVELS).default('info'),
    )
    .addOption(
      boolOption(
        '--log-json',
        'JSON lines (true) or human-readable lines (false, as consul-k8s logs by default)',
        true,
      ),
    )
    .addOption(
      new Option(
        `${LOGIN_OPTIONS.authMethod.flag} <name>`,
        `log in to Consul through this ACL auth method (e.g. consul-k8s's <release>-k8s-component-auth-method) and use the token it returns instead of CONSUL_HTTP_TOKEN(_FILE); alias ${LOGIN_OPTIONS.authMethod.aliases[0]} (env ${LOGIN_OPTIONS.authMethod.env})`,
      ),
    )
    .addOption(new Option(`${LOGIN_OPTIONS.authMethod.aliases[0]} <name>`).hideHelp())
    .addOption(
      new Option(
        `${LOGIN_OPTIONS.bearerTokenFile.flag} <path>`,
        `bearer token presented at login, read again for every login; alias ${LOGIN_OPTIONS.bearerTokenFile.aliases[0]} (env ${LOGIN_OPTIONS.bearerTokenFile.env}; default: ${DEFAULT_BEARER_TOKEN_FILE})`,
      ),
    )
    .addOption(new Option(`${LOGIN_OPTIONS.bearerTokenFile.aliases[0]} <path>`).hideHelp())
    .addOption(
      new Option(
        `${LOGIN_OPTIONS.datacenter.flag} <dc>`,
        `datacenter of the auth method (env ${LOGIN_OPTIONS.datacenter.env}; default: --datacenter's)`,
      ),
    )
    .addOption(
      new Option(
        `${LOGIN_OPTIONS.partition.flag} <name>`,
        `Consul Enterprise: admin partition of the auth method (env ${LOGIN_OPTIONS.partition.env})`,
      ),
    )
    .addOption(
      new Option(
        `${LOGIN_OPTIONS.namespace.flag} <ns>`,
        `Consul Enterprise: namespace of the auth method (env ${LOGIN_OPTIONS.namespace.env})`,
      ),
    )
    .addOption(
      new Option(
        `${LOGIN_OPTIONS.meta.flag} <key=value>`,
        `meta of the login token, repeatable (env ${LOGIN_OPTIONS.meta.env}=k=v,k=v; default: component=registrar, pod=<POD_NAMESPACE>/<POD_NAME>)`,
      ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .addOption(
      boolOption(
        '--enable-ingress',
        'Ingress sync: a ClusterIP Service an Ingress routes "/" to registers at the rule\'s host (port 80, 443 for a TLS host) instead of its endpoints',
        false,
      ),
    )
    .addOption(
      boolOption(
        '--loadBalancer-ips',
        "with --enable-ingress: register at the Ingress's load-balancer IP instead of the rule's host",
        false,
      ),
    )
    .addOption(
      new Option(
        '--k8s-source-namespace <ns>',
        'watch and sync only this namespace (replaces --allow-k8s-namespace; --deny-k8s-namespace still applies; default: all)',
      ),
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
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { consulFromEnv, purgeRegistrations, startRegistrar } = require('./main') as typeof RegistrarMain;
  const { boundPort } = require('../core/runtime/health') as typeof HealthModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const logger = createLogger({
    level: config.logLevel,
    component: 'registrar',
    format: config.logJson ? 'json' : 'text',
  });
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
