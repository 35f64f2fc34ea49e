/**
 * Who the generator is to git and how it proves it to the remote: the commit identity, the HTTPS
 * token or SSH key (turned into the settings git reads from its environment, never the URL or
 * argv), and the redaction that keeps them, and any userinfo in a URL, out of logs and errors.
 */
import { redactText } from '../../core/runtime/logger';

export interface GitIdentity {
  name: string;
  email: string;
}

export interface GitCredentials {
  /** HTTPS token (sent as HTTP Basic auth through `http.extraHeader`). */
  token?: string;
  /** Username paired with the token; default `x-access-token` (GitHub), any works for GitLab. */
  username?: string;
  /** SSH private key file. */
  sshKeyFile?: string;
  /** known_hosts file for SSH; without it, unknown hosts are refused. */
  knownHostsFile?: string;
}

/** The HTTP Basic credentials of a token (`username:token`, base64). */
function basicAuth(credentials: GitCredentials & { token: string }): string {
  return Buffer.from(`${credentials.username ?? 'x-access-token'}:${credentials.token}`).toString('base64');
}

/** The git settings that send the token: `http.extraHeader` with HTTP Basic auth. */
export function credentialConfig(credentials: GitCredentials): [string, string][] {
  if (!credentials.token) return [];
  return [
    ['http.extraHeader', `Authorization: Basic ${basicAuth({ ...credentials, token: credentials.token })}`],
  ];
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `GIT_SSH_COMMAND` for the SSH key: that key only, no prompt, known hosts checked when given. */
export function sshCommand(credentials: GitCredentials): string | undefined {
  if (!credentials.sshKeyFile) return undefined;
  const parts = [
    'ssh',
    '-i',
    shellQuote(credentials.sshKeyFile),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
  ];
  if (credentials.knownHostsFile) {
    parts.push(
      '-o',
      `UserKnownHostsFile=${shellQuote(credentials.knownHostsFile)}`,
      '-o',
      'StrictHostKeyChecking=yes',
    );
  }
  return parts.join(' ');
}

/** The URL with any userinfo removed, for logs and messages. */
export function displayUrl(url: string): string {
  return redactText(url);
}

/**
 * Scrubs text of the token (as given and as sent) and shows `url` (the remote) without userinfo.
 */
export function credentialRedactor(credentials: GitCredentials = {}, url?: string): (text: string) => string {
  const secrets = credentials.token
    ? [credentials.token, basicAuth({ ...credentials, token: credentials.token })]
    : [];
  return (text) => {
    let result = redactText(text);
    for (const secret of secrets) result = result.split(secret).join('[REDACTED]');
    if (url !== undefined) result = result.split(url).join(displayUrl(url));
    return result;
  };
}
