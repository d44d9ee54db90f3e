import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  ComplianceError,
  isContactAllowed,
  nextAllowedContact,
} from '../../src/domain/compliance';
import type { ContactLogEntry, ContactRequest } from '../../src/domain/types';
import type { Channel, ComplianceProfile } from '../../src/policy/schema';

// Profiles written out here (not imported from src/policy) so these tests pin the
// calendar's behaviour, whatever the shipped defaults become.
const CN: ComplianceProfile = {
  contactWindow: { start: '08:00', end: '22:00' },
  holidays: { calendar: 'CN', behaviour: 'reduced', extraHolidays: [], extraWorkingDays: [] },
  lettersOnWorkingDaysOnly: true,
  caps: { conversationsPerDebtorPerDay: 3, unansweredAttemptsPerNumberPerDay: 6, smsPerDebtorPerDay: 2 },
  disputeSuspendsCollection: true,
  maxPlanMonths: 60,
  forbearanceBeforeEscalation: false,
};

const US_REG_F: ComplianceProfile = {
  contactWindow: { start: '08:00', end: '21:00' },
  holidays: { calendar: 'US', behaviour: 'normal', extraHolidays: [], extraWorkingDays: [] },
  lettersOnWorkingDaysOnly: false,
  caps: { callAttemptsPerWeek: 7, quietPeriodAfterConversation: '7 days', smsPerDebtorPerDay: 1 },
  optOutText: 'Reply STOP to opt out',
  disputeSuspendsCollection: true,
  forbearanceBeforeEscalation: false,
};

type ProfileEdit = Partial<Omit<ComplianceProfile, 'holidays'>> & { holidays?: Partial<ComplianceProfile['holidays']> };

function profile(base: ComplianceProfile, edit: ProfileEdit = {}): ComplianceProfile {
  const { holidays, ...rest } = edit;
  return { ...base, ...rest, holidays: { ...base.holidays, ...holidays } };
}

function shanghai(channel: Channel, notBefore: string, extra: Partial<ContactRequest> = {}): ContactRequest {
  return { channel, notBefore, timezone: 'Asia/Shanghai', jurisdiction: 'CN', profile: CN, recentContacts: [], ...extra };
}

function newYork(channel: Channel, notBefore: string, extra: Partial<ContactRequest> = {}): ContactRequest {
  return { channel, notBefore, timezone: 'America/New_York', jurisdiction: 'US_REG_F', profile: US_REG_F, recentContacts: [], ...extra };
}

function calls(result: ContactLogEntry['result'], times: string[], number?: string): ContactLogEntry[] {
  return times.map((at) => (number === undefined ? { at, channel: 'call', result } : { at, channel: 'call', result, number }));
}

const ms = (iso: string): number => DateTime.fromISO(iso).toMillis();

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ComplianceError);
    expect((error as ComplianceError).code).toBe(code);
    return;
  }
  throw new Error(`expected a ComplianceError ${code}`);
}

/** Asking again at the returned instant must give the same instant with no deferrals. */
function decide(req: ContactRequest) {
  const decision = nextAllowedContact(req);
  expect(nextAllowedContact({ ...req, notBefore: decision.at })).toEqual({ at: decision.at, deferrals: [] });
  return decision;
}

describe('contact window (debtor local time)', () => {
  it('defers 22:30 Shanghai to 08:00 the next day', () => {
    const decision = decide(shanghai('sms', '2026-03-02T22:30:00+08:00'));
    expect(decision.at).toBe('2026-03-03T08:00:00+08:00');
    expect(decision.deferrals).toEqual([
      {
        rule: 'contact_window',
        detail: '22:30 Asia/Shanghai is outside the contact window 08:00-22:00; deferred to 08:00 next day (2026-03-03)',
        until: '2026-03-03T08:00:00+08:00',
      },
    ]);
  });

  it('defers 07:00 to 08:00 the same day', () => {
    const decision = decide(shanghai('call', '2026-03-02T07:00:00+08:00'));
    expect(decision.at).toBe('2026-03-02T08:00:00+08:00');
    expect(decision.deferrals[0]?.detail).toBe('07:00 Asia/Shanghai is outside the contact window 08:00-22:00; deferred to 08:00 the same day');
  });

  it('reads the instant in the debtor zone whatever offset it is written with', () => {
    // 14:30Z is 22:30 in Shanghai.
    expect(nextAllowedContact(shanghai('sms', '2026-03-02T14:30:00Z')).at).toBe('2026-03-03T08:00:00+08:00');
    // 00:30Z is 08:30 in Shanghai: allowed, returned exactly as given.
    expect(nextAllowedContact(shanghai('sms', '2026-03-02T00:30:00Z'))).toEqual({ at: '2026-03-02T00:30:00Z', deferrals: [] });
  });

  it('has an inclusive start and an exclusive end', () => {
    expect(nextAllowedContact(shanghai('sms', '2026-03-02T08:00:00+08:00')).deferrals).toEqual([]);
    expect(nextAllowedContact(shanghai('sms', '2026-03-02T21:59:59.999+08:00')).deferrals).toEqual([]);
    expect(nextAllowedContact(shanghai('sms', '2026-03-02T22:00:00+08:00')).at).toBe('2026-03-03T08:00:00+08:00');
  });

  it('treats 24:00 as the end of the day and 00:00-24:00 as always', () => {
    const late = profile(CN, { contactWindow: { start: '08:00', end: '24:00' } });
    expect(nextAllowedContact(shanghai('sms', '2026-03-02T23:59:00+08:00', { profile: late })).deferrals).toEqual([]);
    expect(nextAllowedContact(shanghai('sms', '2026-03-03T00:00:00+08:00', { profile: late })).at).toBe('2026-03-03T08:00:00+08:00');
    const always = profile(CN, { contactWindow: { start: '00:00', end: '24:00' } });
    expect(nextAllowedContact(shanghai('sms', '2026-03-03T03:00:00+08:00', { profile: always })).deferrals).toEqual([]);
  });

  it('supports an overnight window', () => {
    const night = profile(CN, { contactWindow: { start: '20:00', end: '08:00' } });
    expect(nextAllowedContact(shanghai('call', '2026-03-03T07:59:00+08:00', { profile: night })).deferrals).toEqual([]);
    expect(decide(shanghai('call', '2026-03-03T08:00:00+08:00', { profile: night })).at).toBe('2026-03-03T20:00:00+08:00');
  });

  it('does not apply the contact window to letters', () => {
    const anyTime = profile(CN, { lettersOnWorkingDaysOnly: false });
    expect(nextAllowedContact(shanghai('letter', '2026-03-01T23:30:00+08:00', { profile: anyTime })).deferrals).toEqual([]);
  });
});

describe('China official calendar (Spring Festival 2026)', () => {
  it('defers an SMS on 2026-02-16 to 2026-02-24 08:00 local', () => {
    const decision = decide(shanghai('sms', '2026-02-16T10:00:00+08:00'));
    expect(decision.at).toBe('2026-02-24T08:00:00+08:00');
    expect(decision.deferrals).toHaveLength(1);
    expect(decision.deferrals[0]?.rule).toBe('holiday');
    expect(decision.deferrals[0]?.detail).toBe(
      '2026-02-16 is a public holiday (Spring Festival); calls and SMS resume on the next working day, Tuesday 2026-02-24 08:00 Asia/Shanghai',
    );
  });

  it('re-checks every rule after a deferral: 23:00 on the eve defers twice', () => {
    const decision = decide(shanghai('call', '2026-02-14T23:00:00+08:00'));
    expect(decision.at).toBe('2026-02-24T08:00:00+08:00');
    expect(decision.deferrals.map((d) => [d.rule, d.until])).toEqual([
      ['contact_window', '2026-02-15T08:00:00+08:00'],
      ['holiday', '2026-02-24T08:00:00+08:00'],
    ]);
  });

  it('allows a letter at 10:00 on the make-up working Saturday 2026-02-14', () => {
    expect(nextAllowedContact(shanghai('letter', '2026-02-14T10:00:00+08:00'))).toEqual({ at: '2026-02-14T10:00:00+08:00', deferrals: [] });
    expect(nextAllowedContact(shanghai('lawyer_letter', '2026-02-28T16:59:00+08:00')).deferrals).toEqual([]);
  });

  it('defers letters on the holiday to the next working day at 09:00', () => {
    const decision = decide(shanghai('letter', '2026-02-15T10:00:00+08:00'));
    expect(decision.at).toBe('2026-02-24T09:00:00+08:00');
    expect(decision.deferrals[0]?.rule).toBe('holiday');
    expect(decision.deferrals[0]?.detail).toContain('letters go out on working days only');
  });

  it('keeps letters to working days and business hours 09:00-17:00', () => {
    // Friday 18:00 before the make-up Saturday: the Saturday is a working day.
    expect(decide(shanghai('letter', '2026-02-13T18:00:00+08:00')).at).toBe('2026-02-14T09:00:00+08:00');
    // Ordinary Sunday.
    const sunday = decide(shanghai('litigation', '2026-03-01T10:00:00+08:00'));
    expect(sunday.at).toBe('2026-03-02T09:00:00+08:00');
    expect(sunday.deferrals.map((d) => d.rule)).toEqual(['weekend']);
    expect(sunday.deferrals[0]?.detail).toBe(
      '2026-03-01 is a Sunday, not a working day; litigation filings go out on working days only, deferred to Monday 2026-03-02 09:00 Asia/Shanghai',
    );
    // Saturday (make-up working day) 18:00 -> Monday 09:00, in one step.
    const evening = decide(shanghai('agency', '2026-02-28T18:00:00+08:00'));
    expect(evening.at).toBe('2026-03-02T09:00:00+08:00');
    expect(evening.deferrals.map((d) => d.rule)).toEqual(['business_hours']);
    expect(decide(shanghai('letter', '2026-03-02T08:15:00+08:00')).at).toBe('2026-03-02T09:00:00+08:00');
    expect(decide(shanghai('letter', '2026-03-02T17:00:00+08:00')).at).toBe('2026-03-03T09:00:00+08:00');
  });

  it('allows calls and SMS on an ordinary weekend', () => {
    expect(nextAllowedContact(shanghai('call', '2026-03-07T10:00:00+08:00')).deferrals).toEqual([]);
    expect(nextAllowedContact(shanghai('sms', '2026-03-08T21:00:00+08:00')).deferrals).toEqual([]);
  });

  it('lets calls and SMS through on holidays when the behaviour is "normal"', () => {
    const normal = profile(CN, { holidays: { behaviour: 'normal' } });
    expect(nextAllowedContact(shanghai('sms', '2026-02-16T10:00:00+08:00', { profile: normal })).deferrals).toEqual([]);
    // Letters still need a working day.
    expect(nextAllowedContact(shanghai('letter', '2026-02-16T10:00:00+08:00', { profile: normal })).at).toBe('2026-02-24T09:00:00+08:00');
  });

  it('treats National Day 2026 and its make-up days', () => {
    expect(nextAllowedContact(shanghai('sms', '2026-10-01T09:00:00+08:00')).at).toBe('2026-10-08T08:00:00+08:00');
    // Saturday 2026-10-10 is a make-up working day; Sunday 2026-10-11 is not.
    expect(nextAllowedContact(shanghai('letter', '2026-10-10T09:00:00+08:00')).deferrals).toEqual([]);
    expect(nextAllowedContact(shanghai('letter', '2026-10-11T09:00:00+08:00')).at).toBe('2026-10-12T09:00:00+08:00');
  });
});

describe('frequency caps', () => {
  it('US Reg F: the 8th call attempt in 7 days waits until the first ages out', () => {
    const log = calls('no_answer', [
      '2026-03-02T10:15:00-05:00',
      '2026-03-03T10:00:00-05:00',
      '2026-03-04T10:00:00-05:00',
      '2026-03-05T10:00:00-05:00',
      '2026-03-06T10:00:00-05:00',
      '2026-03-06T15:00:00-05:00',
      '2026-03-07T10:00:00-05:00',
    ]);
    const decision = decide(newYork('call', '2026-03-08T12:00:00-04:00', { recentContacts: log }));
    // 2026-03-02 10:15 EST + 7 × 24 h = 2026-03-09 15:15Z = 11:15 EDT (DST began on 03-08).
    expect(decision.at).toBe('2026-03-09T11:15:00-04:00');
    expect(decision.deferrals.map((d) => d.rule)).toEqual(['weekly_call_cap']);
    expect(decision.deferrals[0]?.detail).toBe(
      '7 call attempts in the 7 days up to 2026-03-08 12:00 America/New_York (cap 7 in any 7 days); deferred until the attempt of 2026-03-02 10:15 is 7 days old, 2026-03-09 11:15',
    );
    // With six attempts the call may go now.
    expect(nextAllowedContact(newYork('call', '2026-03-08T12:00:00-04:00', { recentContacts: log.slice(1) })).deferrals).toEqual([]);
    // SMS are not call attempts.
    expect(nextAllowedContact(newYork('sms', '2026-03-08T12:00:00-04:00', { recentContacts: log })).deferrals).toEqual([]);
  });

  it('US Reg F: an attempt ageing out at night still waits for the window', () => {
    const log = calls('attempt', Array.from({ length: 7 }, (_, i) => DateTime.fromISO('2026-04-06T20:30:00', { zone: 'America/New_York' }).plus({ days: i }).toISO()!));
    const decision = decide(newYork('call', '2026-04-12T20:45:00-04:00', { recentContacts: log }));
    // First attempt ages out at 2026-04-13 20:30 (inside the window).
    expect(decision.at).toBe('2026-04-13T20:30:00-04:00');
    const late = decide(newYork('call', '2026-04-12T20:45:00-04:00', { recentContacts: calls('attempt', log.map((e) => DateTime.fromISO(e.at).plus({ minutes: 45 }).toISO()!)) }));
    // Ages out at 21:15, after the window: 08:00 the day after, by which time the 2nd has aged out too.
    expect(late.deferrals.map((d) => d.rule)).toEqual(['weekly_call_cap', 'contact_window']);
    expect(late.at).toBe('2026-04-14T08:00:00-04:00');
  });

  it('counts attempts logged after the requested instant too', () => {
    // Seven attempts in the week after notBefore: a call now would make eight in a 7-day window.
    const log = calls('no_answer', Array.from({ length: 7 }, (_, i) => `2026-03-1${i}T11:00:00-04:00`));
    const decision = decide(newYork('call', '2026-03-09T12:00:00-04:00', { recentContacts: log }));
    // Any call before 03-17 11:00 shares a 7-day window with all seven.
    expect(decision.at).toBe('2026-03-17T11:00:00-04:00');
    // At 12:00 the window [03-09 12:00, 03-16 12:00) would hold six of them plus this call: allowed.
    const later = calls('no_answer', Array.from({ length: 7 }, (_, i) => `2026-03-1${i}T12:00:00-04:00`));
    expect(nextAllowedContact(newYork('call', '2026-03-09T12:00:00-04:00', { recentContacts: later })).deferrals).toEqual([]);
  });

  it('US Reg F: no call for 7 days after a conversation', () => {
    const log = calls('conversation', ['2026-05-04T14:20:00-04:00']);
    const decision = decide(newYork('call', '2026-05-05T09:00:00-04:00', { recentContacts: log }));
    expect(decision.at).toBe('2026-05-11T14:20:00-04:00');
    expect(decision.deferrals.map((d) => d.rule)).toEqual(['quiet_period']);
    expect(decision.deferrals[0]?.detail).toBe(
      'a conversation with the debtor took place at 2026-05-04 14:20 America/New_York; no calls for 7 days after a conversation, deferred to 2026-05-11 14:20',
    );
    // The quiet period is over at exactly 7 days.
    expect(nextAllowedContact(newYork('call', '2026-05-11T14:20:00-04:00', { recentContacts: log })).deferrals).toEqual([]);
    // SMS are not calls.
    expect(nextAllowedContact(newYork('sms', '2026-05-05T09:00:00-04:00', { recentContacts: log })).deferrals).toEqual([]);
  });

  it('CN: the 4th conversation of the day is deferred to 08:00 the next day', () => {
    const log = calls('conversation', ['2026-03-03T09:00:00+08:00', '2026-03-03T11:00:00+08:00', '2026-03-03T15:00:00+08:00']);
    const decision = decide(shanghai('call', '2026-03-03T16:00:00+08:00', { recentContacts: log }));
    expect(decision.at).toBe('2026-03-04T08:00:00+08:00');
    expect(decision.deferrals).toEqual([
      {
        rule: 'conversation_cap',
        detail: '3 conversations with the debtor already on 2026-03-03 (cap 3 a day); deferred to 08:00 next day (2026-03-04)',
        until: '2026-03-04T08:00:00+08:00',
      },
    ]);
    // Yesterday's conversations do not count today (days are the debtor's local days: 01:00Z = 09:00 next day).
    expect(nextAllowedContact(shanghai('call', '2026-03-04T01:00:00Z', { recentContacts: log })).deferrals).toEqual([]);
  });

  it('CN: the 7th unanswered attempt on a number is deferred, another number is allowed', () => {
    const times = ['09:00', '10:00', '11:00', '12:00', '13:00'].map((t) => `2026-03-03T${t}:00+08:00`);
    const log = [...calls('no_answer', times, '+86 138 0013 8000'), ...calls('attempt', ['2026-03-03T14:00:00+08:00'], '+8613800138000')];
    const same = decide(shanghai('call', '2026-03-03T15:00:00+08:00', { recentContacts: log, number: '+86-138-0013-8000' }));
    expect(same.at).toBe('2026-03-04T08:00:00+08:00');
    expect(same.deferrals.map((d) => d.rule)).toEqual(['unanswered_cap']);
    expect(same.deferrals[0]?.detail).toContain('6 unanswered call attempts to this number on 2026-03-03 (cap 6 a day per number)');
    expect(nextAllowedContact(shanghai('call', '2026-03-03T15:00:00+08:00', { recentContacts: log, number: '+8613900139000' })).deferrals).toEqual([]);
    // Five unanswered attempts: the sixth may go.
    expect(nextAllowedContact(shanghai('call', '2026-03-03T15:00:00+08:00', { recentContacts: log.slice(1), number: '+8613800138000' })).deferrals).toEqual([]);
  });

  it('caps SMS per debtor per day', () => {
    const log: ContactLogEntry[] = [
      { at: '2026-03-03T09:00:00+08:00', channel: 'sms', result: 'sent' },
      { at: '2026-03-03T10:00:00+08:00', channel: 'sms', result: 'sent' },
    ];
    const decision = decide(shanghai('sms', '2026-03-03T11:00:00+08:00', { recentContacts: log }));
    expect(decision.at).toBe('2026-03-04T08:00:00+08:00');
    expect(decision.deferrals.map((d) => d.rule)).toEqual(['sms_cap']);
    // Calls are not limited by the SMS cap.
    expect(nextAllowedContact(shanghai('call', '2026-03-03T11:00:00+08:00', { recentContacts: log })).deferrals).toEqual([]);
  });

  it('moves from a cap to a holiday: the day after the cap is the Spring Festival', () => {
    const log = calls('conversation', ['2026-02-14T09:00:00+08:00', '2026-02-14T10:00:00+08:00', '2026-02-14T11:00:00+08:00']);
    const decision = decide(shanghai('call', '2026-02-14T12:00:00+08:00', { recentContacts: log }));
    expect(decision.deferrals.map((d) => d.rule)).toEqual(['conversation_cap', 'holiday']);
    expect(decision.at).toBe('2026-02-24T08:00:00+08:00');
  });

  it('applies only the caps the profile sets', () => {
    const uncapped = profile(CN, { caps: {} });
    const log = calls('conversation', Array.from({ length: 10 }, (_, i) => `2026-03-03T1${i}:00:00+08:00`));
    expect(nextAllowedContact(shanghai('call', '2026-03-03T21:00:00+08:00', { profile: uncapped, recentContacts: log })).deferrals).toEqual([]);
  });
});

describe('profile overrides and calendars', () => {
  it('honours extraHolidays for calls and letters', () => {
    const bank = profile(CN, { holidays: { extraHolidays: ['2026-03-03', '2026-03-04'] } });
    const sms = decide(shanghai('sms', '2026-03-03T10:00:00+08:00', { profile: bank }));
    expect(sms.at).toBe('2026-03-05T08:00:00+08:00');
    expect(sms.deferrals[0]?.detail).toContain('public holiday (holiday set by the policy)');
    expect(decide(shanghai('letter', '2026-03-03T10:00:00+08:00', { profile: bank })).at).toBe('2026-03-05T09:00:00+08:00');
  });

  it('honours extraWorkingDays, which override the official calendar', () => {
    const bank = profile(CN, { holidays: { extraWorkingDays: ['2026-03-01', '2026-02-17'] } });
    expect(nextAllowedContact(shanghai('letter', '2026-03-01T10:00:00+08:00', { profile: bank })).deferrals).toEqual([]);
    expect(nextAllowedContact(shanghai('sms', '2026-02-17T10:00:00+08:00', { profile: bank })).deferrals).toEqual([]);
  });

  it('calendar "none": no holidays and every day is a working day', () => {
    const none = profile(CN, { holidays: { calendar: 'none' } });
    expect(nextAllowedContact(shanghai('sms', '2026-02-17T10:00:00+08:00', { profile: none })).deferrals).toEqual([]);
    expect(nextAllowedContact(shanghai('letter', '2026-03-01T10:00:00+08:00', { profile: none })).deferrals).toEqual([]);
    // Business hours still apply to letters.
    expect(nextAllowedContact(shanghai('letter', '2026-03-01T18:00:00+08:00', { profile: none })).at).toBe('2026-03-02T09:00:00+08:00');
  });

  it('uses date-holidays for other countries (US, reduced behaviour)', () => {
    const usReduced = profile(US_REG_F, { holidays: { behaviour: 'reduced' }, lettersOnWorkingDaysOnly: true });
    // 2026-07-04 is a Saturday; Friday 07-03 is the observed holiday. Sunday 07-05 is an ordinary weekend day.
    const sms = decide(newYork('sms', '2026-07-03T10:00:00-04:00', { profile: usReduced }));
    expect(sms.at).toBe('2026-07-05T08:00:00-04:00');
    expect(sms.deferrals[0]?.detail).toContain('2026-07-03 is a public holiday (Independence Day (substitute day))');
    expect(sms.deferrals[0]?.detail).toContain('the next day without a public holiday');
    // Letters wait for Monday.
    expect(decide(newYork('letter', '2026-07-03T10:00:00-04:00', { profile: usReduced })).at).toBe('2026-07-06T09:00:00-04:00');
  });
});

describe('daylight saving time', () => {
  it('moves a window start that falls in the spring-forward gap to the end of the gap', () => {
    // New York skips 02:00-03:00 on 2026-03-08; a 02:30 start opens at 03:00 EDT.
    const early = profile(US_REG_F, { contactWindow: { start: '02:30', end: '21:00' } });
    const decision = decide(newYork('sms', '2026-03-08T01:00:00-05:00', { profile: early }));
    expect(decision.at).toBe('2026-03-08T03:00:00-04:00');
    expect(decision.deferrals[0]?.detail).toBe('01:00 America/New_York is outside the contact window 02:30-21:00; deferred to 03:00 the same day');
    // The next day opens at 02:30 as usual.
    expect(decide(newYork('sms', '2026-03-08T22:00:00-04:00', { profile: early })).at).toBe('2026-03-09T02:30:00-04:00');
  });

  it('opens at the second 01:30 of a fall-back night when the first has passed', () => {
    const early = profile(US_REG_F, { contactWindow: { start: '01:30', end: '21:00' } });
    // 2026-11-01: 01:00-02:00 happens twice (EDT then EST).
    expect(decide(newYork('sms', '2026-11-01T00:10:00-04:00', { profile: early })).at).toBe('2026-11-01T01:30:00-04:00');
    expect(decide(newYork('sms', '2026-11-01T01:10:00-05:00', { profile: early })).at).toBe('2026-11-01T01:30:00-05:00');
  });

  it('keeps the 08:00 window start in local time across the change', () => {
    expect(decide(newYork('sms', '2026-03-07T22:00:00-05:00')).at).toBe('2026-03-08T08:00:00-04:00');
    expect(decide(newYork('sms', '2026-10-31T22:00:00-04:00')).at).toBe('2026-11-01T08:00:00-05:00');
    // Sydney leaves DST at 03:00 on 2026-04-05.
    const noHolidays = profile(CN, { holidays: { calendar: 'none' } });
    const sydney = decide({ ...shanghai('sms', '2026-04-04T23:00:00+11:00', { profile: noHolidays }), timezone: 'Australia/Sydney' });
    expect(sydney.at).toBe('2026-04-05T08:00:00+10:00');
  });

  it('finds the start of a day whose midnight does not exist (Santiago)', () => {
    const zone = 'America/Santiago';
    // Find the 2026 spring-forward day, when local midnight is skipped.
    let day = DateTime.fromISO('2026-08-01', { zone });
    while (day.plus({ days: 1 }).offset === day.offset) day = day.plus({ days: 1 });
    const gapDay = day.plus({ days: 1 }).toISODate()!;
    const always = profile(CN, { contactWindow: { start: '00:00', end: '24:00' }, holidays: { calendar: 'none' } });
    const log: ContactLogEntry[] = [
      { at: DateTime.fromISO(`${day.toISODate()}T10:00`, { zone }).toISO()!, channel: 'sms', result: 'sent' },
      { at: DateTime.fromISO(`${day.toISODate()}T11:00`, { zone }).toISO()!, channel: 'sms', result: 'sent' },
    ];
    const decision = decide({
      ...shanghai('sms', DateTime.fromISO(`${day.toISODate()}T12:00`, { zone }).toISO()!, { profile: always, recentContacts: log }),
      timezone: zone,
    });
    const at = DateTime.fromISO(decision.at, { zone });
    expect(at.toISODate()).toBe(gapDay);
    expect(at.hour).toBe(1);
    expect(at.minus({ milliseconds: 1 }).toISODate()).toBe(day.toISODate());
  });
});

describe('results and errors', () => {
  it('returns notBefore unchanged when nothing defers it, and isContactAllowed agrees', () => {
    const req = shanghai('call', '2026-03-03T10:00:00.123+08:00');
    expect(nextAllowedContact(req)).toEqual({ at: '2026-03-03T10:00:00.123+08:00', deferrals: [] });
    expect(isContactAllowed(req)).toBe(true);
    expect(isContactAllowed(shanghai('call', '2026-03-03T23:00:00+08:00'))).toBe(false);
  });

  it('does not depend on the machine time zone', () => {
    const saved = process.env.TZ;
    const answers: unknown[] = [];
    try {
      for (const tz of ['UTC', 'America/Los_Angeles', 'Pacific/Kiritimati', 'Asia/Shanghai']) {
        process.env.TZ = tz;
        answers.push([
          nextAllowedContact(shanghai('sms', '2026-02-16T10:00:00+08:00')),
          nextAllowedContact(shanghai('letter', '2026-02-28T18:00:00+08:00')),
          nextAllowedContact(newYork('call', '2026-07-03T22:00:00-04:00', { profile: profile(US_REG_F, { holidays: { behaviour: 'reduced' } }) })),
        ]);
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });

  it('throws NO_ALLOWED_INSTANT when no instant within 400 days is allowed', () => {
    const start = DateTime.fromISO('2026-01-01');
    const everyDay = Array.from({ length: 420 }, (_, i) => start.plus({ days: i }).toISODate()!);
    const closed = profile(CN, { holidays: { extraHolidays: everyDay } });
    expectCode(() => nextAllowedContact(shanghai('sms', '2026-01-01T10:00:00+08:00', { profile: closed })), 'NO_ALLOWED_INSTANT');
    expectCode(() => nextAllowedContact(shanghai('letter', '2026-01-01T10:00:00+08:00', { profile: closed })), 'NO_ALLOWED_INSTANT');
  });

  it('rejects bad input with stable codes', () => {
    expectCode(() => nextAllowedContact(shanghai('sms', '2026-03-03T10:00:00')), 'INVALID_INSTANT');
    expectCode(() => nextAllowedContact(shanghai('sms', 'tomorrow')), 'INVALID_INSTANT');
    expectCode(() => nextAllowedContact({ ...shanghai('sms', '2026-03-03T10:00:00+08:00'), timezone: 'Mars/Olympus' }), 'INVALID_TIMEZONE');
    expectCode(() => nextAllowedContact(shanghai('sms', '2026-03-03T10:00:00+08:00', { profile: profile(CN, { contactWindow: { start: '08:00', end: '08:00' } }) })), 'INVALID_WINDOW');
    expectCode(() => nextAllowedContact(shanghai('sms', '2026-03-03T10:00:00+08:00', { profile: profile(CN, { contactWindow: { start: '08:00', end: '24:30' } }) })), 'INVALID_WINDOW');
    expectCode(() => nextAllowedContact(shanghai('sms', '2026-03-03T10:00:00+08:00', { profile: profile(CN, { holidays: { calendar: 'XX' } }) })), 'UNKNOWN_CALENDAR');
    expectCode(
      () => nextAllowedContact(shanghai('call', '2026-03-03T10:00:00+08:00', { recentContacts: [{ at: 'yesterday', channel: 'call', result: 'attempt' }] })),
      'INVALID_INSTANT',
    );
    expectCode(
      () => nextAllowedContact(newYork('call', '2026-03-03T10:00:00-05:00', { profile: profile(US_REG_F, { caps: { quietPeriodAfterConversation: 'a week' } }) })),
      'INVALID_DURATION',
    );
  });

  it('keeps instants at millisecond precision', () => {
    const log = calls('conversation', ['2026-05-04T14:20:00.250-04:00']);
    const decision = nextAllowedContact(newYork('call', '2026-05-05T09:00:00-04:00', { recentContacts: log }));
    expect(ms(decision.at)).toBe(ms('2026-05-11T14:20:00.250-04:00'));
  });
});
