import { DateTime } from 'luxon';

/** The last instant of a calendar date in the debtor's time zone (epoch ms): promises fall due at the end of their day. */
export function endOfLocalDate(date: string, timeZone: string): number {
  return DateTime.fromISO(date, { zone: timeZone }).endOf('day').toMillis();
}

/** Today's calendar date (yyyy-mm-dd) in the debtor's time zone. */
export function localDate(epochMs: number, timeZone: string): string {
  return DateTime.fromMillis(epochMs, { zone: timeZone }).toISODate()!;
}

/** Whole days past due at an instant, counted on the debtor's calendar (DPD). */
export function daysPastDue(overdueSince: string, epochMs: number, timeZone: string): number {
  const since = DateTime.fromISO(overdueSince, { zone: timeZone }).startOf('day');
  const today = DateTime.fromMillis(epochMs, { zone: timeZone }).startOf('day');
  return Math.max(0, Math.round(today.diff(since, 'days').days));
}

/** When a due date falls due (epoch ms): an instant as given, a calendar date at the end of that day in the debtor's zone. */
export function dueInstant(dueDate: string, timeZone: string): number {
  return dueDate.length > 10 ? Date.parse(dueDate) : endOfLocalDate(dueDate, timeZone);
}
