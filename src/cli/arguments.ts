import { InvalidArgumentError } from 'commander';
import { CaseError } from '../client/errors';
import * as schemas from '../shared/schemas';

/** Parsers for the CLI's arguments and options; a bad value is a usage error (exit 2). */

export function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return Number(value);
  };
}

export function nonNegativeInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    return Number(value);
  };
}

export function loanIdArg(value: string): string {
  const parsed = schemas.LoanId.safeParse(value);
  if (!parsed.success) throw new CaseError('invalid_request', `invalid loan id "${value}": ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export function instantOption(value: string, name: string): string {
  if (!schemas.IsoInstant.safeParse(value).success) throw new CaseError('invalid_request', `${name} must be an ISO-8601 instant with offset, e.g. 2026-12-01T09:00:00+08:00`);
  return value;
}

/** A date (YYYY-MM-DD, midnight UTC) or an ISO-8601 instant with offset. */
export function beforeOption(value: string): Date {
  const ok = /^\d{4}-\d{2}-\d{2}$/.test(value) || schemas.IsoInstant.safeParse(value).success;
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (!ok || Number.isNaN(date.getTime())) throw new InvalidArgumentError('--before must be a date (2024-01-31) or an ISO-8601 instant with offset');
  return date;
}
