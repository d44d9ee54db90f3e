import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { calendarWarnings } from '../../src/policy/calendars';
import { loadPolicyFile, parsePolicy, PolicyError } from '../../src/policy/load';

const DEFAULT_POLICY = path.resolve(__dirname, '../../policies/default.yaml');

describe('policy holiday calendars', () => {
  it('warns when the official calendar does not reach next year', () => {
    const policy = loadPolicyFile(DEFAULT_POLICY);
    const warnings = calendarWarnings(policy, new Date('2026-11-28T00:00:00Z'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/CN holiday calendar \(CN\) has official dates only up to 2026; add 2027's dates/);
    expect(calendarWarnings(policy, new Date('2025-11-28T00:00:00Z'))).toEqual([]);
  });

  it('is satisfied once the policy lists next year\'s dates', () => {
    const policy = loadPolicyFile(DEFAULT_POLICY);
    policy.profiles.CN = { ...policy.profiles.CN, holidays: { extraHolidays: ['2027-02-06'] } };
    expect(calendarWarnings(policy, new Date('2026-11-28T00:00:00Z'))).toEqual([]);
  });

  it('stops start-up on an unknown holiday calendar, naming the field', () => {
    const policy = loadPolicyFile(DEFAULT_POLICY);
    const broken = { ...policy, profiles: { ...policy.profiles, CN: { holidays: { calendar: 'XX' } } } };
    expect(() => parsePolicy(broken, 'bad.yaml')).toThrow(PolicyError);
    expect(() => parsePolicy(broken, 'bad.yaml')).toThrow(/bad\.yaml: profiles\.CN\.holidays: /);
  });
});
