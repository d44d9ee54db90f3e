import type { SegmentRule } from '../policy/schema';
import type { CaseInput } from '../shared/schemas';

/** What segment rules look at, computed once when a case opens. */
export interface SegmentFacts {
  debtorType: CaseInput['debtor']['type'];
  product: CaseInput['product'];
  amountDueMinor: number;
  /** 0..1, from the score. */
  risk: number;
  daysPastDue: number;
}

/** True when every condition the rule gives holds; bounds are inclusive (min <= x <= max). */
export function segmentMatches(rule: SegmentRule, facts: SegmentFacts): boolean {
  const w = rule.when;
  return (
    (w.debtorTypes === undefined || w.debtorTypes.includes(facts.debtorType)) &&
    (w.products === undefined || w.products.includes(facts.product)) &&
    (w.minAmountDueMinor === undefined || facts.amountDueMinor >= w.minAmountDueMinor) &&
    (w.maxAmountDueMinor === undefined || facts.amountDueMinor <= w.maxAmountDueMinor) &&
    (w.minRisk === undefined || facts.risk >= w.minRisk) &&
    (w.maxRisk === undefined || facts.risk <= w.maxRisk) &&
    (w.minDaysPastDue === undefined || facts.daysPastDue >= w.minDaysPastDue)
  );
}

/** The first segment whose conditions all hold (policies end with a catch-all, so one always does). */
export function selectSegment(segments: readonly SegmentRule[], facts: SegmentFacts): SegmentRule {
  const segment = segments.find((rule) => segmentMatches(rule, facts));
  if (!segment) throw new Error('no segment matches the case; a policy must end with a segment without conditions');
  return segment;
}
