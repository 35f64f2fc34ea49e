/**
 * How the webhook answers over HTTP when it is not an AdmissionReview: JSON bodies, JSON errors
 * with the HTTP reason phrase, and the raw-socket answer to a request Node cannot parse. Nothing is
 * answered as HTML or with a stack trace.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

const HTTP_REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function sendJson(res: ServerResponse, status: number, body: string, closeConnection: boolean): void {
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  // While shutting down, move keep-alive clients to other replicas.
  if (closeConnection) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

export function errorBody(status: number, message: string): string {
  return JSON.stringify({ code: status, error: HTTP_REASONS[status] ?? 'Error', message });
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request did not arrive in time'],
};

/**
 * Node's own answer to a request it cannot parse has no body; ours is the same JSON error as every
 * other. Like Node's default, it answers only when nothing of a response was sent yet, then closes.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!socket.writable || (inFlight && inFlight.headersSent)) {
    socket.destroy();
    return;
  }
  const [status, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'malformed HTTP request'];
  const body = errorBody(status, message);
  // Destroying right after a write would lose it under TLS: end, then destroy once flushed (bounded).
  const giveUp = setTimeout(() => socket.destroy(), 2000);
  giveUp.unref();
  socket.end(
    `HTTP/1.1 ${status} ${HTTP_REASONS[status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => {
      clearTimeout(giveUp);
      socket.destroy();
    },
  );
}
