import type { ImportSummary } from './intake';

/**
 * The coded errors of the application layer (src/client), in a module of their own so a
 * caller can tell them apart without loading what throws them (the CLI's exit codes).
 * Each is re-exported by the module that throws it.
 */

export class CaseError extends Error {
  override readonly name = 'CaseError';
  constructor(
    readonly code: 'invalid_request' | 'case_not_found' | 'currency_mismatch' | 'case_closed' | 'overdue_since_out_of_range' | 'policy_not_allowed' | 'payment_conflict' | 'temporal_unavailable',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The file as a whole cannot be used (unreadable, no header, required columns missing). */
export class IntakeError extends Error {
  override readonly name = 'IntakeError';
  constructor(
    readonly code: 'file_unreadable' | 'bad_header' | 'aborted',
    message: string,
    /** What was done before an abort. */
    readonly partial?: ImportSummary,
  ) {
    super(message);
  }
}

export class ReportError extends Error {
  override readonly name = 'ReportError';
  constructor(
    readonly code: 'mixed_currencies',
    message: string,
  ) {
    super(message);
  }
}
