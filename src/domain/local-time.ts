import type * as Luxon from 'luxon';

/**
 * luxon, loaded on first use rather than when this module loads. The workflow imports this
 * module (apply.ts) but needs luxon only for a promise or plan due on a calendar date, and the
 * workflow sandbox evaluates every module a workflow imports once per cached workflow (luxon:
 * about 68 KiB of heap each). Not memoised: this module is shared by every workflow of a worker
 * (src/workflow-bundle.ts), and `require` returns the calling workflow's own copy from its
 * module cache, which a module-level variable here would share instead (bench/README.md, memory).
 */
function luxon(): typeof Luxon {
  return require('luxon') as typeof Luxon;
}

/** The last instant of a calendar date in the debtor's time zone (epoch ms): promises fall due at the end of their day. */
export function endOfLocalDate(date: string, timeZone: string): number {
  return luxon().DateTime.fromISO(date, { zone: timeZone }).endOf('day').toMillis();
}

/** Midnight at the start of `date` in `timezone`, as "2025-03-01T00:00:00.000+08:00". */
export function startOfLocalDay(date: string, timezone: string): string {
  const start = luxon().DateTime.fromISO(date, { zone: timezone }).startOf('day');
  const iso = start.isValid ? start.toISO() : null;
  if (iso === null) throw new RangeError(`invalid date "${date}" or time zone "${timezone}"`);
  return iso;
}

/** When a due date falls due (epoch ms): an instant as given, a calendar date at the end of that day in the debtor's zone. */
export function dueInstant(dueDate: string, timeZone: string): number {
  return dueDate.length > 10 ? Date.parse(dueDate) : endOfLocalDate(dueDate, timeZone);
}
