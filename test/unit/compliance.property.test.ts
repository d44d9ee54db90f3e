import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { msToNumber } from '@temporalio/common/lib/time';
import { DEFERRAL_RULES, holidayName, isWorkingDay, nextAllowedContact } from '../../src/domain/compliance';
import type { ContactLogEntry, ContactRequest } from '../../src/domain/types';
import type { Channel, ComplianceProfile, JurisdictionName } from '../../src/policy/schema';

/**
 * Properties of nextAllowedContact over random instants (2024-2027), zones, profiles and
 * contact logs. The checks below re-derive each rule independently with luxon (local
 * date/time in the debtor's zone) instead of reusing the implementation's helpers, except
 * for the holiday tables themselves.
 */

const ZONES = [
  'Asia/Shanghai',
  'Asia/Tokyo',
  'Asia/Kolkata',
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'America/Sao_Paulo',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Pacific/Auckland',
  'UTC',
];
const WINDOWS: [string, string][] = [
  ['08:00', '22:00'],
  ['08:00', '21:00'],
  ['09:00', '17:00'],
  ['07:30', '20:45'],
  ['00:00', '24:00'],
  ['02:30', '21:00'],
  ['01:30', '23:00'],
  ['20:00', '08:00'],
  ['06:00', '24:00'],
];
const CHANNELS: Channel[] = ['sms', 'call', 'letter', 'lawyer_letter', 'litigation', 'agency'];
const FROM = Date.parse('2024-01-01T00:00:00Z');
const TO = Date.parse('2027-12-31T00:00:00Z');
const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** COMPLIANCE_PROPERTY_RUNS=20000 for a longer soak; the default keeps the suite fast. */
const RUNS = Number(process.env.COMPLIANCE_PROPERTY_RUNS ?? 400);

const calendarArb = fc.constantFrom<[JurisdictionName, string, string | undefined]>(
  ['CN', 'CN', undefined],
  ['US_REG_F', 'US', undefined],
  ['US_REG_F', 'US', 'NY'],
  ['UK_CONC', 'GB', 'ENG'],
  ['UK_CONC', 'GB', undefined],
  ['CN', 'none', undefined],
);

const dateArb = fc.integer({ min: Date.parse('2024-01-01T00:00:00Z') / DAY, max: Date.parse('2027-12-31T00:00:00Z') / DAY }).map((day) => new Date(day * DAY).toISOString().slice(0, 10));

const profileArb: fc.Arbitrary<{ jurisdiction: JurisdictionName; profile: ComplianceProfile }> = fc
  .record({
    calendar: calendarArb,
    window: fc.constantFrom(...WINDOWS),
    behaviour: fc.constantFrom<'reduced' | 'normal'>('reduced', 'reduced', 'normal'),
    lettersOnWorkingDaysOnly: fc.boolean(),
    extraHolidays: fc.array(dateArb, { maxLength: 4 }),
    extraWorkingDays: fc.array(dateArb, { maxLength: 2 }),
    conversations: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    unanswered: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
    perWeek: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
    quiet: fc.option(fc.constantFrom('1h', '36h', '7 days'), { nil: undefined }),
    sms: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  })
  .map((r) => {
    const [jurisdiction, calendar, region] = r.calendar;
    const caps: ComplianceProfile['caps'] = {};
    if (r.conversations !== undefined) caps.conversationsPerDebtorPerDay = r.conversations;
    if (r.unanswered !== undefined) caps.unansweredAttemptsPerNumberPerDay = r.unanswered;
    if (r.perWeek !== undefined) caps.callAttemptsPerWeek = r.perWeek;
    if (r.quiet !== undefined) caps.quietPeriodAfterConversation = r.quiet;
    if (r.sms !== undefined) caps.smsPerDebtorPerDay = r.sms;
    const profile: ComplianceProfile = {
      contactWindow: { start: r.window[0], end: r.window[1] },
      holidays: { calendar, behaviour: r.behaviour, extraHolidays: r.extraHolidays, extraWorkingDays: r.extraWorkingDays, ...(region ? { region } : {}) },
      lettersOnWorkingDaysOnly: r.lettersOnWorkingDaysOnly,
      caps,
      disputeSuspendsCollection: true,
      forbearanceBeforeEscalation: false,
    };
    return { jurisdiction, profile };
  });

/** Instants are written with a Z or with the debtor's offset, at whole minutes or with seconds and ms. */
const requestArb: fc.Arbitrary<ContactRequest> = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    notBefore: fc.integer({ min: FROM, max: TO }),
    wholeMinute: fc.boolean(),
    localOffset: fc.boolean(),
    channel: fc.constantFrom(...CHANNELS),
    number: fc.constantFrom<string | undefined>('+8613800138000', '+86 139 0013 9000', undefined),
    policy: profileArb,
    log: fc.array(
      fc.record({
        ago: fc.integer({ min: 0, max: 10 * DAY }),
        channel: fc.constantFrom<'sms' | 'call'>('sms', 'call', 'call'),
        result: fc.constantFrom<'attempt' | 'conversation' | 'no_answer'>('attempt', 'conversation', 'no_answer'),
        number: fc.constantFrom<string | undefined>('+8613800138000', '+86 139 0013 9000', undefined),
      }),
      { maxLength: 25 },
    ),
  })
  .map((r) => {
    const notBefore = r.wholeMinute ? r.notBefore - (r.notBefore % 60_000) : r.notBefore;
    const write = (ms: number): string => (r.localOffset ? DateTime.fromMillis(ms, { zone: r.zone }).toISO()! : new Date(ms).toISOString());
    const recentContacts: ContactLogEntry[] = r.log.map((entry) => {
      const logged: ContactLogEntry = {
        at: write(notBefore - entry.ago),
        channel: entry.channel,
        result: entry.channel === 'sms' ? 'sent' : entry.result,
      };
      if (entry.number !== undefined) logged.number = entry.number;
      return logged;
    });
    const req: ContactRequest = {
      channel: r.channel,
      notBefore: write(notBefore),
      timezone: r.zone,
      jurisdiction: r.policy.jurisdiction,
      profile: r.policy.profile,
      recentContacts,
    };
    if (r.number !== undefined) req.number = r.number;
    return req;
  });

const millis = (iso: string): number => DateTime.fromISO(iso).toMillis();
const digits = (number: string | undefined): string | undefined => number?.replace(/\D/g, '');
const minutesOf = (text: string): number => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));

function insideWindow(local: DateTime, window: { start: string; end: string }): boolean {
  const minutes = local.hour * 60 + local.minute + local.second / 60 + local.millisecond / 60_000;
  const start = minutesOf(window.start) % 1440;
  const end = minutesOf(window.end) === 0 ? 1440 : minutesOf(window.end);
  return start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

/** Every rule the returned instant must satisfy, checked from first principles. */
function checkAllowed(req: ContactRequest, atIso: string): void {
  const at = millis(atIso);
  const local = DateTime.fromMillis(at, { zone: req.timezone });
  const date = local.toISODate()!;
  const { profile } = req;
  const sameDay = (entry: ContactLogEntry): boolean => DateTime.fromISO(entry.at).setZone(req.timezone).toISODate() === date;
  const log = req.recentContacts;

  if (req.channel === 'sms' || req.channel === 'call') {
    expect(insideWindow(local, profile.contactWindow), `${local.toISO()} inside ${profile.contactWindow.start}-${profile.contactWindow.end}`).toBe(true);
    if (profile.holidays.behaviour === 'reduced') expect(holidayName(date, profile), `${date} is not a holiday`).toBeUndefined();
  } else if (profile.lettersOnWorkingDaysOnly) {
    expect(isWorkingDay(date, profile), `${date} is a working day`).toBe(true);
    expect(local.hour >= 9 && local.hour < 17, `${local.toISO()} in business hours`).toBe(true);
  }

  const caps = profile.caps;
  if (req.channel === 'sms' && caps.smsPerDebtorPerDay !== undefined) {
    expect(log.filter((e) => e.channel === 'sms' && sameDay(e)).length + 1).toBeLessThanOrEqual(caps.smsPerDebtorPerDay);
  }
  if (req.channel === 'call') {
    const callLog = log.filter((e) => e.channel === 'call');
    if (caps.conversationsPerDebtorPerDay !== undefined) {
      // The new call may turn into a conversation: there must be room for it.
      expect(callLog.filter((e) => e.result === 'conversation' && sameDay(e)).length + 1).toBeLessThanOrEqual(caps.conversationsPerDebtorPerDay);
    }
    if (caps.unansweredAttemptsPerNumberPerDay !== undefined) {
      const unanswered = callLog.filter(
        (e) => (e.result === 'no_answer' || e.result === 'attempt') && sameDay(e) && (req.number === undefined || digits(e.number) === digits(req.number)),
      );
      expect(unanswered.length + 1).toBeLessThanOrEqual(caps.unansweredAttemptsPerNumberPerDay);
    }
    if (caps.callAttemptsPerWeek !== undefined) {
      // The log is all in the past here: count the last 7 × 24 h.
      const lastWeek = callLog.filter((e) => millis(e.at) > at - WEEK && millis(e.at) <= at);
      expect(lastWeek.length + 1).toBeLessThanOrEqual(caps.callAttemptsPerWeek);
    }
    if (caps.quietPeriodAfterConversation !== undefined) {
      const quiet = msToNumber(caps.quietPeriodAfterConversation as never);
      for (const e of callLog) if (e.result === 'conversation') expect(at < millis(e.at) || at >= millis(e.at) + quiet).toBe(true);
    }
  }
}

/** UTC instants (to the hour) at which a zone's offset changes, 2024-2027. */
function transitions(zone: string): number[] {
  const found: number[] = [];
  let previous = DateTime.fromMillis(FROM, { zone }).offset;
  for (let day = FROM + DAY; day <= TO; day += DAY) {
    const offset = DateTime.fromMillis(day, { zone }).offset;
    if (offset === previous) continue;
    for (let hour = day - DAY; hour <= day; hour += 3_600_000) {
      if (DateTime.fromMillis(hour, { zone }).offset === offset) {
        found.push(hour);
        break;
      }
    }
    previous = offset;
  }
  return found;
}

const DST_ZONES = ['America/New_York', 'Europe/London', 'Australia/Sydney', 'Australia/Lord_Howe', 'America/Santiago'];
const DST_TRANSITIONS = DST_ZONES.flatMap((zone) => transitions(zone).map((at) => ({ zone, at })));

/**
 * The same requests, moved to within 12 hours of a DST change in its zone, with
 * windows that start or end inside the hours that clocks skip or repeat.
 */
const dstRequestArb: fc.Arbitrary<ContactRequest> = fc
  .tuple(
    requestArb,
    fc.constantFrom(...DST_TRANSITIONS),
    fc.integer({ min: -12 * 3_600_000, max: 12 * 3_600_000 }),
    fc.constantFrom<Channel>('sms', 'call', 'call', 'letter'),
    fc.constantFrom<[string, string]>(['02:30', '21:00'], ['01:30', '23:00'], ['00:00', '24:00'], ['00:30', '22:00'], ['08:00', '02:30'], ['08:00', '22:00']),
  )
  .map(([req, transition, shift, channel, window]) => {
    const target = transition.at + shift - (shift % 60_000);
    const delta = target - millis(req.notBefore);
    return {
      ...req,
      channel,
      timezone: transition.zone,
      notBefore: new Date(target).toISOString(),
      profile: { ...req.profile, contactWindow: { start: window[0], end: window[1] } },
      recentContacts: req.recentContacts.map((entry) => ({ ...entry, at: new Date(millis(entry.at) + delta).toISOString() })),
    };
  });

describe('nextAllowedContact properties', () => {
  it('returns an allowed instant >= notBefore, with ordered deferrals, idempotently', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(requestArb, (req) => {
        const decision = nextAllowedContact(req);
        const start = millis(req.notBefore);
        const at = millis(decision.at);
        expect(at).toBeGreaterThanOrEqual(start);
        expect(at - start).toBeLessThanOrEqual(400 * DAY);
        checkAllowed(req, decision.at);

        if (decision.deferrals.length === 0) expect(decision.at).toBe(req.notBefore);
        let previous = start;
        for (const deferral of decision.deferrals) {
          expect(DEFERRAL_RULES).toContain(deferral.rule);
          expect(deferral.detail.length).toBeGreaterThan(10);
          expect(millis(deferral.until)).toBeGreaterThan(previous);
          previous = millis(deferral.until);
        }
        if (decision.deferrals.length > 0) expect(decision.deferrals[decision.deferrals.length - 1]?.until).toBe(decision.at);

        // Idempotent: asking again at the answer gives the answer, with nothing deferred.
        expect(nextAllowedContact({ ...req, notBefore: decision.at })).toEqual({ at: decision.at, deferrals: [] });
      }),
      { numRuns: RUNS },
    );
  });

  it('holds around daylight-saving changes too', { timeout: 60_000 }, () => {
    expect(DST_TRANSITIONS.length).toBeGreaterThan(30);
    fc.assert(
      fc.property(dstRequestArb, fc.double({ min: 0, max: 1, noNaN: true }), (req, fraction) => {
        const decision = nextAllowedContact(req);
        const start = millis(req.notBefore);
        const at = millis(decision.at);
        expect(at).toBeGreaterThanOrEqual(start);
        checkAllowed(req, decision.at);
        expect(nextAllowedContact({ ...req, notBefore: decision.at })).toEqual({ at: decision.at, deferrals: [] });
        // Earliest: no instant in between is allowed. Probe a random one, the one just
        // before the answer and the DST changes in between (where a gap could hide one).
        const probes = [start + Math.floor((at - start) * fraction), at - 1];
        for (const transition of DST_TRANSITIONS) if (transition.zone === req.timezone && transition.at > start && transition.at < at) probes.push(transition.at, transition.at - 1);
        for (const probe of probes) {
          if (probe < start || probe >= at) continue;
          expect(millis(nextAllowedContact({ ...req, notBefore: new Date(probe).toISOString() }).at), `from ${new Date(probe).toISOString()}`).toBe(at);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('returns the earliest allowed instant: asking from any earlier instant in between gives the same answer', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(requestArb, fc.double({ min: 0, max: 1, noNaN: true }), (req, fraction) => {
        const decision = nextAllowedContact(req);
        const start = millis(req.notBefore);
        const at = millis(decision.at);
        if (at === start) return;
        for (const probe of [start + Math.floor((at - start) * fraction), at - 1]) {
          if (probe < start || probe >= at) continue;
          const again = nextAllowedContact({ ...req, notBefore: new Date(probe).toISOString() });
          expect(millis(again.at), `from ${new Date(probe).toISOString()}`).toBe(at);
          expect(again.deferrals.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: Math.ceil(RUNS * 0.75) },
    );
  });
});
