import { DateTime } from 'luxon';
import { resolveProfile } from '../policy/profiles';
import type { Policy } from '../policy/schema';
import type { CaseInput } from '../shared/schemas';
import { assignArm } from './experiment';
import { startOfLocalDay } from './local-time';
import { daysPastDue, scoreCase } from './scoring';
import { selectSegment } from './segmentation';
import type { CasePlan } from './types';

/**
 * Decides, once when a case opens, everything the workflow follows: score, segment,
 * strategy arm, ladder, compliance profile, anchor and thresholds. Pure: the same policy,
 * input and `openedAt` (ISO-8601 instant) always give the same plan.
 */
export function planCase(policy: Policy, input: CaseInput, openedAt: string): CasePlan {
  const opened = DateTime.fromISO(openedAt, { setZone: true });
  if (!opened.isValid) throw new RangeError(`invalid openedAt "${openedAt}"`);

  const score = scoreCase(policy.scoring, input, openedAt);
  const segment = selectSegment(policy.segments, {
    debtorType: input.debtor.type,
    product: input.product,
    amountDueMinor: input.amountDueMinor,
    risk: score.risk,
    daysPastDue: daysPastDue(input.overdueSince, input.debtor.timezone, openedAt),
  });
  const strategy = assignArm(input.loanId, policy.experiment, segment.id);
  const ladderName = strategy === 'challenger' && policy.experiment ? policy.experiment.challengerLadder : segment.ladder;
  const ladder = policy.ladders[ladderName];
  if (!ladder) throw new Error(`policy ${policy.id}: unknown ladder "${ladderName}"`);
  const jurisdiction = segment.jurisdiction ?? policy.jurisdiction;

  return {
    policyId: policy.id,
    policyVersion: policy.version,
    segment: segment.id,
    strategy,
    propensity: score.propensity,
    risk: score.risk,
    scoreReasons: score.reasons,
    jurisdiction,
    profile: resolveProfile(jurisdiction, policy.profiles[jurisdiction]),
    ladder: ladder.steps.map((step) => ({ ...step })),
    anchorAt: policy.anchor === 'case_opened' ? openedAt : startOfLocalDay(input.overdueSince, input.debtor.timezone),
    litigationThresholdMinor: segment.litigationThresholdMinor ?? policy.litigationThresholdMinor,
    promises: { ...policy.promises },
    forbearance: { ...policy.forbearance },
    legal: { ...policy.legal },
    calls: { ...policy.calls, roster: [...policy.calls.roster] },
    contactRefresh: { ...policy.contactRefresh },
    agency: { ...policy.agency },
    survey: { ...policy.survey },
    costs: { ...policy.costs },
    providers: { ...policy.providers, retry: { ...policy.providers.retry } },
  };
}
