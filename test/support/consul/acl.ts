/**
 * ACLs for the Consul double: tokens with service/node rules by exact name or prefix (the
 * `service`, `service_prefix`, `node`, `node_prefix` rules of Consul's policy language), a default
 * policy, and the anonymous token. Denials are worded as Consul words them (acl/errors.go).
 */

export type AccessLevel = 'deny' | 'read' | 'write';
export type AclResource = 'service' | 'node';

export interface AclRules {
  /** `service "name" { policy = ... }`: exact names. */
  service?: Record<string, AccessLevel>;
  /** `service_prefix "pre" { policy = ... }`: longest matching prefix wins; "" matches all. */
  servicePrefix?: Record<string, AccessLevel>;
  node?: Record<string, AccessLevel>;
  nodePrefix?: Record<string, AccessLevel>;
  /** The global-management policy: everything allowed. */
  management?: boolean;
}

export interface AclTokenSpec {
  /** The secret sent by clients (X-Consul-Token, Bearer, ?token=). */
  secretId: string;
  /** Shown in denial messages (not secret); generated when omitted. */
  accessorId?: string;
  rules: AclRules;
}

export interface AclOptions {
  enabled?: boolean;
  /** `acl.default_policy`; Consul's default is allow, production setups use deny. */
  defaultPolicy?: 'allow' | 'deny';
  tokens?: AclTokenSpec[];
  /** Rules of the anonymous token (requests without a token). Default: none. */
  anonymousRules?: AclRules;
}

export const ANONYMOUS_ACCESSOR_ID = '00000000-0000-0000-0000-000000000002';
export const ACL_NOT_FOUND = 'ACL not found';

const RANK: Record<AccessLevel, number> = { deny: 0, read: 1, write: 2 };

export interface Authorizer {
  readonly accessorId: string;
  allowed(resource: AclResource, name: string, level: 'read' | 'write'): boolean;
  /** Consul's message: Permission denied: token with AccessorID '…' lacks permission 'service:write' on "web" */
  denied(resource: AclResource, name: string, level: 'read' | 'write'): string;
}

function ruleFor(
  exact: Record<string, AccessLevel> | undefined,
  prefixes: Record<string, AccessLevel> | undefined,
  name: string,
) {
  if (exact && Object.prototype.hasOwnProperty.call(exact, name)) return exact[name];
  let best: { length: number; level: AccessLevel } | undefined;
  for (const [prefix, level] of Object.entries(prefixes ?? {})) {
    if (name.startsWith(prefix) && (!best || prefix.length > best.length))
      best = { length: prefix.length, level };
  }
  return best?.level;
}

class RuleAuthorizer implements Authorizer {
  constructor(
    readonly accessorId: string,
    private readonly rules: AclRules,
    private readonly defaultPolicy: 'allow' | 'deny',
  ) {}

  allowed(resource: AclResource, name: string, level: 'read' | 'write'): boolean {
    if (this.rules.management) return true;
    const granted =
      resource === 'service'
        ? ruleFor(this.rules.service, this.rules.servicePrefix, name)
        : ruleFor(this.rules.node, this.rules.nodePrefix, name);
    const effective = granted ?? (this.defaultPolicy === 'allow' ? 'write' : 'deny');
    return RANK[effective] >= RANK[level];
  }

  denied(resource: AclResource, name: string, level: 'read' | 'write'): string {
    return `Permission denied: token with AccessorID '${this.accessorId}' lacks permission '${resource}:${level}' on ${JSON.stringify(name)}`;
  }
}

const ALLOW_ALL: Authorizer = {
  accessorId: '',
  allowed: () => true,
  denied: () => 'Permission denied',
};

let accessorCounter = 0;
function newAccessorId(): string {
  accessorCounter++;
  return `a0000000-0000-4000-8000-${accessorCounter.toString(16).padStart(12, '0')}`;
}

/** Mutable ACL configuration of a running double (tests add tokens, flip the policy). */
export class AclConfig {
  enabled: boolean;
  defaultPolicy: 'allow' | 'deny';
  anonymousRules: AclRules;
  private readonly tokens = new Map<string, { accessorId: string; rules: AclRules }>();

  constructor(options: AclOptions = {}) {
    this.enabled = options.enabled ?? false;
    this.defaultPolicy = options.defaultPolicy ?? 'deny';
    this.anonymousRules = options.anonymousRules ?? {};
    for (const token of options.tokens ?? []) this.setToken(token);
  }

  /** Adds or replaces a token; returns its accessor ID. */
  setToken(spec: AclTokenSpec): string {
    const accessorId = spec.accessorId ?? newAccessorId();
    this.tokens.set(spec.secretId, { accessorId, rules: spec.rules });
    return accessorId;
  }

  removeToken(secretId: string): void {
    this.tokens.delete(secretId);
  }

  /** The authorizer for a request's token, or ACL_NOT_FOUND for an unknown secret. */
  resolve(secretId: string | undefined): Authorizer | typeof ACL_NOT_FOUND {
    if (!this.enabled) return ALLOW_ALL;
    if (secretId === undefined || secretId === '' || secretId === 'anonymous') {
      return new RuleAuthorizer(ANONYMOUS_ACCESSOR_ID, this.anonymousRules, this.defaultPolicy);
    }
    const token = this.tokens.get(secretId);
    if (!token) return ACL_NOT_FOUND;
    return new RuleAuthorizer(token.accessorId, token.rules, this.defaultPolicy);
  }
}
