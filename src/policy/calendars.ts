import { assertValidHolidaySettings, calendarCoverage } from '../domain/compliance';
import { resolveProfile } from './profiles';
import type { ComplianceProfile, JurisdictionName, Policy } from './schema';

/** The jurisdiction profiles a policy actually uses, resolved with its overrides. */
export function profilesInUse(policy: Policy): Array<{ name: JurisdictionName; profile: ComplianceProfile }> {
  const names = new Set<JurisdictionName>([policy.jurisdiction]);
  for (const segment of policy.segments) if (segment.jurisdiction) names.add(segment.jurisdiction);
  return [...names].map((name) => ({ name, profile: resolveProfile(name, policy.profiles[name]) }));
}

/** One "profiles.CN.holidays: ..." line per profile whose holiday calendar cannot be used. */
export function calendarIssues(policy: Policy): string[] {
  const issues: string[] = [];
  for (const { name, profile } of profilesInUse(policy)) {
    try {
      assertValidHolidaySettings(profile.holidays);
    } catch (error) {
      issues.push(`profiles.${name}.holidays: ${(error as Error).message}`);
    }
  }
  return issues;
}

/**
 * Warnings for official calendars that end before next year: China's State Council
 * publishes each year's holidays in the autumn, and until the holiday package carries
 * them, the policy must list them (extraHolidays / extraWorkingDays) or contacts would go
 * out on public holidays.
 */
export function calendarWarnings(policy: Policy, now: Date): string[] {
  const nextYear = now.getUTCFullYear() + 1;
  return profilesInUse(policy).flatMap(({ name, profile }) => {
    const coverage = calendarCoverage(profile);
    const extra = [...profile.holidays.extraHolidays, ...profile.holidays.extraWorkingDays].some((d) => d.startsWith(String(nextYear)));
    if (!coverage.years || coverage.years.to >= nextYear || extra) return [];
    return [`policy ${policy.id}: the ${coverage.calendar} holiday calendar (${name}) has official dates only up to ${coverage.years.to}; add ${nextYear}'s dates to profiles.${name}.holidays.extraHolidays/extraWorkingDays or upgrade the holiday package`];
  });
}
