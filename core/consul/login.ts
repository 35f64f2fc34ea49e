/**
 * ACL login through an auth method, as consul-k8s's components do in Helm installs: the bearer
 * token (by default the pod's service-account token) is exchanged for a Consul token at start
 * (`/v1/acl/login`), that token is sent with every request, a fresh login follows when Consul
 * answers that the token is gone, and `/v1/acl/logout` deletes it on shutdown. The bearer token
 * file is read again for every login (projected service-account tokens rotate). Neither the bearer
 * token nor the Consul secret ever reaches a message.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { Backoff, type BackoffOptions, retryWithBackoff, type RetryOptions, sleep } from '../kube/backoff';
import { type ConsulClient, observeResponses, rawConsulRequest, setClientToken } from './client';
import { type ConsulLoginSettings, LOGIN_OPTIONS } from './login-settings';
import { bodyText, ConsulError, isAclNotFound, scrubSecret, toConsulError } from './errors';

/** A failed login: names the auth method and Consul's reason, never a token. */
export class ConsulLoginError extends Error {
  override readonly name = 'ConsulLoginError';
  constructor(
    readonly authMethod: string,
    reason: string,
    /** A network failure or 5xx/429 (another attempt may succeed), not a refusal. */
    readonly retryable: boolean,
  ) {
    super(`Consul login through auth method "${authMethod}" failed: ${reason}`);
  }
}

interface LoginToken {
  /** Not secret: shown in logs, identifies the token in Consul. */
  accessorId: string;
  readonly secretId: string;
}

type ReadBearerToken = (path: string) => Promise<string>;
const readUtf8: ReadBearerToken = (path) => readFile(path, 'utf8');

const LOGIN_TIMEOUT_MS = 10_000;
const LOGOUT_TIMEOUT_MS = 5_000;

const loginAnswer = z.object({ AccessorID: z.string().min(1), SecretID: z.string().min(1) });

async function readBearerToken(settings: ConsulLoginSettings, read: ReadBearerToken): Promise<string> {
  const fail = (reason: string) =>
    new ConsulLoginError(settings.authMethod, `${LOGIN_OPTIONS.bearerTokenFile.flag}: ${reason}`, false);
  let text: string;
  try {
    text = await read(settings.bearerTokenFile);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(`cannot read "${settings.bearerTokenFile}"${code ? ` (${code})` : ''}`);
  }
  const token = text.trim();
  if (!token) throw fail(`"${settings.bearerTokenFile}" is empty`);
  return token;
}

/** One `POST /v1/acl/login` with the bearer token read from its file now. */
export async function consulLogin(
  consul: ConsulClient,
  settings: ConsulLoginSettings,
  read: ReadBearerToken = readUtf8,
): Promise<LoginToken> {
  const bearer = await readBearerToken(settings, read);
  const query: Record<string, string> = {};
  if (settings.datacenter) query.dc = settings.datacenter;
  if (settings.partition) query.partition = settings.partition;
  if (settings.namespace) query.ns = settings.namespace;
  let body: unknown;
  try {
    [, body] = await rawConsulRequest(consul, {
      method: 'POST',
      name: 'acl.login',
      path: '/acl/login',
      query,
      body: { AuthMethod: settings.authMethod, BearerToken: bearer, Meta: settings.meta },
      token: null,
      timeoutMs: LOGIN_TIMEOUT_MS,
    });
  } catch (err) {
    const error = toConsulError(err, 'acl.login', bearer);
    throw new ConsulLoginError(settings.authMethod, error.message, error.retryable);
  }
  const parsed = loginAnswer.safeParse(body);
  if (!parsed.success) {
    throw new ConsulLoginError(settings.authMethod, 'Consul answered without a token', false);
  }
  const token = { accessorId: parsed.data.AccessorID } as LoginToken;
  Object.defineProperty(token, 'secretId', { value: parsed.data.SecretID, enumerable: false });
  return token;
}

/** `POST /v1/acl/logout`: Consul deletes the token (only tokens made by a login). */
async function consulLogout(consul: ConsulClient, token: LoginToken): Promise<void> {
  try {
    await rawConsulRequest(consul, {
      method: 'POST',
      name: 'acl.logout',
      path: '/acl/logout',
      token: token.secretId,
      timeoutMs: LOGOUT_TIMEOUT_MS,
    });
  } catch (err) {
    throw toConsulError(err, 'acl.logout', token.secretId);
  }
}

interface LoginSessionOptions {
  consul: ConsulClient;
  settings: ConsulLoginSettings;
  /** After each login (never the secret); `renewal` for a login after "ACL not found". */
  onLogin?: (accessorId: string, renewal: boolean) => void;
  /** A failed renewal, a failed logout, a startup attempt about to be retried. */
  onError?: (message: string) => void;
  /** Startup attempts on network failures and 5xx (default 5, 0.5 s growing to 5 s). */
  startup?: Pick<RetryOptions, 'maxAttempts' | 'initialMs' | 'maxMs'>;
  /** Delay before a renewal that follows another with no success between (default 1 s to 60 s). */
  renewBackoff?: BackoffOptions;
  readBearerToken?: ReadBearerToken;
}

/**
 * A logged-in client. The token is renewed when Consul answers 403 "ACL not found" to a request
 * that sent it: one login at a time, the first at once, later ones (without a successful request
 * in between) after a growing delay, so a token that keeps vanishing cannot flood /acl/login.
 * The failed request itself fails as usual; its caller's retry carries the new token.
 */
export class ConsulLoginSession {
  private token: LoginToken;
  private renewing: Promise<void> | undefined;
  private renewals = 0;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;

  private constructor(
    private readonly options: LoginSessionOptions,
    token: LoginToken,
  ) {
    this.token = token;
    this.backoff = new Backoff({ initialMs: 1000, maxMs: 60_000, ...options.renewBackoff });
    setClientToken(options.consul, token.secretId);
    observeResponses(options.consul, (response) => {
      if (this.stopped || response.token !== this.token.secretId) return;
      if (response.status >= 200 && response.status < 300) {
        this.renewals = 0;
        this.backoff.reset();
      } else if (response.status === 403 && isAclNotFound(bodyText(response.body))) {
        this.renew();
      }
    });
  }

  /** Logs in (retrying network failures and 5xx a few times); throws ConsulLoginError. */
  static async start(options: LoginSessionOptions): Promise<ConsulLoginSession> {
    const token = await retryWithBackoff(
      () => consulLogin(options.consul, options.settings, options.readBearerToken),
      {
        maxAttempts: 5,
        initialMs: 500,
        maxMs: 5000,
        ...options.startup,
        retryable: (error) => error instanceof ConsulLoginError && error.retryable,
        onRetry: (error, attempt, delayMs) =>
          options.onError?.(`${(error as Error).message} (attempt ${attempt}; again in ${delayMs} ms)`),
      },
    );
    const session = new ConsulLoginSession(options, token);
    options.onLogin?.(token.accessorId, false);
    return session;
  }

  get accessorId(): string {
    return this.token.accessorId;
  }

  private renew(): void {
    if (this.stopped || this.renewing) return;
    const delayMs = this.renewals++ === 0 ? 0 : this.backoff.next();
    const { consul, settings } = this.options;
    this.renewing = (async () => {
      if (delayMs > 0 && !(await sleep(delayMs, this.abort.signal))) return;
      try {
        this.token = await consulLogin(consul, settings, this.options.readBearerToken);
        setClientToken(consul, this.token.secretId);
        this.options.onLogin?.(this.token.accessorId, true);
      } catch (err) {
        this.options.onError?.(
          `${scrubSecret((err as Error).message, this.token.secretId)}; logging in again at the next "ACL not found"`,
        );
      }
    })().finally(() => {
      this.renewing = undefined;
    });
  }

  /** Ends renewals and logs out; a failed logout is reported, not thrown (the token may have a TTL). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    await this.renewing;
    try {
      await consulLogout(this.options.consul, this.token);
    } catch (err) {
      const reason = err instanceof ConsulError ? err.message : String(err);
      this.options.onError?.(`could not log out of Consul (token ${this.token.accessorId}): ${reason}`);
    }
  }
}
