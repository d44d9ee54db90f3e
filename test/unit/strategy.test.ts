import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignArm, experimentBucket, type Experiment } from '../../src/domain/experiment';
import { startOfLocalDay } from '../../src/domain/local-time';
import { planCase } from '../../src/domain/plan-case';
import { daysPastDue, MAX_REASONS, scoreCase, scoreFeatures } from '../../src/domain/scoring';
import { segmentMatches, selectSegment, type SegmentFacts } from '../../src/domain/segmentation';
import { loadPolicyFile } from '../../src/policy/load';
import type { Policy, SegmentRule } from '../../src/policy/schema';
import type { CaseInput } from '../../src/shared/schemas';

const POLICIES = path.resolve(__dirname, '../../policies');
const policy = loadPolicyFile(path.join(POLICIES, 'default.yaml'));
const fast = loadPolicyFile(path.join(POLICIES, 'fast.yaml'));
const NOW = '2025-03-05T02:00:00Z';

function caseInput(overrides: Omit<Partial<CaseInput>, 'debtor'> & { debtor?: Partial<CaseInput['debtor']> } = {}): CaseInput {
  const { debtor, ...rest } = overrides;
  return {
    loanId: 'LN-000001',
    product: 'personal_loan',
    reason: 'overdue',
    currency: 'CNY',
    amountDueMinor: 800_000,
    overdueSince: '2025-03-01',
    history: { previousDelinquencies: 0, brokenPromises: 0, monthsOnBook: 36 },
    ...rest,
    debtor: { id: 'D-1', type: 'individual', name: 'Wang Fang', timezone: 'Asia/Shanghai', ...debtor },
  };
}

/** A loan id in the given arm of the default experiment (searched deterministically). */
function loanIdInArm(arm: 'champion' | 'challenger'): string {
  for (let i = 0; ; i++) {
    const id = `LN-${String(i).padStart(6, '0')}`;
    if (assignArm(id, policy.experiment, 'standard') === arm) return id;
  }
}

describe('scoring', () => {
  const history = fc.record({
    previousDelinquencies: fc.nat(10),
    brokenPromises: fc.nat(10),
    monthsOnBook: fc.nat(240),
  });
  const cases = fc.record({
    amountDueMinor: fc.integer({ min: 1, max: 10_000_000_000 }),
    product: fc.constantFrom('personal_loan', 'credit_card', 'corporate_loan', 'bill_discount' as const),
    type: fc.constantFrom('individual', 'corporate' as const),
    history,
    overdueDays: fc.nat(400),
  });
  const build = (c: typeof cases extends fc.Arbitrary<infer T> ? T : never): CaseInput => {
    const overdueSince = new Date(Date.parse('2025-03-05T00:00:00Z') - c.overdueDays * 86_400_000).toISOString().slice(0, 10);
    return caseInput({ amountDueMinor: c.amountDueMinor, product: c.product, history: c.history, overdueSince, debtor: { type: c.type } });
  };

  it('propensity is in [0, 1] and risk is its complement', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const score = scoreCase(policy.scoring, build(c), NOW);
        expect(score.propensity).toBeGreaterThanOrEqual(0);
        expect(score.propensity).toBeLessThanOrEqual(1);
        expect(Math.abs(score.risk - (1 - score.propensity))).toBeLessThan(0.001);
        expect(score.reasons.length).toBeLessThanOrEqual(MAX_REASONS);
      }),
    );
  });

  it('is monotone in each feature, in the direction of its weight', () => {
    fc.assert(
      fc.property(cases, fc.integer({ min: 1, max: 5 }), (c, more) => {
        const base = scoreCase(policy.scoring, build(c), NOW).propensity;
        const worse = [
          { ...c, history: { ...c.history, brokenPromises: c.history.brokenPromises + more } },
          { ...c, history: { ...c.history, previousDelinquencies: c.history.previousDelinquencies + more } },
          { ...c, amountDueMinor: c.amountDueMinor * 10 },
          { ...c, overdueDays: c.overdueDays + more },
        ];
        for (const w of worse) expect(scoreCase(policy.scoring, build(w), NOW).propensity).toBeLessThanOrEqual(base);
        const longer = { ...c, history: { ...c.history, monthsOnBook: c.history.monthsOnBook + more } };
        expect(scoreCase(policy.scoring, build(longer), NOW).propensity).toBeGreaterThanOrEqual(base);
      }),
    );
  });

  it('explains the largest contributions in plain words', () => {
    const score = scoreCase(
      policy.scoring,
      caseInput({ product: 'credit_card', history: { previousDelinquencies: 2, brokenPromises: 1, monthsOnBook: 36 } }),
      NOW,
    );
    expect(score.reasons).toEqual([
      '-1.37 amount due (CNY 8000.00)',
      '-0.90 repayment history (2 previous delinquencies)',
      '-0.60 promise record (1 broken promise)',
      '+0.43 long relationship (36 months on book)',
    ]);
    const magnitudes = score.reasons.map((r) => Math.abs(Number.parseFloat(r)));
    expect([...magnitudes].sort((a, b) => b - a)).toEqual(magnitudes);
  });

  it('leaves out features that contribute nothing', () => {
    const score = scoreCase(policy.scoring, caseInput({ history: undefined, overdueSince: '2025-03-05' }), NOW);
    expect(score.reasons).toEqual(['-1.37 amount due (CNY 8000.00)']);
  });

  it('is deterministic and takes the time as an argument', () => {
    const input = caseInput();
    expect(scoreCase(policy.scoring, input, NOW)).toEqual(scoreCase(policy.scoring, input, NOW));
    const later = scoreCase(policy.scoring, input, '2025-04-05T02:00:00Z');
    expect(later.propensity).toBeLessThan(scoreCase(policy.scoring, input, NOW).propensity);
    expect(later.reasons).toContain('-1.05 time overdue (35 days past due)');
  });

  it('converts the amount to major units with the currency decimals', () => {
    const cny = scoreFeatures(caseInput({ currency: 'CNY', amountDueMinor: 50_000_000 }), NOW);
    const jpy = scoreFeatures(caseInput({ currency: 'JPY', amountDueMinor: 500_000 }), NOW);
    expect(cny.amountDueLog10).toBeCloseTo(Math.log10(500_000), 10);
    expect(jpy.amountDueLog10).toBeCloseTo(cny.amountDueLog10, 10);
    expect(scoreFeatures(caseInput({ amountDueMinor: 1 }), NOW).amountDueLog10).toBe(0);
  });

  it('counts days past due in the debtor time zone', () => {
    const at = '2025-03-01T17:00:00Z'; // 01:00 on 2 March in Shanghai, 12:00 on 1 March in New York
    expect(daysPastDue('2025-03-01', 'Asia/Shanghai', at)).toBe(1);
    expect(daysPastDue('2025-03-01', 'America/New_York', at)).toBe(0);
    expect(daysPastDue('2025-03-01', 'America/New_York', '2025-03-20T12:00:00-04:00')).toBe(19); // across DST
    expect(daysPastDue('2025-03-10', 'Asia/Shanghai', at)).toBe(0);
  });
});

describe('segmentation', () => {
  const facts = (overrides: Partial<SegmentFacts> = {}): SegmentFacts => ({
    debtorType: 'individual',
    product: 'personal_loan',
    amountDueMinor: 800_000,
    risk: 0.3,
    daysPastDue: 4,
    ...overrides,
  });
  const pick = (f: SegmentFacts): string => selectSegment(policy.segments, f).id;

  it('takes the first matching segment, in policy order', () => {
    expect(pick(facts())).toBe('standard');
    expect(pick(facts({ risk: 0.6 }))).toBe('high_risk');
    expect(pick(facts({ debtorType: 'corporate', risk: 0.9 }))).toBe('corporate');
    expect(pick(facts({ debtorType: 'corporate', amountDueMinor: 150_000 }))).toBe('small_balance');
    expect(pick(facts({ risk: 0.95, amountDueMinor: 199_999 }))).toBe('small_balance');
    expect(pick(facts({ risk: 0.95, amountDueMinor: 200_000 }))).toBe('high_risk');
  });

  it('every case matches some segment (the last one is a catch-all)', () => {
    fc.assert(
      fc.property(
        fc.record({
          debtorType: fc.constantFrom('individual', 'corporate' as const),
          product: fc.constantFrom('personal_loan', 'credit_card', 'corporate_loan', 'bill_discount' as const),
          amountDueMinor: fc.integer({ min: 1, max: 1e12 }),
          risk: fc.double({ min: 0, max: 1, noNaN: true }),
          daysPastDue: fc.nat(1000),
        }),
        (f) => {
          const id = pick(f);
          const index = policy.segments.findIndex((s) => s.id === id);
          expect(policy.segments.slice(0, index).some((s) => segmentMatches(s, f))).toBe(false);
        },
      ),
    );
  });

  it('requires every given condition, bounds inclusive', () => {
    const rule: SegmentRule = {
      id: 'x',
      ladder: 'standard',
      when: { products: ['credit_card'], minAmountDueMinor: 100, maxAmountDueMinor: 200, minDaysPastDue: 30, maxRisk: 0.5 },
    };
    const ok = facts({ product: 'credit_card', amountDueMinor: 100, daysPastDue: 30, risk: 0.5 });
    expect(segmentMatches(rule, ok)).toBe(true);
    expect(segmentMatches(rule, { ...ok, amountDueMinor: 200 })).toBe(true);
    expect(segmentMatches(rule, { ...ok, amountDueMinor: 201 })).toBe(false);
    expect(segmentMatches(rule, { ...ok, daysPastDue: 29 })).toBe(false);
    expect(segmentMatches(rule, { ...ok, risk: 0.51 })).toBe(false);
    expect(segmentMatches(rule, { ...ok, product: 'personal_loan' })).toBe(false);
    expect(() => selectSegment([rule], { ...ok, risk: 1 })).toThrow(/no segment matches/);
  });
});

describe('experiment', () => {
  const experiment: Experiment = { challengerLadder: 'standard_early_call', share: 0.2, salt: 'test-salt' };

  it('assigns the same arm to the same loan every time', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.string(), fc.double({ min: 0, max: 1, noNaN: true }), (loanId, salt, share) => {
        const e = { ...experiment, salt, share };
        const arm = assignArm(loanId, e);
        expect(assignArm(loanId, e)).toBe(arm);
        expect(assignArm(loanId, { ...e })).toBe(arm);
        const bucket = experimentBucket(loanId, salt);
        expect(bucket).toBeGreaterThanOrEqual(0);
        expect(bucket).toBeLessThan(1);
      }),
    );
  });

  it('puts the configured share in the challenger arm (±1.5 points over 10,000 loans)', () => {
    const count = (ids: string[], e: Experiment): number => ids.filter((id) => assignArm(id, e) === 'challenger').length / ids.length;
    const sequential = Array.from({ length: 10_000 }, (_, i) => `LN-${String(i).padStart(8, '0')}`);
    expect(Math.abs(count(sequential, experiment) - 0.2)).toBeLessThanOrEqual(0.015);
    expect(Math.abs(count(sequential, { ...experiment, salt: 'another' }) - 0.2)).toBeLessThanOrEqual(0.015);
    const numeric = Array.from({ length: 10_000 }, (_, i) => String(4_000_000_000 + i));
    expect(Math.abs(count(numeric, experiment) - 0.2)).toBeLessThanOrEqual(0.015);
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{3,20}$/), { minLength: 10_000, maxLength: 10_000 }), (ids) => {
        expect(Math.abs(count(ids, experiment) - 0.2)).toBeLessThanOrEqual(0.015);
      }),
      { numRuns: 5 },
    );
  });

  it('applies only to the listed segments, and not at all without an experiment', () => {
    const scoped = { ...experiment, segments: ['standard'] };
    const challenger = Array.from({ length: 100 }, (_, i) => `L${i}`).find((id) => assignArm(id, experiment) === 'challenger')!;
    expect(assignArm(challenger, scoped, 'standard')).toBe('challenger');
    expect(assignArm(challenger, scoped, 'high_risk')).toBe('champion');
    expect(assignArm(challenger, scoped)).toBe('champion');
    expect(assignArm(challenger, undefined, 'standard')).toBe('champion');
    expect(assignArm(challenger, { ...experiment, share: 0 })).toBe('champion');
    expect(assignArm(challenger, { ...experiment, share: 1 })).toBe('challenger');
  });
});

describe('planCase', () => {
  const champion = loanIdInArm('champion');
  const challenger = loanIdInArm('challenger');
  const atDays = (p: ReturnType<typeof planCase>): string[] => p.ladder.map((s) => `${s.channel}@${s.at}`);

  it('standard segment, champion arm', () => {
    const plan = planCase(policy, caseInput({ loanId: champion }), NOW);
    expect(plan).toMatchObject({
      policyId: 'default',
      policyVersion: '2025.1',
      segment: 'standard',
      strategy: 'champion',
      jurisdiction: 'CN',
      anchorAt: '2025-03-01T00:00:00.000+08:00',
      litigationThresholdMinor: 5_000_000,
    });
    expect(atDays(plan)).toEqual(['sms@1 day', 'call@7 days', 'letter@15 days', 'lawyer_letter@30 days', 'litigation@60 days']);
    expect(plan.profile.contactWindow).toEqual({ start: '08:00', end: '22:00' });
    expect(plan.risk).toBeLessThan(0.6);
    expect(plan.scoreReasons.length).toBeGreaterThan(0);
    expect(plan.calls.roster).toHaveLength(5);
    expect(plan.costs.lawyer_letter).toBe(50_000);
  });

  it('standard segment, challenger arm swaps in the challenger ladder', () => {
    const plan = planCase(policy, caseInput({ loanId: challenger }), NOW);
    expect(plan.segment).toBe('standard');
    expect(plan.strategy).toBe('challenger');
    expect(atDays(plan)).toEqual(['sms@1 day', 'call@4 days', 'letter@15 days', 'lawyer_letter@30 days', 'litigation@60 days']);
  });

  it('small balance ends with the agency', () => {
    const plan = planCase(policy, caseInput({ loanId: challenger, amountDueMinor: 150_000 }), NOW);
    expect(plan.segment).toBe('small_balance');
    expect(plan.strategy).toBe('champion'); // the experiment covers the standard segment only
    expect(plan.ladder.at(-1)!.channel).toBe('agency');
    expect(plan.ladder.some((s) => s.channel === 'litigation')).toBe(false);
  });

  it('corporate: letters before calls, own litigation threshold', () => {
    const plan = planCase(policy, caseInput({ product: 'corporate_loan', amountDueMinor: 90_000_000, debtor: { type: 'corporate', name: 'Acme Ltd' } }), NOW);
    expect(plan.segment).toBe('corporate');
    expect(atDays(plan)).toEqual(['letter@5 days', 'call@10 days', 'lawyer_letter@25 days', 'litigation@45 days']);
    expect(plan.litigationThresholdMinor).toBe(3_000_000);
  });

  it('high risk: faster ladder', () => {
    const plan = planCase(policy, caseInput({ loanId: challenger, history: { previousDelinquencies: 3, brokenPromises: 2, monthsOnBook: 6 } }), NOW);
    expect(plan.segment).toBe('high_risk');
    expect(plan.risk).toBeGreaterThanOrEqual(0.6);
    expect(plan.strategy).toBe('champion');
    expect(atDays(plan)).toEqual(['sms@1 day', 'call@3 days', 'letter@10 days', 'lawyer_letter@20 days', 'litigation@40 days']);
  });

  it('anchors at the start of the overdue date in the debtor time zone', () => {
    const shanghai = planCase(policy, caseInput({ debtor: { timezone: 'Asia/Shanghai' } }), NOW);
    const newYork = planCase(policy, caseInput({ debtor: { timezone: 'America/New_York' } }), NOW);
    expect(shanghai.anchorAt).toBe('2025-03-01T00:00:00.000+08:00');
    expect(newYork.anchorAt).toBe('2025-03-01T00:00:00.000-05:00');
    expect(Date.parse(newYork.anchorAt) - Date.parse(shanghai.anchorAt)).toBe(13 * 3_600_000);
    expect(startOfLocalDay('2025-07-01', 'America/New_York')).toBe('2025-07-01T00:00:00.000-04:00');
  });

  it('anchors at the opening instant under a case_opened policy', () => {
    const plan = planCase(fast, caseInput(), NOW);
    expect(plan.anchorAt).toBe(NOW);
    expect(plan.profile.caps).toEqual({});
    expect(plan.ladder[0]!.at).toBe('1s');
  });

  it("uses the segment's jurisdiction with the policy's override merged in", () => {
    const edited: Policy = {
      ...policy,
      segments: policy.segments.map((s) => (s.id === 'standard' ? { ...s, jurisdiction: 'US_REG_F' as const } : s)),
      profiles: { ...policy.profiles, US_REG_F: { holidays: { behaviour: 'reduced' } } },
    };
    const plan = planCase(edited, caseInput({ loanId: champion, debtor: { timezone: 'America/Chicago' } }), NOW);
    expect(plan.jurisdiction).toBe('US_REG_F');
    expect(plan.profile.holidays).toMatchObject({ calendar: 'US', behaviour: 'reduced' });
    expect(plan.profile.optOutText).toBe('Reply STOP to opt out');
  });

  it('is pure: same inputs, same plan; the policy is not modified', () => {
    const before = JSON.stringify(policy);
    const input = caseInput({ loanId: challenger });
    const first = planCase(policy, input, NOW);
    first.ladder[0]!.at = '99 days';
    first.calls.roster.push('intruder');
    first.profile.holidays.extraHolidays.push('2025-01-01');
    expect(JSON.stringify(policy)).toBe(before);
    const second = planCase(policy, input, NOW);
    expect(second.ladder[0]!.at).toBe('1 day');
    expect(JSON.parse(JSON.stringify(second))).toEqual(second);
  });

  it('rejects an invalid opening instant', () => {
    expect(() => planCase(policy, caseInput(), 'yesterday')).toThrow(/invalid openedAt/);
  });
});
