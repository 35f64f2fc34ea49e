/**
 * Lease settings shared by every component that elects a leader, kept free of the Kubernetes
 * client so flag parsing does not load it.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';

/** The shortest lease accepted: below it, renewals cannot keep up with API-server latency. */
export const MIN_LEASE_DURATION_MS = 2000;

/** Lease timing from one duration, in client-go's default proportions (15 s : 10 s : 2 s). */
export function leaseTiming(durationMs: number): {
  leaseDurationSeconds: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
} {
  const leaseDurationSeconds = Math.max(MIN_LEASE_DURATION_MS / 1000, Math.ceil(durationMs / 1000));
  const ms = leaseDurationSeconds * 1000;
  return {
    leaseDurationSeconds,
    renewDeadlineMs: Math.round((ms * 2) / 3),
    retryPeriodMs: Math.max(100, Math.round(ms / 7.5)),
  };
}

/** Who holds the Lease: the Pod name (downward API) when set, else host name + a random suffix. */
export function electionIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_NAME || `${os.hostname()}-${randomBytes(3).toString('hex')}`;
}

/**
 * The Lease namespace when `--leader-elect-lease-namespace` is not given: the Pod's own namespace
 * (`POD_NAMESPACE`, from the downward API), else the program's fallback. One rule for both
 * programs; only the fallback differs (the registrar: `default`; the generator: its write
 * namespace, where its Role lives).
 */
export function leaseNamespace(flag: string | undefined, env: NodeJS.ProcessEnv, fallback: string): string {
  if (flag !== undefined) return flag;
  const pod = env.POD_NAMESPACE?.trim();
  return pod ? pod : fallback;
}
