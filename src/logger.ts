import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { redactDeep, redactText } from './shared/redact';

export type LogFormat = 'json' | 'pretty';

export interface LoggerSettings {
  /** Default: LOG_LEVEL, else info. */
  level?: string;
  /** Default: LOG_FORMAT; otherwise pretty when the destination is a terminal, JSON when it is not. */
  format?: LogFormat;
  /** 1 = stdout (default), 2 = stderr (the CLI keeps stdout for its output). */
  destination?: 1 | 2;
  /** Another destination (tests read the lines back); always JSON. */
  stream?: DestinationStream;
}

/** Whether this process logs human-readable lines: LOG_FORMAT decides, else whether the destination is a terminal. */
export function prettyLogs(format: string | undefined = process.env.LOG_FORMAT, destination: 1 | 2 = 1): boolean {
  if (format === 'json') return false;
  if (format === 'pretty') return true;
  return Boolean((destination === 2 ? process.stderr : process.stdout).isTTY);
}

/**
 * The one logger factory (worker, API, CLI, sandbox, scripts). Every logged object goes
 * through redactDeep, so personal data is redacted at any depth and under any key in
 * src/shared/redact.ts, and e-mails and phone numbers are masked in messages too.
 */
export function createLogger(name: string, settings: LoggerSettings | string = {}): Logger {
  const { level = process.env.LOG_LEVEL ?? 'info', format, destination = 1, stream } = typeof settings === 'string' ? { level: settings } : settings;
  const options: LoggerOptions = {
    name,
    level,
    formatters: { log: (object) => redactDeep(object) as Record<string, unknown> },
    hooks: {
      // The message string (and printf-style arguments) are scrubbed too.
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg)) as Parameters<typeof method>);
      },
    },
  };
  if (stream) return pino(options, stream);
  if (prettyLogs(format ?? process.env.LOG_FORMAT, destination)) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', destination } } });
  }
  return pino(options, pino.destination(destination));
}
