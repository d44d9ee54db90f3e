import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { msToNumber } from '@temporalio/common/lib/time';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadPolicies, loadPolicyFile, PolicyError } from '../../src/policy/load';
import { BUILT_IN_PROFILES, resolveProfile } from '../../src/policy/profiles';
import { JurisdictionName, type Policy } from '../../src/policy/schema';

const POLICIES = path.resolve(__dirname, '../../policies');
const DEFAULT_FILE = path.join(POLICIES, 'default.yaml');
const FAST_FILE = path.join(POLICIES, 'fast.yaml');
const DAY_MS = 86_400_000;

const scratch = mkdtempSync(path.join(tmpdir(), 'policy-test-'));
let counter = 0;

/** Writes a variant of default.yaml (edited as plain data) and returns its path. */
function variant(edit: (doc: Record<string, any>) => void, extension = '.yaml'): string {
  const doc = parse(readFileSync(DEFAULT_FILE, 'utf8')) as Record<string, any>;
  edit(doc);
  const file = path.join(scratch, `variant-${++counter}${extension}`);
  writeFileSync(file, extension === '.json' ? JSON.stringify(doc) : stringify(doc));
  return file;
}

function loadError(file: string): PolicyError {
  try {
    loadPolicyFile(file);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error(`expected ${file} to be rejected`);
}

const ms = (duration: string): number => msToNumber(duration as never);

describe('shipped policies', () => {
  it.each([DEFAULT_FILE, FAST_FILE])('%s loads and validates', (file) => {
    const policy = loadPolicyFile(file);
    expect(policy.segments.at(-1)?.when).toEqual({});
    expect(policy.experiment?.challengerLadder).toBe('standard_early_call');
    expect(policy.experiment?.segments).toEqual(['standard']);
    expect(policy.jurisdiction).toBe('CN');
  });

  it('default.yaml carries the strategy from the spec', () => {
    const policy = loadPolicyFile(DEFAULT_FILE);
    expect(policy.id).toBe('default');
    expect(policy.anchor).toBe('overdue_since');
    expect(policy.segments.map((s) => s.id)).toEqual(['small_balance', 'corporate', 'high_risk', 'standard']);
    expect(policy.litigationThresholdMinor).toBe(5_000_000);

    const standard = policy.ladders.standard!.steps;
    expect(standard.map((s) => [s.channel, ms(s.at) / DAY_MS])).toEqual([
      ['sms', 1],
      ['call', 7],
      ['letter', 15],
      ['lawyer_letter', 30],
      ['litigation', 60],
    ]);
    expect(ms(standard[0]!.repeatEvery!)).toBe(3 * DAY_MS);
    expect(ms(standard[1]!.repeatEvery!)).toBe(DAY_MS);
    expect(standard.filter((s) => s.copyGuarantors).map((s) => s.id)).toEqual(['demand_letter', 'lawyer_letter']);

    const smallBalance = policy.ladders[policy.segments[0]!.ladder]!.steps;
    expect(smallBalance.at(-1)!.channel).toBe('agency');
    expect(smallBalance.some((s) => s.channel === 'litigation')).toBe(false);

    const corporate = policy.ladders.corporate!.steps.map((s) => [s.channel, ms(s.at) / DAY_MS]);
    expect(corporate).toEqual([
      ['letter', 5],
      ['call', 10],
      ['lawyer_letter', 25],
      ['litigation', 45],
    ]);
    const highRisk = policy.ladders.high_risk!.steps.map((s) => [s.channel, ms(s.at) / DAY_MS]);
    expect(highRisk).toEqual([
      ['sms', 1],
      ['call', 3],
      ['letter', 10],
      ['lawyer_letter', 20],
      ['litigation', 40],
    ]);
    const challengerCall = policy.ladders.standard_early_call!.steps.find((s) => s.channel === 'call')!;
    expect(ms(challengerCall.at)).toBe(4 * DAY_MS);
    expect(policy.costs).toMatchObject({ sms: 5, call: 200, letter: 1500, lawyer_letter: 50_000, litigation: 300_000, agencyCommissionBps: 2500 });
  });

  it('fast.yaml is default.yaml with one second per day', () => {
    const slow = loadPolicyFile(DEFAULT_FILE);
    const fast = loadPolicyFile(FAST_FILE);
    expect(fast.anchor).toBe('case_opened');
    const withoutDescription = (segments: Policy['segments']) => segments.map(({ description: _, ...rest }) => rest);
    expect(withoutDescription(fast.segments)).toEqual(withoutDescription(slow.segments));
    expect(fast.experiment).toEqual(slow.experiment);
    expect(fast.scoring).toEqual(slow.scoring);
    expect(Object.keys(fast.ladders).sort()).toEqual(Object.keys(slow.ladders).sort());
    const compress = (d: string | undefined): number | undefined => (d === undefined ? undefined : ms(d) / DAY_MS);
    const perSecond = (d: string | undefined): number | undefined => (d === undefined ? undefined : ms(d) / 1000);
    for (const [name, ladder] of Object.entries(slow.ladders)) {
      const fastSteps = fast.ladders[name]!.steps;
      expect(fastSteps.map((s) => ({ ...s, at: perSecond(s.at), repeatEvery: perSecond(s.repeatEvery) }))).toEqual(
        ladder.steps.map((s) => ({ ...s, at: compress(s.at), repeatEvery: compress(s.repeatEvery) })),
      );
    }
    expect(fast.promises.grace).toBe('2s');
    expect(fast.calls).toMatchObject({ outcomeTimeout: '3s', rotateEvery: '10s' });
    expect(fast.contactRefresh.waitFor).toBe('10s');
    expect(fast.agency.recallAfter).toBe('20s');
    expect(fast.survey.window).toBe('5s');
    expect(fast.providers).toEqual({ timeout: '10s', retry: { initialInterval: '200ms', maximumInterval: '1s', backoffCoefficient: 2, maximumAttempts: 10 } });
  });

  it('fast.yaml relaxes every jurisdiction profile', () => {
    const fast = loadPolicyFile(FAST_FILE);
    for (const name of JurisdictionName.options) {
      const profile = resolveProfile(name, fast.profiles[name]);
      expect(profile.contactWindow).toEqual({ start: '00:00', end: '24:00' });
      expect(profile.holidays.calendar).toBe('none');
      expect(profile.caps).toEqual({});
      expect(profile.lettersOnWorkingDaysOnly).toBe(false);
    }
  });

  it('every duration in both files is a valid duration', () => {
    const durations = (policy: Policy): string[] => [
      ...Object.values(policy.ladders).flatMap((l) => l.steps.flatMap((s) => [s.at, s.repeatEvery, s.minGapAfterPrevious])),
      policy.promises.grace,
      policy.promises.maxDuration,
      policy.calls.rotateEvery,
      policy.calls.outcomeTimeout,
      policy.contactRefresh.waitFor,
      policy.agency.recallAfter,
      policy.survey.window,
      policy.providers.timeout,
      policy.providers.retry.initialInterval,
      policy.providers.retry.maximumInterval,
    ].filter((d): d is string => d !== undefined);
    for (const file of [DEFAULT_FILE, FAST_FILE]) {
      for (const d of durations(loadPolicyFile(file))) expect(ms(d), `${file}: ${d}`).toBeGreaterThanOrEqual(0);
    }
    expect(ms(loadPolicyFile(DEFAULT_FILE).providers.retry.maximumInterval)).toBe(600_000);
  });
});

describe('bad policy files', () => {
  it('names the file and the field of an unknown ladder', () => {
    const file = variant((doc) => (doc.segments[2].ladder = 'foo'));
    const error = loadError(file);
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message).toContain(`${file}: segments.2.ladder: unknown ladder "foo"`);
    expect(error.issues).toHaveLength(1);
  });

  it('names an unknown challenger ladder', () => {
    const error = loadError(variant((doc) => (doc.experiment.challengerLadder = 'nope')));
    expect(error.message).toMatch(/: experiment\.challengerLadder: unknown ladder "nope"/);
  });

  it('requires the last segment to be a catch-all', () => {
    const error = loadError(variant((doc) => (doc.segments[3].when = { debtorTypes: ['individual'] })));
    expect(error.message).toMatch(/: segments\.3\.when: the last segment must match every case/);
  });

  it('rejects a bad duration, naming the step', () => {
    const error = loadError(variant((doc) => (doc.ladders.standard.steps[1].at = '7 dayz')));
    expect(error.message).toMatch(/: ladders\.standard\.steps\.1\.at: a duration such as/);
  });

  it('rejects steps out of time order', () => {
    const error = loadError(variant((doc) => (doc.ladders.high_risk.steps[2].at = '2 days')));
    expect(error.message).toMatch(/: ladders\.high_risk\.steps\.2\.at: steps must be in time order/);
  });

  it('rejects a misspelt key instead of ignoring it', () => {
    const error = loadError(variant((doc) => (doc.ladders.standard.steps[0].repeatEvry = '3 days')));
    expect(error.message).toMatch(/: ladders\.standard\.steps\.0: .*repeatEvry/);
  });

  it('lists every bad field, one per line', () => {
    const file = variant((doc) => {
      delete doc.calls.roster;
      doc.costs.sms = -1;
    }, '.json');
    const error = loadError(file);
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.every((line) => line.startsWith(`${file}: `))).toBe(true);
    expect(error.message).toContain('calls.roster:');
    expect(error.message).toContain('costs.sms:');
  });

  it('reports YAML syntax errors with a line number', () => {
    const file = path.join(scratch, 'broken.yaml');
    writeFileSync(file, 'id: x\nversion: "1\nsegments: []\n');
    expect(loadError(file).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid YAML at line \\d+`));
  });

  it('refuses unknown extensions and missing files', () => {
    expect(loadError(path.join(scratch, 'policy.txt')).code).toBe('POLICY_UNREADABLE');
    expect(loadError(path.join(scratch, 'missing.yaml')).message).toMatch(/missing\.yaml: cannot read/);
  });
});

describe('policy registry', () => {
  it('loads a directory; the first policy loaded is the default', () => {
    const registry = loadPolicies([FAST_FILE, POLICIES], { allowTestPolicies: true });
    expect(registry.ids()).toEqual(['fast', 'default']);
    expect(registry.byId().id).toBe('fast');
    expect(registry.byId('default').id).toBe('default');
    expect(loadPolicies(POLICIES).byId().id).toBe('default');
    expect(loadPolicies(POLICIES, { defaultId: 'fast', allowTestPolicies: true }).defaultPolicy.id).toBe('fast');
  });

  it('rejects an unknown id and duplicate ids', () => {
    expect(() => loadPolicies(POLICIES, { allowTestPolicies: true }).byId('nope')).toThrow(/unknown policy "nope" \(have: default, fast\)/);
    const copy = variant(() => undefined);
    expect(() => loadPolicies([DEFAULT_FILE, copy])).toThrow(/policy id "default" is already used/);
  });
});

describe('test-only policies (spec section 9)', () => {
  it('the fast policy is test-only and the default policy is not', () => {
    expect(loadPolicyFile(FAST_FILE).testOnly).toBe(true);
    expect(loadPolicyFile(DEFAULT_FILE).testOnly).toBe(false);
  });

  it('without ALLOW_TEST_POLICIES a test-only policy cannot be named by a case', () => {
    const registry = loadPolicies(POLICIES);
    expect(registry.ids()).toEqual(['default']);
    const error = (() => {
      try {
        registry.byId('fast');
      } catch (e) {
        return e as PolicyError;
      }
      throw new Error('expected a refusal');
    })();
    expect(error).toBeInstanceOf(PolicyError);
    expect(error.code).toBe('POLICY_NOT_ALLOWED');
    expect(error.message).toMatch(/fast\.yaml.*test-only.*ALLOW_TEST_POLICIES=true/);
  });

  it('without ALLOW_TEST_POLICIES a test-only default policy (POLICY_FILE) refuses to load', () => {
    expect(() => loadPolicies([FAST_FILE, POLICIES])).toThrow(/test-only policy .*ALLOW_TEST_POLICIES=true/);
    expect(loadPolicies([FAST_FILE, POLICIES], { allowTestPolicies: true }).defaultPolicy.id).toBe('fast');
  });
});

describe('case safety fields', () => {
  it('ship the spec values: notices 15/30 days (15s/30s fast), maxOverdueAge 3650 days in both', () => {
    const slow = loadPolicyFile(DEFAULT_FILE);
    const fast = loadPolicyFile(FAST_FILE);
    expect(slow.legal).toEqual({ noticeBeforeLawyerLetter: '15 days', noticeBeforeLitigation: '30 days' });
    expect(fast.legal).toEqual({ noticeBeforeLawyerLetter: '15s', noticeBeforeLitigation: '30s' });
    expect(slow.maxOverdueAge).toBe('3650 days');
    expect(fast.maxOverdueAge).toBe('3650 days');
  });

  it('refuses a ladder whose legal step has no notice step before it', () => {
    const file = variant((p) => {
      p.ladders.standard.steps = p.ladders.standard.steps.filter((s: { channel: string }) => s.channel !== 'letter');
    });
    expect(() => loadPolicyFile(file)).toThrow(/ladders\.standard\.steps\.\d\.channel: a lawyer's letter needs a demand letter/);
  });
});

describe('jurisdiction profiles', () => {
  it('CN has the spec numbers', () => {
    const cn = resolveProfile('CN');
    expect(cn.contactWindow).toEqual({ start: '08:00', end: '22:00' });
    expect(cn.caps).toMatchObject({ conversationsPerDebtorPerDay: 3, unansweredAttemptsPerNumberPerDay: 6 });
    expect(cn.holidays).toMatchObject({ calendar: 'CN', behaviour: 'reduced' });
    expect(cn.lettersOnWorkingDaysOnly).toBe(true);
    expect(cn.disputeSuspendsCollection).toBe(true);
    expect(cn.maxPlanMonths).toBe(60);
  });

  it('US_REG_F and UK_CONC have the spec numbers', () => {
    const us = resolveProfile('US_REG_F');
    expect(us.contactWindow).toEqual({ start: '08:00', end: '21:00' });
    expect(us.caps).toMatchObject({ callAttemptsPerWeek: 7, quietPeriodAfterConversation: '7 days' });
    expect(us.optOutText).toBe('Reply STOP to opt out');
    expect(us.holidays).toMatchObject({ calendar: 'US', behaviour: 'normal' });
    expect(us.disputeSuspendsCollection).toBe(true);
    const uk = resolveProfile('UK_CONC');
    expect(uk.contactWindow).toEqual({ start: '08:00', end: '21:00' });
    expect(uk.forbearanceBeforeEscalation).toBe(true);
    expect(uk.holidays.calendar).toBe('GB');
  });

  it('merges an override field by field without touching the built-in', () => {
    const merged = resolveProfile('CN', {
      contactWindow: { start: '09:00', end: '20:00' },
      holidays: { extraHolidays: ['2025-12-31'] },
      caps: { smsPerDebtorPerDay: 1, unansweredAttemptsPerNumberPerDay: null },
    });
    expect(merged.contactWindow).toEqual({ start: '09:00', end: '20:00' });
    expect(merged.holidays).toEqual({ calendar: 'CN', behaviour: 'reduced', extraHolidays: ['2025-12-31'], extraWorkingDays: [] });
    expect(merged.caps).toEqual({ conversationsPerDebtorPerDay: 3, smsPerDebtorPerDay: 1 });
    expect(BUILT_IN_PROFILES.CN.caps.unansweredAttemptsPerNumberPerDay).toBe(6);
    expect(BUILT_IN_PROFILES.CN.holidays.extraHolidays).toEqual([]);
    merged.holidays.extraWorkingDays.push('2025-01-01');
    expect(resolveProfile('CN').holidays.extraWorkingDays).toEqual([]);
  });
});
