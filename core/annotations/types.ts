/** The subset of a core/v1 Service the annotation rules read. */
interface ServicePortLike {
  name?: string;
  port?: number;
  targetPort?: number | string;
  nodePort?: number;
  protocol?: string;
}

export interface ServiceLike {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    annotations?: Record<string, string> | null;
    labels?: Record<string, string> | null;
  };
  spec?: {
    type?: string;
    ports?: ServicePortLike[] | null;
    externalIPs?: string[] | null;
    externalName?: string;
  };
}

export type Severity = 'error' | 'warning';

/** One problem with one annotation. */
export interface Finding {
  /** Stable rule id, e.g. `service-port/unknown-name`; used as a metric label. */
  rule: string;
  severity: Severity;
  /** The full annotation key, e.g. `consul.hashicorp.com/service-port`. */
  annotation: string;
  /** The offending value, truncated for display; undefined when the finding is about the key. */
  value?: string;
  /** Human message: names the annotation, the value and what is expected. */
  message: string;
  /**
   * Set on the summary that ends a rule's findings past the cap: how many findings of this rule
   * were left out (the summary's annotation is the first one left out).
   */
  omitted?: number;
  /**
   * Errors only, and only when `AnalyzeOptions.previous` was given: the UPDATE did not introduce
   * this error (same annotation value as before, or a count over its limit that did not grow).
   */
  unchanged?: true;
}

/** A service port chosen by the `service-port` annotation. */
export type PortChoice = { kind: 'number'; number: number } | { kind: 'name'; name: string };

/**
 * What the sync makes of a Service's annotations. Invalid annotations (findings of severity
 * error) are left out, so the sync falls back to its defaults for them.
 */
export interface SyncIntent {
  /** `service-sync`; undefined when absent or invalid (the sync's default applies). */
  sync?: boolean;
  /** Trimmed `service-name`; undefined when absent. */
  name?: string;
  /** Set when the Service must not be registered at all (e.g. an invalid `service-name`). */
  skipReason?: string;
  port?: PortChoice;
  /** `service-tags` split like consul-k8s, empty pieces dropped, duplicates removed. */
  tags: string[];
  /** `service-meta-<KEY>` entries that Consul will accept and that do not break ownership. */
  meta: Record<string, string>;
  /** `service-weight` when a valid integer >= 1. */
  weight?: number;
}

/** The registrar's sync settings, for the optional "will not be synced" warnings. */
export interface SyncSettings {
  defaultSync: boolean;
  allowNamespaces: string[];
  denyNamespaces: string[];
  syncClusterIPServices: boolean;
  syncLoadBalancerEndpoints: boolean;
}

export interface AnalyzeOptions {
  /** The tag the registrar adds to every registration (`--consul-k8s-tag`, default `k8s`). */
  syncTag?: string;
  /** When given, warn about Services that ask to be synced but will not be. */
  syncSettings?: SyncSettings;
  /** The object before an UPDATE: errors it already had are marked `unchanged` (ratcheting). */
  previous?: ServiceLike;
}

export interface Analysis {
  intent: SyncIntent;
  findings: Finding[];
}
