/**
 * ACLs for the Consul double: tokens with service/node rules by exact name or prefix (the
 * `service`, `service_prefix`, `node`, `node_prefix` rules of Consul's policy language), a default
 * policy, and the anonymous token. Denials are worded as Consul words them (acl/errors.go).
 * Auth methods: `/v1/acl/login` and `/v1/acl/logout` answer as Consul 1.16 does (status codes and
 * texts checked against a real server in test/real/consul-login.real.test.ts).
 */

type AccessLevel = 'deny' | 'read' | 'write';
type AclResource = 'service' | 'node';

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

/** An auth method, with a validator standing in for Consul's (JWT, Kubernetes TokenReview). */
export interface AuthMethodSpec {
  name: string;
  /** Why a bearer token is refused (Consul answers 500 with its validator's text), or undefined. */
  validate: (bearerToken: string) => string | undefined;
  /** What the binding rules grant; undefined when no binding rule matches (403 Permission denied). */
  rules?: AclRules;
}

/** A token made by a login (test inspection; the double keeps secrets in the clear). */
export interface LoginTokenRecord {
  accessorId: string;
  secretId: string;
  authMethod: string;
  description: string;
}

/** An answer of the login endpoints: status and body (JSON, or Consul's error text). */
export interface AclAnswer {
  status: number;
  body: unknown;
}

export interface AclOptions {
  enabled?: boolean;
  /** `acl.default_policy`; Consul's default is allow, production setups use deny. */
  defaultPolicy?: 'allow' | 'deny';
  tokens?: AclTokenSpec[];
  /** Rules of the anonymous token (requests without a token). Default: none. */
  anonymousRules?: AclRules;
  authMethods?: AuthMethodSpec[];
}

const ANONYMOUS_ACCESSOR_ID = '00000000-0000-0000-0000-000000000002';
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
  private readonly tokens = new Map<
    string,
    { accessorId: string; rules: AclRules; authMethod?: string; description?: string }
  >();
  private readonly authMethods = new Map<string, AuthMethodSpec>();
  private secretCounter = 0;

  constructor(options: AclOptions = {}) {
    this.enabled = options.enabled ?? false;
    this.defaultPolicy = options.defaultPolicy ?? 'deny';
    this.anonymousRules = options.anonymousRules ?? {};
    for (const token of options.tokens ?? []) this.setToken(token);
    for (const method of options.authMethods ?? []) this.setAuthMethod(method);
  }

  setAuthMethod(spec: AuthMethodSpec): void {
    this.authMethods.set(spec.name, spec);
  }

  /** Tokens made by logins that still exist. */
  loginTokens(): LoginTokenRecord[] {
    return [...this.tokens.entries()].flatMap(([secretId, t]) =>
      t.authMethod === undefined
        ? []
        : [
            {
              secretId,
              accessorId: t.accessorId,
              authMethod: t.authMethod,
              description: t.description ?? '',
            },
          ],
    );
  }

  /** `POST /v1/acl/login` (agent/consul/acl_endpoint.go Login). */
  login(body: unknown, query: URLSearchParams): AclAnswer {
    if (!this.enabled) return { status: 401, body: 'ACL support disabled' };
    // Consul OSS (agent/http_ce.go): namespaces and partitions are refused by name.
    for (const [param, feature] of [
      ['ns', 'Namespaces'],
      ['partition', 'Partitions'],
    ] as const) {
      if (query.get(param)) {
        return {
          status: 400,
          body: `Invalid query parameter: "${param}" - ${feature} are a Consul Enterprise feature`,
        };
      }
    }
    const auth = (body ?? {}) as { AuthMethod?: unknown; BearerToken?: unknown; Meta?: unknown };
    const name = typeof auth.AuthMethod === 'string' ? auth.AuthMethod : '';
    const method = this.authMethods.get(name);
    if (!method)
      return { status: 403, body: `${ACL_NOT_FOUND}: auth method ${JSON.stringify(name)} not found` };
    const refused = method.validate(typeof auth.BearerToken === 'string' ? auth.BearerToken : '');
    if (refused !== undefined) return { status: 500, body: refused };
    if (!method.rules) return { status: 403, body: 'Permission denied' };
    const meta = (typeof auth.Meta === 'object' && auth.Meta !== null ? auth.Meta : {}) as Record<
      string,
      string
    >;
    const sorted = Object.fromEntries(Object.entries(meta).sort(([a], [b]) => (a < b ? -1 : 1)));
    const description =
      Object.keys(sorted).length > 0
        ? `token created via login: ${JSON.stringify(sorted)}`
        : 'token created via login';
    this.secretCounter++;
    const secretId = `5ec00000-0000-4000-8000-${this.secretCounter.toString(16).padStart(12, '0')}`;
    const accessorId = newAccessorId();
    this.tokens.set(secretId, { accessorId, rules: method.rules, authMethod: name, description });
    return {
      status: 200,
      body: {
        AccessorID: accessorId,
        SecretID: secretId,
        Description: description,
        Local: true,
        AuthMethod: name,
        CreateTime: new Date().toISOString(),
      },
    };
  }

  /** `POST /v1/acl/logout` with the token to delete (agent/consul/acl_endpoint.go Logout). */
  logout(secretId: string | undefined): AclAnswer {
    if (!this.enabled) return { status: 401, body: 'ACL support disabled' };
    if (secretId === undefined || secretId === '')
      return { status: 401, body: 'Supplied token does not exist' };
    const token = this.tokens.get(secretId);
    if (!token) return { status: 403, body: ACL_NOT_FOUND };
    if (token.authMethod === undefined) {
      return { status: 403, body: "Permission denied: token wasn't created via login" };
    }
    this.tokens.delete(secretId);
    return { status: 200, body: true };
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
