/**
 * Registrar settings: commander's raw option values -> a validated config. Every flag keeps its
 * consul-k8s name and default where one exists. Bad values fail at startup with a message that
 * names the flag and the reason.
 */
import { z } from 'zod';
import { ConsulConfigError } from '../core/consul/config';
import { type ConsulLoginSettings, loginSettingsFrom } from '../core/consul/login-settings';
import { DEFAULT_SYNC_SETTINGS, DEFAULT_SYNC_TAG, isValidSyncTag } from '../core/annotations';
import { TENANCY_NAME } from '../core/consul/config';
import { DEFAULT_NAMESPACE } from '../core/consul/namespaces';
import { isDns1123Label } from '../core/names/dns';
import { parseDuration } from '../core/runtime/config';
import { leaderFlagsShape, leaderSettings, type LeaderSettings } from '../core/runtime/leader-flags';
import { duration, goBool, parseOptions } from '../core/runtime/zod-flags';
import { LOG_LEVELS, type LogLevel } from '../core/runtime/logger';
import { type DesiredSettings, NODE_PORT_SYNC_TYPES } from './desired';
import type { NamespaceFlags } from './namespaces';

export const DEFAULT_CLUSTER_ID = 'default';
/** consul-k8s's `--consul-node-name` default; other cluster IDs get `k8s-sync-<cluster-id>`. */
export const DEFAULT_NODE_NAME_PREFIX = 'k8s-sync';
export const DEFAULT_RESYNC_PERIOD = '5m';
export const DEFAULT_LEASE_NAME = 'consul-k8s-gitops-registrar';

export interface RegistrarConfig extends DesiredSettings, LeaderSettings {
  nodeName: string;
  kubeconfig?: string;
  datacenter?: string;
  resyncPeriodMs: number;
  purge: boolean;
  /** `--filter`: with `--purge`, only instances this Consul filter expression matches. */
  purgeFilter?: string;
  logLevel: LogLevel;
  /** JSON lines (default) or human-readable lines (`--log-json=false`, consul-k8s's default). */
  logJson: boolean;
  /** `--acl-auth-method` and the other login flags: log in to Consul instead of a static token. */
  login?: ConsulLoginSettings;
  /** Ingress sync (`--enable-ingress`): Services an Ingress routes to register at its address. */
  enableIngress: boolean;
  /** `--loadBalancer-ips`: the Ingress's load-balancer IP instead of the rule's host. */
  syncLoadBalancerIPs: boolean;
  /** `--k8s-source-namespace`: the one namespace watched and synced (unset: all). */
  sourceNamespace?: string;
  /** `--enable-namespaces` and its flags (Consul Enterprise); absent: namespaces off. */
  namespaces?: NamespaceFlags;
  /** `--partition` (Consul Enterprise); CONSUL_PARTITION when absent (core/consul/config.ts). */
  partition?: string;
}

/** Option values as commander hands them over (strings, string lists, or booleans). */
export type RawRegistrarOptions = Record<string, unknown>;

export class RegistrarConfigError extends Error {
  override readonly name = 'RegistrarConfigError';
}

const list = (flag: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : [value]).map((item) => item.trim()))
    .refine((items) => items.every((item) => item !== ''), { message: `${flag}: empty namespace name` });

/**
 * consul-k8s's rule for the sync node name (server-acl-init `-sync-consul-node-name`, as Consul's
 * agent/config/builder.go judges node names): letters, digits and dashes, 1 to 63, so the node
 * stays discoverable through Consul DNS.
 */
const NODE_NAME = /^[A-Za-z0-9-]{1,63}$/;

/** Consul's ACL policy name rule (agent/structs validPolicyName). */
const POLICY_NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** A mirroring prefix keeps `<prefix><k8s namespace>` a namespace name: letters, digits, "-", starting alphanumeric. */
const MIRRORING_PREFIX = /^(?:[a-zA-Z0-9][a-zA-Z0-9-]{0,61})?$/;

const tenancyName = (flag: string) =>
  z.string().refine((value) => TENANCY_NAME.test(value), {
    message: `${flag}: expected a namespace or partition name (letters, digits and "-", at most 63, starting and ending alphanumeric)`,
  });

/** consul-k8s's namespace flags (sync-catalog command.go), Consul Enterprise only. */
const namespaceFlags = {
  enableNamespaces: goBool('--enable-namespaces').default(false),
  consulDestinationNamespace: tenancyName('--consul-destination-namespace').optional(),
  enableK8sNamespaceMirroring: goBool('--enable-k8s-namespace-mirroring').default(false),
  k8sNamespaceMirroringPrefix: z
    .string()
    .regex(
      MIRRORING_PREFIX,
      '--k8s-namespace-mirroring-prefix: expected letters, digits and "-", starting alphanumeric (at most 62)',
    )
    .optional(),
  consulCrossNamespaceAclPolicy: z
    .string()
    .regex(
      POLICY_NAME,
      '--consul-cross-namespace-acl-policy: expected an ACL policy name (letters, digits, "-", "_")',
    )
    .optional(),
  partition: tenancyName('--partition').optional(),
};

type NamespaceOptions = z.infer<z.ZodObject<typeof namespaceFlags>>;

/**
 * The namespace flags as consul-k8s reads them, except that a companion flag without the flag it
 * depends on is refused instead of ignored (it would otherwise look like it did something).
 */
function namespaceSettings(o: NamespaceOptions): NamespaceFlags | undefined {
  const orphans: string[] = [];
  if (!o.enableNamespaces) {
    if (o.consulDestinationNamespace !== undefined) orphans.push('--consul-destination-namespace');
    if (o.enableK8sNamespaceMirroring) orphans.push('--enable-k8s-namespace-mirroring');
    if (o.consulCrossNamespaceAclPolicy !== undefined) orphans.push('--consul-cross-namespace-acl-policy');
  }
  if (orphans.length > 0)
    throw new RegistrarConfigError(
      `${orphans.join(', ')}: only used with --enable-namespaces (Consul Enterprise)`,
    );
  if (o.k8sNamespaceMirroringPrefix !== undefined && !o.enableK8sNamespaceMirroring)
    throw new RegistrarConfigError(
      '--k8s-namespace-mirroring-prefix: only used with --enable-k8s-namespace-mirroring',
    );
  if (o.enableK8sNamespaceMirroring && o.consulDestinationNamespace !== undefined)
    throw new RegistrarConfigError(
      '--consul-destination-namespace: not used with --enable-k8s-namespace-mirroring (each Service goes to <prefix><its Kubernetes namespace>)',
    );
  if (!o.enableNamespaces) return undefined;
  const flags: NamespaceFlags = {
    destination: o.consulDestinationNamespace ?? DEFAULT_NAMESPACE,
    mirroring: o.enableK8sNamespaceMirroring,
    mirroringPrefix: o.k8sNamespaceMirroringPrefix ?? '',
  };
  if (o.consulCrossNamespaceAclPolicy !== undefined)
    flags.crossNamespaceAclPolicy = o.consulCrossNamespaceAclPolicy;
  return flags;
}

const schema = z.object({
  kubeconfig: z.string().min(1, '--kubeconfig: the path is empty').optional(),
  datacenter: z.string().optional(),
  k8sDefaultSync: goBool('--k8s-default-sync').default(DEFAULT_SYNC_SETTINGS.defaultSync),
  allowK8sNamespace: list('--allow-k8s-namespace').default([...DEFAULT_SYNC_SETTINGS.allowNamespaces]),
  denyK8sNamespace: list('--deny-k8s-namespace').default([...DEFAULT_SYNC_SETTINGS.denyNamespaces]),
  consulServicePrefix: z.string().default(''),
  addK8sNamespaceSuffix: goBool('--add-k8s-namespace-suffix').default(false),
  consulK8sTag: z.string().default(DEFAULT_SYNC_TAG).refine(isValidSyncTag, {
    message: '--consul-k8s-tag: must be non-empty, without surrounding whitespace',
  }),
  consulNodeName: z
    .string()
    .regex(
      NODE_NAME,
      '--consul-node-name: expected letters, digits and "-" (at most 63 characters, as consul-k8s)',
    )
    .optional(),
  syncClusteripServices: goBool('--sync-clusterip-services').default(
    DEFAULT_SYNC_SETTINGS.syncClusterIPServices,
  ),
  syncLbServicesEndpoints: goBool('--sync-lb-services-endpoints').default(
    DEFAULT_SYNC_SETTINGS.syncLoadBalancerEndpoints,
  ),
  nodePortSyncType: z
    .string()
    .default('ExternalOnly')
    .pipe(
      z.enum(NODE_PORT_SYNC_TYPES, {
        error: (issue) =>
          `--node-port-sync-type: "${String(issue.input)}" is not one of ${NODE_PORT_SYNC_TYPES.join(', ')}`,
      }),
    ),
  clusterId: z.string().default(DEFAULT_CLUSTER_ID).refine(isDns1123Label, {
    message:
      '--cluster-id: expected lowercase letters, digits and "-" (at most 63, starting and ending alphanumeric)',
  }),
  resyncPeriod: duration('--resync-period', 1000).default(parseDuration(DEFAULT_RESYNC_PERIOD)),
  ...leaderFlagsShape({ leaseName: DEFAULT_LEASE_NAME, minimumLease: true }),
  purge: goBool('--purge').default(false),
  filter: z.string().min(1, '--filter: the expression is empty').optional(),
  logLevel: z
    .enum(LOG_LEVELS, { error: () => `--log-level: expected one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  logJson: goBool('--log-json').default(true),
  enableIngress: goBool('--enable-ingress').default(false),
  loadBalancerIps: goBool('--loadBalancer-ips').default(false),
  // consul-k8s's default is "" (all namespaces); the chart passes "" when unset.
  k8sSourceNamespace: z
    .string()
    .refine((value) => value === '' || isDns1123Label(value), {
      message: '--k8s-source-namespace: expected a namespace name (lowercase letters, digits and "-")',
    })
    .default(''),
  ...namespaceFlags,
});

/**
 * consul-k8s's default node (`k8s-sync`) for the default cluster ID, so a single-cluster setup
 * lands where consul-k8s users expect it; any other cluster ID gets its own node.
 */
function defaultNodeName(clusterId: string): string {
  return clusterId === DEFAULT_CLUSTER_ID
    ? DEFAULT_NODE_NAME_PREFIX
    : `${DEFAULT_NODE_NAME_PREFIX}-${clusterId}`;
}

/**
 * Validates raw option values. `env` supplies the lease namespace default (`POD_NAMESPACE`, as
 * set through the downward API). Throws RegistrarConfigError listing every problem.
 */
export function parseRegistrarConfig(
  raw: RawRegistrarOptions,
  env: NodeJS.ProcessEnv = process.env,
): RegistrarConfig {
  const o = parseOptions(schema, raw, (message) => new RegistrarConfigError(message));
  if (o.consulNodeName === undefined && !NODE_NAME.test(defaultNodeName(o.clusterId))) {
    throw new RegistrarConfigError(
      `--cluster-id: the default node name "${defaultNodeName(o.clusterId)}" is over 63 characters: set --consul-node-name or use a shorter id`,
    );
  }
  const config: RegistrarConfig = {
    clusterId: o.clusterId,
    nodeName: o.consulNodeName ?? defaultNodeName(o.clusterId),
    syncTag: o.consulK8sTag,
    servicePrefix: o.consulServicePrefix,
    addK8sNamespaceSuffix: o.addK8sNamespaceSuffix,
    defaultSync: o.k8sDefaultSync,
    // consul-k8s: a source namespace replaces the allow list; the deny list still applies.
    allowNamespaces: o.k8sSourceNamespace ? [o.k8sSourceNamespace] : o.allowK8sNamespace,
    denyNamespaces: o.denyK8sNamespace,
    syncClusterIPServices: o.syncClusteripServices,
    syncLoadBalancerEndpoints: o.syncLbServicesEndpoints,
    nodePortSyncType: o.nodePortSyncType,
    resyncPeriodMs: o.resyncPeriod,
    // The registrar's Lease falls back to `default`; the generator's to its write namespace.
    ...leaderSettings(o, env, 'default'),
    purge: o.purge,
    logLevel: o.logLevel,
    logJson: o.logJson,
    enableIngress: o.enableIngress,
    syncLoadBalancerIPs: o.loadBalancerIps,
  };
  if (o.filter !== undefined) {
    if (!o.purge)
      throw new RegistrarConfigError('--filter: only used with --purge (it selects what to deregister)');
    config.purgeFilter = o.filter;
  }
  if (o.k8sSourceNamespace) config.sourceNamespace = o.k8sSourceNamespace;
  const namespaces = namespaceSettings(o);
  if (namespaces) config.namespaces = namespaces;
  if (o.partition !== undefined) config.partition = o.partition;
  if (o.kubeconfig !== undefined) config.kubeconfig = o.kubeconfig;
  if (o.datacenter !== undefined && o.datacenter !== '') config.datacenter = o.datacenter;
  const login = parseLogin(raw, env);
  if (login !== undefined) config.login = login;
  return config;
}

/**
 * The login flags and CONSUL_LOGIN_* variables; the token's meta names the component and, in a
 * pod, the pod (as consul-k8s's chart sets `component=sync-catalog,pod=<namespace>/<name>`).
 */
function parseLogin(raw: RawRegistrarOptions, env: NodeJS.ProcessEnv): ConsulLoginSettings | undefined {
  const meta: Record<string, string> = { component: 'registrar' };
  const podName = env.POD_NAME || env.HOSTNAME;
  if (env.POD_NAMESPACE && podName) meta.pod = `${env.POD_NAMESPACE}/${podName}`;
  try {
    return loginSettingsFrom(raw, env, meta);
  } catch (err) {
    if (err instanceof ConsulConfigError) throw new RegistrarConfigError(err.message);
    throw err;
  }
}
