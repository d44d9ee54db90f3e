import pino, { type Logger } from 'pino';
import { REDACTED_LOG_PATHS } from './shared/redact';

/** Structured logs; personal data redacted; pretty only on an interactive terminal. */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
    transport: process.stdout.isTTY ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } : undefined,
  });
}
