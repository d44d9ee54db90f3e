import { CommanderError } from 'commander';
import { CaseError, IntakeError, ReportError } from '../client/errors';
import { ConfigError } from '../config';
import { MoneyFormatError } from '../shared/money';

/**
 * Exit codes scripts can trust (documented in `collections --help`):
 *   0 success
 *   1 the operation failed (Temporal unreachable, batch failed, unexpected error)
 *   2 bad arguments or input (unknown option, invalid amount, bad query, bad CSV header, bad config)
 *   3 no such case
 *   4 refused by a business rule (currency mismatch, case closed)
 *   5 partly done: `import` finished but rejected some rows
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3, refused: 4, partial: 5 } as const;

/** A failure the CLI reports with a chosen exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

/** Marks an exit that has already printed its output (e.g. import with rejected rows). */
export class CliExit extends Error {
  override readonly name = 'CliExit';
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

function grpcCode(error: unknown): number | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = typeof e?.code === 'number' ? e.code : typeof e?.cause?.code === 'number' ? e.cause.code : undefined;
  return code;
}

/** One line: the reason, without stack or line breaks. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export function describeFailure(error: unknown, temporalAddress?: string): { message: string; exitCode: number } {
  if (error instanceof CliExit || error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof CommanderError) return { message: error.message.replace(/^error: /, ''), exitCode: EXIT.usage };
  if (error instanceof CaseError) {
    const exitCode = error.code === 'case_not_found' ? EXIT.notFound : error.code === 'invalid_request' ? EXIT.usage : EXIT.refused;
    return { message: error.message, exitCode };
  }
  if (error instanceof IntakeError) return { message: error.message, exitCode: error.code === 'aborted' ? EXIT.failure : EXIT.usage };
  if (error instanceof ReportError || error instanceof ConfigError || error instanceof MoneyFormatError) return { message: error.message, exitCode: EXIT.usage };
  const message = error instanceof Error ? error.message : String(error);
  const code = grpcCode(error);
  // UNAVAILABLE, DEADLINE_EXCEEDED, or the connect deadline: say where we tried.
  if (code === 14 || code === 4 || /failed to connect|connect before the deadline|ECONNREFUSED/i.test(message)) {
    return { message: `cannot reach Temporal${temporalAddress ? ` at ${temporalAddress}` : ''}: ${message}`, exitCode: EXIT.failure };
  }
  if (code === 3) return { message, exitCode: EXIT.usage }; // INVALID_ARGUMENT
  return { message, exitCode: EXIT.failure };
}
