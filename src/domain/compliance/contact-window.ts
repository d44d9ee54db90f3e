import { addDays, type LocalClock, MINUTE_MS, weekdayName } from './clock';
import { ComplianceError } from './errors';

/**
 * A daily window of local wall-clock time: start inclusive, end exclusive.
 * `start` is in [0, 1440) minutes and `end` in (0, 1440]; "24:00" means end of day and
 * "00:00"-"24:00" means always. A start after the end is an overnight window
 * (e.g. 20:00-08:00 allows 20:00 to midnight and midnight to 08:00).
 */
export interface DailyWindow {
  start: number;
  end: number;
  /** As configured, for messages: "08:00-22:00". */
  label: string;
}

/**
 * Letters, lawyer's letters, litigation filings and agency placements go out only during
 * business hours, 09:00-17:00 in the debtor's local time, when the profile says
 * `lettersOnWorkingDaysOnly` (a fixed rule of this product, not a profile setting).
 */
export const BUSINESS_HOURS: DailyWindow = { start: 9 * 60, end: 17 * 60, label: '09:00-17:00' };

/** How many local days ahead a window opening is looked for (covers DST-swallowed windows). */
const OPENING_SEARCH_DAYS = 8;

/** "HH:MM" (00:00 .. 24:00) to minutes after midnight. */
export function parseLocalTime(text: string, what: string): number {
  const match = typeof text === 'string' ? /^(\d{2}):(\d{2})$/.exec(text) : null;
  const minutes = match ? Number(match[1]) * 60 + Number(match[2]) : NaN;
  if (!match || Number(match[2]) > 59 || !(minutes >= 0 && minutes <= 24 * 60)) {
    throw new ComplianceError('INVALID_WINDOW', `${what} must be a local time "HH:MM" between 00:00 and 24:00, got ${JSON.stringify(text)}`);
  }
  return minutes;
}

export function parseWindow(window: { start: string; end: string }): DailyWindow {
  const rawStart = parseLocalTime(window.start, 'contactWindow.start');
  const rawEnd = parseLocalTime(window.end, 'contactWindow.end');
  if (rawStart === rawEnd) {
    throw new ComplianceError('INVALID_WINDOW', `the contact window ${window.start}-${window.end} is empty; use "00:00"-"24:00" for no restriction`);
  }
  return { start: rawStart % (24 * 60), end: rawEnd === 0 ? 24 * 60 : rawEnd, label: `${window.start}-${window.end}` };
}

export function isAlwaysOpen(window: DailyWindow): boolean {
  return window.start === 0 && window.end === 24 * 60;
}

/** Whether a local time of day (ms after midnight) is inside the window. */
export function insideWindow(timeOfDay: number, window: DailyWindow): boolean {
  const start = window.start * MINUTE_MS;
  const end = window.end * MINUTE_MS;
  return window.start < window.end ? timeOfDay >= start && timeOfDay < end : timeOfDay >= start || timeOfDay < end;
}

export function isInsideWindow(clock: LocalClock, at: number, window: DailyWindow): boolean {
  return insideWindow(clock.timeOfDay(at), window);
}

/**
 * The earliest instant at or after `at` inside the window, by the local wall clock.
 *
 * The window can only open when the wall clock reaches `start` or when it jumps (a DST
 * transition), so those are the candidates. A start that falls in a spring-forward gap
 * (02:30 on a day that skips 02:00-03:00) opens at the end of the gap (03:00), the first
 * existing local time after it; a start repeated by a fall-back overlap opens at each
 * occurrence (whichever follows `at`).
 */
export function nextWindowOpening(clock: LocalClock, at: number, window: DailyWindow): number {
  if (isInsideWindow(clock, at, window)) return at;
  const firstDay = clock.dateOf(at);
  const candidates: number[] = [];
  for (let day = 0; day <= OPENING_SEARCH_DAYS; day += 1) {
    candidates.push(...clock.occurrences(addDays(firstDay, day), window.start));
  }
  candidates.push(...clock.transitionsBetween(at, at + (OPENING_SEARCH_DAYS + 1) * 24 * 60 * MINUTE_MS));
  let best = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate > at && candidate < best && isInsideWindow(clock, candidate, window)) best = candidate;
  }
  if (!Number.isFinite(best)) {
    throw new ComplianceError('NO_ALLOWED_INSTANT', `the window ${window.label} never opens in ${clock.timezone} within ${OPENING_SEARCH_DAYS} days after ${clock.formatLocal(at)}`);
  }
  return best;
}

/** The first instant inside the window on local date `date` or later (the window "start" of that day). */
export function windowStartOfDay(clock: LocalClock, date: string, window: DailyWindow): number {
  return nextWindowOpening(clock, clock.startOfDay(date), window);
}

/** "the same day", "next day (2026-03-03)" or "on Thursday 2026-03-05", relative to `from`. */
export function describeDay(clock: LocalClock, from: number, to: number): string {
  const fromDate = clock.dateOf(from);
  const toDate = clock.dateOf(to);
  if (toDate === fromDate) return 'the same day';
  if (toDate === addDays(fromDate, 1)) return `next day (${toDate})`;
  return `on ${weekdayName(toDate)} ${toDate}`;
}
