/**
 * Reading Kubernetes API failures. client-node throws `ApiException` with `.code` and `.body` (a JSON
 * string of a `Status`); its message also embeds response headers, so never log it as is: use
 * `describeKubeError`, which keeps the code, reason and the server's message only.
 */
interface KubeErrorStatus {
  /** HTTP status code (e.g. 404, 409, 410). */
  code: number;
  /** Status.reason (NotFound, AlreadyExists, Conflict, Expired, ...) when the body had one. */
  reason?: string;
  /** Status.message when the body had one. */
  message?: string;
}

export function kubeErrorStatus(error: unknown): KubeErrorStatus | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const record = error as { code?: unknown; statusCode?: unknown; body?: unknown };
  const code =
    typeof record.code === 'number'
      ? record.code
      : typeof record.statusCode === 'number'
        ? record.statusCode
        : undefined;
  if (code === undefined) return undefined;
  const body = parseBody(record.body);
  const status: KubeErrorStatus = { code };
  if (typeof body?.reason === 'string' && body.reason) status.reason = body.reason;
  if (typeof body?.message === 'string' && body.message) status.message = body.message;
  return status;
}

export const isNotFound = (error: unknown): boolean => kubeErrorStatus(error)?.code === 404;
export const isConflict = (error: unknown): boolean => kubeErrorStatus(error)?.code === 409;
export const isAlreadyExists = (error: unknown): boolean => {
  const status = kubeErrorStatus(error);
  return status?.code === 409 && status.reason === 'AlreadyExists';
};

/** One safe line for logs: "HTTP 409 Conflict: <server message>" or the error's own message. */
export function describeKubeError(error: unknown): string {
  const status = kubeErrorStatus(error);
  if (status) {
    const parts = [`HTTP ${status.code}`];
    if (status.reason) parts.push(status.reason);
    return status.message ? `${parts.join(' ')}: ${status.message}` : parts.join(' ');
  }
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}

function parseBody(body: unknown): Record<string, unknown> | undefined {
  if (typeof body === 'object' && body !== null) return body as Record<string, unknown>;
  if (typeof body !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
