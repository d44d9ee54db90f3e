import { DateTime } from 'luxon';

/** The last instant of a calendar date in the debtor's time zone (epoch ms): promises fall due at the end of their day. */
export function endOfLocalDate(date: string, timeZone: string): number {
  return DateTime.fromISO(date, { zone: timeZone }).endOf('day').toMillis();
}

/** Midnight at the start of `date` in `timezone`, as "2025-03-01T00:00:00.000+08:00". */
export function startOfLocalDay(date: string, timezone: string): string {
  const start = DateTime.fromISO(date, { zone: timezone }).startOf('day');
  const iso = start.isValid ? start.toISO() : null;
  if (iso === null) throw new RangeError(`invalid date "${date}" or time zone "${timezone}"`);
  return iso;
}

/** When a due date falls due (epoch ms): an instant as given, a calendar date at the end of that day in the debtor's zone. */
export function dueInstant(dueDate: string, timeZone: string): number {
  return dueDate.length > 10 ? Date.parse(dueDate) : endOfLocalDate(dueDate, timeZone);
}
