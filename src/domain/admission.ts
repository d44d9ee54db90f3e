import { msToNumber } from '@temporalio/common/lib/time';
import { DateTime } from 'luxon';

/**
 * Plausible dates (spec section 9): a case whose `overdueSince` lies after today in the
 * debtor's time zone, or further back than the policy's `maxOverdueAge`, is refused at
 * intake. A wrong year in a file must not open a case that heads straight for court.
 * `maxOverdueAge` judges calendar dates: it is counted in whole days, never compressed.
 */
export interface OverdueSinceRefusal {
  message: string;
  /** Today in the debtor's time zone (YYYY-MM-DD). */
  today: string;
  /** The oldest overdueSince accepted today (YYYY-MM-DD). */
  earliest: string;
}

const DAY_MS = 24 * 3600 * 1000;

/** Undefined when `overdueSince` is plausible at `now`; otherwise why not. */
export function judgeOverdueSince(overdueSince: string, timezone: string, maxOverdueAge: string, now: number): OverdueSinceRefusal | undefined {
  const today = DateTime.fromMillis(now, { zone: timezone }).toISODate();
  if (today === null) throw new RangeError(`invalid time zone "${timezone}"`);
  const maxDays = Math.floor(msToNumber(maxOverdueAge as never) / DAY_MS);
  const earliest = DateTime.fromISO(today, { zone: 'UTC' }).minus({ days: maxDays }).toISODate()!;
  // ISO dates compare as strings.
  if (overdueSince > today) {
    return { today, earliest, message: `overdueSince ${overdueSince} is later than today (${today} in ${timezone})` };
  }
  if (overdueSince < earliest) {
    return { today, earliest, message: `overdueSince ${overdueSince} is older than the policy allows (maxOverdueAge ${maxOverdueAge}: not before ${earliest})` };
  }
  return undefined;
}
