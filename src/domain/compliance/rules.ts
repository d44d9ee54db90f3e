import type { Channel, ComplianceProfile } from '../../policy/schema';
import type { ContactLogEntry } from '../types';
import { addDays, type LocalClock, MINUTE_MS, weekdayName } from './clock';
import { BUSINESS_HOURS, type DailyWindow, describeDay, isInsideWindow, nextWindowOpening, windowStartOfDay } from './contact-window';
import { ComplianceError } from './errors';
import { calendarDay, isWorkingDay } from './holidays';

/** Stable names of the rules, as they appear in `Deferral.rule`. */
export const DEFERRAL_RULES = [
  'contact_window',
  'holiday',
  'weekend',
  'business_hours',
  'conversation_cap',
  'unanswered_cap',
  'weekly_call_cap',
  'quiet_period',
  'sms_cap',
] as const;
export type DeferralRule = (typeof DEFERRAL_RULES)[number];

/** A rule broken at some instant, and the instant it stops objecting to. */
export interface Violation {
  rule: DeferralRule;
  until: number;
  detail: string;
}

/** A rule: null when the contact may happen at `at`, otherwise why not and until when. */
export type Rule = (at: number) => Violation | null;

/** A contact log entry with its instant parsed and its debtor-local date. */
export interface LoggedContact {
  at: number;
  date: string;
  channel: ContactLogEntry['channel'];
  result: ContactLogEntry['result'];
  number?: string;
}

export interface RuleContext {
  channel: Channel;
  clock: LocalClock;
  profile: ComplianceProfile;
  /** The profile's contact window, parsed. */
  window: DailyWindow;
  contacts: LoggedContact[];
  /** The number about to be dialled or texted, normalised. */
  number?: string;
}

/** How far ahead any search may go before giving up. */
export const MAX_SEARCH_DAYS = 400;

export const CHANNEL_LABELS: Record<Channel, string> = {
  sms: 'SMS',
  call: 'calls',
  letter: 'letters',
  lawyer_letter: "lawyer's letters",
  litigation: 'litigation filings',
  agency: 'agency placements',
};

/** The first local date after `date` for which `accept` holds, within the search bound. */
export function nextDateAfter(date: string, accept: (candidate: string) => boolean, what: string): string {
  let candidate = date;
  for (let day = 1; day <= MAX_SEARCH_DAYS; day += 1) {
    candidate = addDays(candidate, 1);
    if (accept(candidate)) return candidate;
  }
  throw new ComplianceError('NO_ALLOWED_INSTANT', `no ${what} within ${MAX_SEARCH_DAYS} days after ${date}`);
}

/** Calls and SMS: inside the contact window by the debtor's wall clock. */
export function contactWindowRule(ctx: RuleContext): Rule {
  const { clock, window } = ctx;
  return (at) => {
    if (isInsideWindow(clock, at, window)) return null;
    const until = nextWindowOpening(clock, at, window);
    return {
      rule: 'contact_window',
      until,
      detail: `${clock.formatTime(at)} ${clock.timezone} is outside the contact window ${window.label}; deferred to ${clock.formatTime(until)} ${describeDay(clock, at, until)}`,
    };
  };
}

/**
 * Calls and SMS under holiday behaviour "reduced": none on a public holiday; they resume at
 * the window start of the next day that is not a public holiday (an ordinary weekend day
 * qualifies: only public holidays stop debtor contact).
 */
export function holidayRule(ctx: RuleContext): Rule {
  const { clock, profile, window } = ctx;
  return (at) => {
    const date = clock.dateOf(at);
    const day = calendarDay(date, profile);
    if (day.holiday === undefined) return null;
    const resume = nextDateAfter(date, (candidate) => calendarDay(candidate, profile).holiday === undefined, 'day without a public holiday');
    const until = windowStartOfDay(clock, resume, window);
    const which = isWorkingDay(resume, profile) ? 'the next working day' : 'the next day without a public holiday';
    return {
      rule: 'holiday',
      until,
      detail: `${date} is a public holiday (${day.holiday}); calls and SMS resume on ${which}, ${weekdayName(resume)} ${clock.formatLocal(until)} ${clock.timezone}`,
    };
  };
}

/** Letters and legal steps under `lettersOnWorkingDaysOnly`: only on working days. */
export function workingDayRule(ctx: RuleContext): Rule {
  const { clock, profile, channel } = ctx;
  const label = CHANNEL_LABELS[channel];
  return (at) => {
    const date = clock.dateOf(at);
    const day = calendarDay(date, profile);
    if (day.workingDay) return null;
    const next = nextDateAfter(date, (candidate) => isWorkingDay(candidate, profile), 'working day');
    const until = windowStartOfDay(clock, next, BUSINESS_HOURS);
    const why = day.holiday !== undefined ? `is a public holiday (${day.holiday})` : `is a ${day.weekday}, not a working day`;
    return {
      rule: day.holiday !== undefined ? 'holiday' : 'weekend',
      until,
      detail: `${date} ${why}; ${label} go out on working days only, deferred to ${weekdayName(next)} ${clock.formatLocal(until)} ${clock.timezone}`,
    };
  };
}

/** Letters and legal steps under `lettersOnWorkingDaysOnly`: only during business hours 09:00-17:00 local. */
export function businessHoursRule(ctx: RuleContext): Rule {
  const { clock, profile, channel } = ctx;
  const label = CHANNEL_LABELS[channel];
  return (at) => {
    if (isInsideWindow(clock, at, BUSINESS_HOURS)) return null;
    let until: number;
    if (clock.timeOfDay(at) < BUSINESS_HOURS.start * MINUTE_MS) {
      until = nextWindowOpening(clock, at, BUSINESS_HOURS);
    } else {
      const next = nextDateAfter(clock.dateOf(at), (candidate) => isWorkingDay(candidate, profile), 'working day');
      until = windowStartOfDay(clock, next, BUSINESS_HOURS);
    }
    return {
      rule: 'business_hours',
      until,
      detail: `${clock.formatTime(at)} ${clock.timezone} is outside business hours ${BUSINESS_HOURS.label} for ${label}; deferred to ${clock.formatTime(until)} ${describeDay(clock, at, until)}`,
    };
  };
}
