/**
 * The flags of leader election through a Lease and of the health/metrics server (`--http-port`),
 * defined once for the long-running programs (the registrar and `generate --watch`): their
 * commander registration (names, help, defaults), the zod fragment that validates them, and the
 * settings they become. Pure: no I/O.
 */
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { leaseNamespace, MIN_LEASE_DURATION_MS } from '../kube/lease-settings';
import { isDns1123Label, isDnsSubdomain } from '../names/dns';
import { parseDuration, portArg } from './config';
import { duration, goBool } from './zod-flags';

const DEFAULT_LEASE_DURATION = '15s';
const DEFAULT_HTTP_PORT = 8080;
const BAD_PORT = '--http-port: expected an integer 0-65535';

/** The one message for a Lease shorter than MIN_LEASE_DURATION_MS. */
export const LEASE_TOO_SHORT = `--leader-elect-lease-duration: at least ${MIN_LEASE_DURATION_MS / 1000}s`;

/** The one message for a Lease namespace that is not a namespace name (from the flag or POD_NAMESPACE). */
export const notALeaseNamespace = (value: string): string =>
  `--leader-elect-lease-namespace: "${value}" is not a namespace name`;

/** True when renewals of a Lease this long can keep up with API-server latency. */
export function isLongEnoughLease(durationMs: number): boolean {
  return durationMs >= MIN_LEASE_DURATION_MS;
}

/** What differs between the programs: the Lease's default name and where it lives by default. */
interface LeaderFlagsOptions {
  /** `--leader-elect-lease-name`'s default. */
  leaseName: string;
  /** The Lease namespace without the flag and without POD_NAMESPACE, for the help text. */
  leaseNamespaceFallback: string;
  /** The mode the flags apply in, prefixed to their help ("watch"); none: always. */
  mode?: string;
}

/** Adds `--leader-elect [bool]`, the `--leader-elect-lease-*` flags and `--http-port`. */
export function addLeaderFlags(command: Command, options: LeaderFlagsOptions): Command {
  const scope = options.mode === undefined ? '' : `${options.mode}: `;
  return command
    .addOption(
      new Option(
        '--leader-elect [bool]',
        `${scope}elect one writer among replicas through a coordination.k8s.io/v1 Lease`,
      ).default(false),
    )
    .addOption(new Option('--leader-elect-lease-name <name>', 'Lease name').default(options.leaseName))
    .addOption(
      new Option(
        '--leader-elect-lease-namespace <namespace>',
        `Lease namespace (default: $POD_NAMESPACE, else ${options.leaseNamespaceFallback})`,
      ),
    )
    .addOption(
      new Option(
        '--leader-elect-lease-duration <duration>',
        'how long a Lease lasts without renewal; a standby takes over within it',
      ).default(DEFAULT_LEASE_DURATION),
    )
    .addOption(
      new Option('--http-port <port>', `${scope}port for /livez, /healthz, /readyz and /metrics`)
        .argParser(portArg)
        .default(DEFAULT_HTTP_PORT),
    );
}

/**
 * The zod fields of these flags. With `minimumLease`, a Lease under MIN_LEASE_DURATION_MS is
 * refused here; without it the caller applies LEASE_TOO_SHORT where the Lease is used.
 */
export function leaderFlagsShape(options: { leaseName: string; minimumLease: boolean }) {
  const leaseDuration = duration('--leader-elect-lease-duration', 0);
  return {
    leaderElect: goBool('--leader-elect').default(false),
    leaderElectLeaseName: z
      .string()
      .refine(isDnsSubdomain, {
        error: (issue) =>
          `--leader-elect-lease-name: "${String(issue.input)}" is not a valid name (a DNS subdomain)`,
      })
      .default(options.leaseName),
    leaderElectLeaseNamespace: z
      .string()
      .refine(isDns1123Label, {
        error: (issue) => notALeaseNamespace(String(issue.input)),
      })
      .optional(),
    leaderElectLeaseDuration: (options.minimumLease
      ? leaseDuration.refine(isLongEnoughLease, LEASE_TOO_SHORT)
      : leaseDuration
    ).default(parseDuration(DEFAULT_LEASE_DURATION)),
    httpPort: z.number().int(BAD_PORT).min(0, BAD_PORT).max(65535, BAD_PORT).default(DEFAULT_HTTP_PORT),
  };
}

type LeaderFlags = z.infer<z.ZodObject<ReturnType<typeof leaderFlagsShape>>>;

export interface LeaderSettings {
  leaderElect: boolean;
  leaseName: string;
  leaseNamespace: string;
  leaseDurationMs: number;
  httpPort: number;
}

/**
 * The validated flags as settings. The Lease namespace: the flag, else POD_NAMESPACE, else the
 * program's `fallbackNamespace` (it differs: see lease-settings.ts `leaseNamespace`).
 */
export function leaderSettings(
  flags: LeaderFlags,
  env: NodeJS.ProcessEnv,
  fallbackNamespace: string,
): LeaderSettings {
  return {
    leaderElect: flags.leaderElect,
    leaseName: flags.leaderElectLeaseName,
    leaseNamespace: leaseNamespace(flags.leaderElectLeaseNamespace, env, fallbackNamespace),
    leaseDurationMs: flags.leaderElectLeaseDuration,
    httpPort: flags.httpPort,
  };
}
