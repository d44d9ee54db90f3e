/**
 * Errors of the compliance calendar, each with a stable `code` so callers can map them
 * (e.g. to `ApplicationFailure.nonRetryable(message, code)`) without parsing messages.
 */
export type ComplianceErrorCode =
  /** The request's `timezone` is not an IANA zone name. */
  | 'INVALID_TIMEZONE'
  /** An instant is not ISO-8601 with an offset (`Z` or `+08:00`). */
  | 'INVALID_INSTANT'
  /** A date is not `yyyy-mm-dd`. */
  | 'INVALID_DATE'
  /** The contact window cannot be read or is empty. */
  | 'INVALID_WINDOW'
  /** A duration (e.g. the quiet period) is not in the `ms` format. */
  | 'INVALID_DURATION'
  /** The holiday calendar (country or region) is unknown. */
  | 'UNKNOWN_CALENDAR'
  /** The request is malformed in another way (e.g. an unknown channel). */
  | 'INVALID_REQUEST'
  /** No instant within the bounded search satisfies every rule (e.g. a year of holidays). */
  | 'NO_ALLOWED_INSTANT';

export class ComplianceError extends Error {
  override readonly name = 'ComplianceError';

  constructor(
    readonly code: ComplianceErrorCode,
    message: string,
  ) {
    super(message);
  }
}
