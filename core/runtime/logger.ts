/**
 * Logging to stderr (pino), with secrets redacted by field name: JSON lines, or human-readable
 * lines (pino-pretty, uncoloured) for consul-k8s's `-log-json=false`.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

const CENSOR = '[REDACTED]';

/** Field names whose values are secrets, wherever they appear (top level or one level down). */
const SECRET_FIELDS = [
  'token',
  'accessToken',
  'password',
  'secret',
  'authorization',
  'apiKey',
  'privateKey',
  'cookie',
  '"x-consul-token"',
  '"private-token"',
];

/** pino redact paths: `token`, `*.token`, `*.headers.token`, `headers["x-consul-token"]`... */
const REDACT_PATHS: readonly string[] = SECRET_FIELDS.flatMap((field) => {
  const access = field.startsWith('"') ? `[${field}]` : `.${field}`;
  const top = field.startsWith('"') ? `[${field}]` : field;
  return [top, `*${access}`, `headers${access}`, `*.headers${access}`];
});

interface LoggerOptions {
  level?: LogLevel;
  /** Component name, added to every line as `component`. */
  component?: string;
  /** Where lines go; defaults to stderr (fd 2). Tests pass a stream to capture lines. */
  destination?: DestinationStream;
  /** `json` (default): one JSON object per line; `text`: `[time] LEVEL: component: message {fields}`. */
  format?: 'json' | 'text';
}

/** A pino logger writing to stderr, secrets redacted (before either format is written). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination =
    options.format === 'text'
      ? pretty({
          destination: options.destination ?? 2,
          sync: true,
          colorize: false,
          singleLine: true,
          translateTime: 'UTC:yyyy-mm-dd"T"HH:MM:ss.l"Z"',
          ignore: 'component',
          messageFormat: '{component}: {msg}',
        })
      : (options.destination ?? pino.destination({ dest: 2, sync: true }));
  return pino(
    {
      level: options.level ?? DEFAULT_LOG_LEVEL,
      base: options.component ? { component: options.component } : {},
      redact: { paths: [...REDACT_PATHS], censor: CENSOR },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/**
 * Hides credentials embedded in free text (error messages, URLs) before it is logged or shown:
 * `https://user:secret@host` userinfo, `token=...`-style query parameters and `Bearer ...` values.
 */
export function redactText(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+(?::[^/\s@]*)?@/gi, `$1${CENSOR}@`)
    .replace(/([?&](?:token|access_token|private_token|password|secret)=)[^&\s#]*/gi, `$1${CENSOR}`)
    .replace(/\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${CENSOR}`);
}
