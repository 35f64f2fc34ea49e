/**
 * The ACL login settings: consul-k8s's login flags (its names before and after 1.0) and its
 * CONSUL_LOGIN_* variables, validated once at startup. Pure: the login itself is login.ts.
 */
import { ConsulConfigError, datacenterSchema } from './config';

export const DEFAULT_BEARER_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The login flags and the variables consul-k8s reads for them (control-plane/subcommand/flags).
 * `--acl-auth-method` and `--acl-bearer-token-file` are the names of consul-k8s before 1.0; its
 * later names are accepted as aliases.
 */
export const LOGIN_OPTIONS = {
  authMethod: {
    flag: '--acl-auth-method',
    aliases: ['--auth-method-name'],
    env: 'CONSUL_LOGIN_AUTH_METHOD',
  },
  bearerTokenFile: {
    flag: '--consul-login-bearer-token-file',
    aliases: ['--acl-bearer-token-file'],
    env: 'CONSUL_LOGIN_BEARER_TOKEN_FILE',
  },
  datacenter: { flag: '--consul-login-datacenter', aliases: [], env: 'CONSUL_LOGIN_DATACENTER' },
  partition: { flag: '--consul-login-partition', aliases: [], env: 'CONSUL_LOGIN_PARTITION' },
  namespace: { flag: '--consul-login-namespace', aliases: [], env: 'CONSUL_LOGIN_NAMESPACE' },
  meta: { flag: '--consul-login-meta', aliases: [], env: 'CONSUL_LOGIN_META' },
} as const;

type LoginField = keyof typeof LOGIN_OPTIONS;

export interface ConsulLoginSettings {
  authMethod: string;
  bearerTokenFile: string;
  /** Datacenter of the auth method (`?dc=`); default: the client's. */
  datacenter?: string;
  /** Consul Enterprise: partition and namespace of the auth method (`?partition=`, `?ns=`). */
  partition?: string;
  namespace?: string;
  /** Meta set on the token Consul creates (shown in `consul acl token list`). */
  meta: Record<string, string>;
}

/** commander's key for a long flag: `--acl-auth-method` -> `aclAuthMethod`. */
function optionKey(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Consul's rule for auth method names (agent/consul/acl_endpoint.go `validAuthMethod`). */
const AUTH_METHOD_NAME = /^[A-Za-z0-9\-_]{1,128}$/;

type Env = Readonly<Record<string, string | undefined>>;

/** The flag's value (or its alias's); both given with different values is an error. */
function flagValue(raw: Record<string, unknown>, field: LoginField): string | string[] | undefined {
  const { flag, aliases } = LOGIN_OPTIONS[field];
  const given: Array<{ name: string; value: string | string[] }> = [];
  for (const name of [flag, ...aliases] as string[]) {
    const value = raw[optionKey(name)];
    if (typeof value === 'string' || Array.isArray(value)) given.push({ name, value: value as string[] });
  }
  if (given.length > 1 && JSON.stringify(given[0]!.value) !== JSON.stringify(given[1]!.value)) {
    throw new ConsulConfigError(
      `${given[0]!.name}, ${given[1]!.name}`,
      'the same setting given twice with different values (give one)',
    );
  }
  return given[0]?.value;
}

function textValue(raw: Record<string, unknown>, env: Env, field: LoginField): string | undefined {
  const value = flagValue(raw, field);
  const text = (Array.isArray(value) ? value.at(-1) : value) ?? env[LOGIN_OPTIONS[field].env];
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/** `key=value` (split at the first `=`, as consul-k8s's FlagMapValue); the key must not be empty. */
function metaEntry(entry: string, source: string): [string, string] {
  const at = entry.indexOf('=');
  if (at <= 0) throw new ConsulConfigError(source, `"${entry}" is not key=value`);
  return [entry.slice(0, at).trim(), entry.slice(at + 1)];
}

/**
 * The login settings from the flags (commander's raw values, aliases included) and consul-k8s's
 * CONSUL_LOGIN_* variables (a flag wins); undefined when no auth method is named. `defaultMeta`
 * comes first, then CONSUL_LOGIN_META (`k=v,k=v`), then each `--consul-login-meta`. Throws
 * ConsulConfigError naming the flag or variable at fault.
 */
export function loginSettingsFrom(
  raw: Record<string, unknown>,
  env: Env,
  defaultMeta: Record<string, string> = {},
): ConsulLoginSettings | undefined {
  const authMethod = textValue(raw, env, 'authMethod');
  if (authMethod === undefined) {
    const orphan = (Object.keys(LOGIN_OPTIONS) as LoginField[]).find(
      (field) => field !== 'authMethod' && flagValue(raw, field) !== undefined,
    );
    if (orphan) {
      throw new ConsulConfigError(
        LOGIN_OPTIONS[orphan].flag,
        `only used with ${LOGIN_OPTIONS.authMethod.flag} (the auth method to log in with)`,
      );
    }
    return undefined;
  }
  if (!AUTH_METHOD_NAME.test(authMethod)) {
    throw new ConsulConfigError(
      LOGIN_OPTIONS.authMethod.flag,
      `"${authMethod}": expected letters, digits, "-" or "_" (at most 128)`,
    );
  }
  const settings: ConsulLoginSettings = {
    authMethod,
    bearerTokenFile: textValue(raw, env, 'bearerTokenFile') ?? DEFAULT_BEARER_TOKEN_FILE,
    meta: { ...defaultMeta },
  };
  const datacenter = textValue(raw, env, 'datacenter');
  if (datacenter !== undefined) {
    const parsed = datacenterSchema.safeParse(datacenter);
    if (!parsed.success) {
      throw new ConsulConfigError(
        LOGIN_OPTIONS.datacenter.flag,
        `"${datacenter}": ${parsed.error.issues[0]?.message}`,
      );
    }
    settings.datacenter = datacenter;
  }
  const partition = textValue(raw, env, 'partition');
  if (partition !== undefined) settings.partition = partition;
  const namespace = textValue(raw, env, 'namespace');
  if (namespace !== undefined) settings.namespace = namespace;

  const fromEnv = env[LOGIN_OPTIONS.meta.env];
  for (const entry of (fromEnv ?? '').split(',').filter((e) => e.trim() !== '')) {
    const [key, value] = metaEntry(entry, LOGIN_OPTIONS.meta.env);
    settings.meta[key] = value;
  }
  const fromFlag = flagValue(raw, 'meta');
  for (const entry of fromFlag === undefined ? [] : [fromFlag].flat()) {
    const [key, value] = metaEntry(entry, LOGIN_OPTIONS.meta.flag);
    settings.meta[key] = value;
  }
  return settings;
}
