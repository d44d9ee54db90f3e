import type { ComplianceProfile, JurisdictionName, ProfileOverride } from './schema';

/**
 * Built-in jurisdiction profiles (spec section 4). Every number here is a default: a
 * policy's `profiles.<NAME>` overrides any of them, and `resolveProfile` merges the two.
 * Pure data, no Node APIs: safe inside the workflow bundle.
 */
export const BUILT_IN_PROFILES: Readonly<Record<JurisdictionName, ComplianceProfile>> = {
  /** China (default): contact 08:00-22:00 local; reduced intensity on public holidays (调休 honoured). */
  CN: {
    contactWindow: { start: '08:00', end: '22:00' },
    holidays: { calendar: 'CN', behaviour: 'reduced', extraHolidays: [], extraWorkingDays: [] },
    lettersOnWorkingDaysOnly: true,
    caps: {
      conversationsPerDebtorPerDay: 3,
      unansweredAttemptsPerNumberPerDay: 6,
      smsPerDebtorPerDay: 2,
    },
    disputeSuspendsCollection: true,
    maxPlanMonths: 60,
    forbearanceBeforeEscalation: false,
  },
  /** US CFPB Regulation F: 7 call attempts in 7 days, none for 7 days after a conversation. */
  US_REG_F: {
    contactWindow: { start: '08:00', end: '21:00' },
    holidays: { calendar: 'US', behaviour: 'normal', extraHolidays: [], extraWorkingDays: [] },
    lettersOnWorkingDaysOnly: false,
    caps: {
      callAttemptsPerWeek: 7,
      quietPeriodAfterConversation: '7 days',
      smsPerDebtorPerDay: 1,
    },
    optOutText: 'Reply STOP to opt out',
    disputeSuspendsCollection: true,
    forbearanceBeforeEscalation: false,
  },
  /** UK FCA CONC 7: forbearance before escalation; contact at reasonable hours and frequency. */
  UK_CONC: {
    contactWindow: { start: '08:00', end: '21:00' },
    holidays: { calendar: 'GB', behaviour: 'reduced', extraHolidays: [], extraWorkingDays: [] },
    lettersOnWorkingDaysOnly: false,
    caps: {
      conversationsPerDebtorPerDay: 1,
      unansweredAttemptsPerNumberPerDay: 3,
      smsPerDebtorPerDay: 1,
    },
    disputeSuspendsCollection: true,
    forbearanceBeforeEscalation: true,
  },
};

type Caps = ComplianceProfile['caps'];

/**
 * The full profile for a jurisdiction: the built-in one with the policy's override merged
 * on top, field by field. Arrays in the override replace the built-in ones; a cap set to
 * `null` is removed, and `caps: null` removes every cap. Returns a fresh object.
 */
export function resolveProfile(name: JurisdictionName, overrides?: ProfileOverride): ComplianceProfile {
  const base = BUILT_IN_PROFILES[name];
  if (!base) throw new Error(`unknown jurisdiction profile "${String(name)}"`);
  const o = overrides ?? {};
  const h = o.holidays ?? {};
  const profile: ComplianceProfile = {
    contactWindow: { ...base.contactWindow, ...o.contactWindow },
    holidays: {
      calendar: h.calendar ?? base.holidays.calendar,
      behaviour: h.behaviour ?? base.holidays.behaviour,
      extraHolidays: [...(h.extraHolidays ?? base.holidays.extraHolidays)],
      extraWorkingDays: [...(h.extraWorkingDays ?? base.holidays.extraWorkingDays)],
    },
    lettersOnWorkingDaysOnly: o.lettersOnWorkingDaysOnly ?? base.lettersOnWorkingDaysOnly,
    caps: mergeCaps(base.caps, o.caps),
    disputeSuspendsCollection: o.disputeSuspendsCollection ?? base.disputeSuspendsCollection,
    forbearanceBeforeEscalation: o.forbearanceBeforeEscalation ?? base.forbearanceBeforeEscalation,
  };
  const region = h.region ?? base.holidays.region;
  if (region !== undefined) profile.holidays.region = region;
  const optOutText = o.optOutText ?? base.optOutText;
  if (optOutText !== undefined) profile.optOutText = optOutText;
  const maxPlanMonths = o.maxPlanMonths ?? base.maxPlanMonths;
  if (maxPlanMonths !== undefined) profile.maxPlanMonths = maxPlanMonths;
  return profile;
}

function mergeCaps(base: Caps, override: ProfileOverride['caps']): Caps {
  if (override === null) return {};
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override ?? {})) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return merged as Caps;
}
