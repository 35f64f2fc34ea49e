/**
 * Consul connection settings from Consul's own environment conventions (the ones the `consul`
 * CLI and the Go API client read), validated once at startup. File reads go through an injected
 * reader so the parsing stays pure and testable; the token is kept out of every printable form.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { goParseBool } from '../go/strconv';

const DEFAULT_CONSUL_ADDR = '127.0.0.1:8500';
const DEFAULT_HTTP_PORT = 8500;
const DEFAULT_HTTPS_PORT = 8501;

/** Values that override the environment (command-line flags). */
export interface ConsulOverrides {
  datacenter?: string;
  /** `--partition` (consul-k8s's flag): wins over CONSUL_PARTITION. */
  partition?: string;
}

interface ConsulTlsMaterial {
  /** PEM contents (not paths): CA bundle, client certificate and key. */
  ca?: string;
  cert?: string;
  key?: string;
  serverName?: string;
  /** false only when CONSUL_HTTP_SSL_VERIFY=false: skip server certificate verification. */
  verify: boolean;
}

export interface ConsulConfig {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  datacenter?: string;
  /**
   * CONSUL_NAMESPACE / CONSUL_PARTITION (or `--partition`), Consul Enterprise: the client sends
   * them on every request as Consul's own clients do (`ns` and `partition` query parameters).
   */
  namespace?: string;
  partition?: string;
  tls: ConsulTlsMaterial;
  /** The ACL token; never log it: use `describe()`. Not enumerable, so JSON/inspect skip it. */
  readonly token?: string;
  /** Where the token came from, for logs: `CONSUL_HTTP_TOKEN`, `CONSUL_HTTP_TOKEN_FILE` or none. */
  tokenSource: 'CONSUL_HTTP_TOKEN' | 'CONSUL_HTTP_TOKEN_FILE' | 'none';
  /** A one-line, secret-free description for startup logs. */
  describe(): string;
}

/** Bad Consul settings: `variable` names the environment variable (or flag) at fault. */
export class ConsulConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = 'ConsulConfigError';
  }
}

export type ReadFile = (path: string) => string;
const readUtf8: ReadFile = (path) => readFileSync(path, 'utf8');

type Env = Readonly<Record<string, string | undefined>>;

const hostPort = z.object({
  scheme: z.enum(['http', 'https']),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
});

function envValue(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function envBool(env: Env, name: string): boolean | undefined {
  const raw = envValue(env, name);
  if (raw === undefined) return undefined;
  const parsed = goParseBool(raw);
  if (parsed === undefined) {
    throw new ConsulConfigError(name, `"${raw}" is not a boolean (use true or false)`);
  }
  return parsed;
}

/** `host:port`, `[v6]:port`, `host`, or `http(s)://host[:port]`, as Consul's clients accept. */
/** The address as it may appear in a message: any `user:password@` part masked. */
function showAddress(raw: string): string {
  return JSON.stringify(raw.replace(/^((?:[a-zA-Z][a-zA-Z0-9+.-]*:\/\/)?)[^/@\s]*@/, '$1[REDACTED]@'));
}

function parseConsulAddress(raw: string, sslFromEnv: boolean | undefined): z.infer<typeof hostPort> {
  const variable = 'CONSUL_HTTP_ADDR';
  const text = raw.trim();
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text);
  let scheme: 'http' | 'https' = sslFromEnv ? 'https' : 'http';
  let rest = text;
  if (schemeMatch) {
    const given = schemeMatch[1]!.toLowerCase();
    if (given !== 'http' && given !== 'https') {
      throw new ConsulConfigError(variable, `unsupported scheme "${given}" (expected http or https)`);
    }
    // An explicit https:// wins; CONSUL_HTTP_SSL=true upgrades a bare address, as in Consul.
    scheme = given === 'https' || sslFromEnv ? 'https' : 'http';
    rest = text.slice(schemeMatch[0].length);
  }
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  let url: URL;
  try {
    url = new URL(`${scheme}://${rest}`);
  } catch {
    throw new ConsulConfigError(
      variable,
      `${showAddress(raw)} is not an address (expected host:port or http(s)://host:port)`,
    );
  }
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new ConsulConfigError(
      variable,
      `${showAddress(raw)} must be host:port without a path, query or credentials`,
    );
  }
  const port = url.port ? Number(url.port) : scheme === 'https' ? DEFAULT_HTTPS_PORT : DEFAULT_HTTP_PORT;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const result = hostPort.safeParse({ scheme, host, port });
  if (!result.success) {
    throw new ConsulConfigError(
      variable,
      `${showAddress(raw)} is not an address (expected host:port or http(s)://host:port)`,
    );
  }
  return result.data;
}

function readRequired(readFile: ReadFile, variable: string, path: string): string {
  try {
    return readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConsulConfigError(variable, `cannot read "${path}"${code ? ` (${code})` : ''}`);
  }
}

/**
 * Consul Enterprise's rule for namespace and admin partition names: a DNS hostname label (letters,
 * digits and "-", at most 63, starting and ending with a letter or digit).
 */
export const TENANCY_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

/** Checks a namespace or partition name; throws ConsulConfigError naming `variable`. */
function validTenancyName(variable: string, value: string): string {
  if (!TENANCY_NAME.test(value)) {
    throw new ConsulConfigError(
      variable,
      `"${value}" is not a namespace or partition name (letters, digits and "-", at most 63, starting and ending alphanumeric)`,
    );
  }
  return value;
}

/** Consul datacenter names (also `--consul-login-datacenter`). */
export const datacenterSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_-]+$/, 'expected letters, digits, "-" or "_"')
  .max(64, 'at most 64 characters');

/**
 * Builds the Consul settings from the environment and overrides. Throws ConsulConfigError naming
 * the variable for a bad address, a bad boolean, an unreadable token/CA/certificate/key file or
 * a client certificate without its key. Like Consul's Go client, a non-empty token file wins
 * over CONSUL_HTTP_TOKEN.
 */
export function consulConfigFromEnv(
  env: Env = process.env,
  overrides: ConsulOverrides = {},
  readFile: ReadFile = readUtf8,
): ConsulConfig {
  const ssl = envBool(env, 'CONSUL_HTTP_SSL');
  const verify = envBool(env, 'CONSUL_HTTP_SSL_VERIFY') ?? true;
  const address = parseConsulAddress(envValue(env, 'CONSUL_HTTP_ADDR') ?? DEFAULT_CONSUL_ADDR, ssl);

  let token = envValue(env, 'CONSUL_HTTP_TOKEN')?.trim() || undefined;
  let tokenSource: ConsulConfig['tokenSource'] = token ? 'CONSUL_HTTP_TOKEN' : 'none';
  const tokenFile = envValue(env, 'CONSUL_HTTP_TOKEN_FILE');
  if (tokenFile !== undefined) {
    const fromFile = readRequired(readFile, 'CONSUL_HTTP_TOKEN_FILE', tokenFile).trim();
    if (fromFile) {
      token = fromFile;
      tokenSource = 'CONSUL_HTTP_TOKEN_FILE';
    }
  }
  if (token !== undefined && /[\r\n]/.test(token)) {
    throw new ConsulConfigError(tokenSource, 'the token must be a single line');
  }

  const caPath = envValue(env, 'CONSUL_CACERT');
  const certPath = envValue(env, 'CONSUL_CLIENT_CERT');
  const keyPath = envValue(env, 'CONSUL_CLIENT_KEY');
  if ((certPath === undefined) !== (keyPath === undefined)) {
    const missing = certPath === undefined ? 'CONSUL_CLIENT_CERT' : 'CONSUL_CLIENT_KEY';
    throw new ConsulConfigError(missing, 'CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY must be set together');
  }
  const tls: ConsulTlsMaterial = { verify };
  if (caPath !== undefined) tls.ca = readRequired(readFile, 'CONSUL_CACERT', caPath);
  if (certPath !== undefined) tls.cert = readRequired(readFile, 'CONSUL_CLIENT_CERT', certPath);
  if (keyPath !== undefined) tls.key = readRequired(readFile, 'CONSUL_CLIENT_KEY', keyPath);
  const serverName = envValue(env, 'CONSUL_TLS_SERVER_NAME');
  if (serverName !== undefined) tls.serverName = serverName;

  let datacenter: string | undefined;
  if (overrides.datacenter !== undefined && overrides.datacenter !== '') {
    const parsed = datacenterSchema.safeParse(overrides.datacenter);
    if (!parsed.success) {
      throw new ConsulConfigError(
        '--datacenter',
        `"${overrides.datacenter}": ${parsed.error.issues[0]?.message}`,
      );
    }
    datacenter = parsed.data;
  }

  const config: ConsulConfig = {
    ...address,
    tls,
    tokenSource,
    describe: () => describeConfig(config),
  };
  if (datacenter !== undefined) config.datacenter = datacenter;
  const namespace = envValue(env, 'CONSUL_NAMESPACE');
  if (namespace !== undefined) config.namespace = validTenancyName('CONSUL_NAMESPACE', namespace);
  const partitionSource =
    overrides.partition !== undefined && overrides.partition !== ''
      ? '--partition'
      : envValue(env, 'CONSUL_PARTITION') !== undefined
        ? 'CONSUL_PARTITION'
        : undefined;
  if (partitionSource !== undefined) {
    const raw = partitionSource === '--partition' ? overrides.partition! : envValue(env, 'CONSUL_PARTITION')!;
    config.partition = validTenancyName(partitionSource, raw);
  }
  // Not enumerable: JSON.stringify, util.inspect and pino never see the token by accident.
  Object.defineProperty(config, 'token', { value: token, enumerable: false });
  Object.defineProperty(config, 'describe', { enumerable: false });
  return config;
}

/** e.g. `https://consul.example:8501 dc=dc1 token=from CONSUL_HTTP_TOKEN_FILE tls(ca, client-cert, verify)` */
function describeConfig(config: ConsulConfig): string {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const parts = [`${config.scheme}://${host}:${config.port}`];
  if (config.datacenter) parts.push(`dc=${config.datacenter}`);
  if (config.partition) parts.push(`partition=${config.partition}`);
  if (config.namespace) parts.push(`ns=${config.namespace}`);
  parts.push(config.tokenSource === 'none' ? 'token=none' : `token=from ${config.tokenSource}`);
  if (config.scheme === 'https') {
    const tls: string[] = [];
    if (config.tls.ca) tls.push('ca');
    if (config.tls.cert) tls.push('client-cert');
    if (config.tls.serverName) tls.push(`server-name=${config.tls.serverName}`);
    tls.push(config.tls.verify ? 'verify' : 'NO-VERIFY');
    parts.push(`tls(${tls.join(', ')})`);
  }
  return parts.join(' ');
}
