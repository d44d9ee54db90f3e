import type { CaseStatus } from '../shared/schemas';
import { promiseView, stateOf, type CaseData } from './case-state';

/** The `status` query's answer: the case's figures and state, and what it waits for next (none once resolved). */
export function caseStatus(d: CaseData, next: { action: string; at?: number } | undefined): CaseStatus {
  const awaiting = (['phone', 'address'] as const).filter((k) => d.invalidContact[k] !== undefined);
  return {
    loanId: d.input.loanId,
    state: stateOf(d),
    stage: d.stage,
    outstandingMinor: d.outstandingMinor,
    paidMinor: d.paidMinor,
    costMinor: d.costMinor,
    currency: d.input.currency,
    amountDueMinor: d.input.amountDueMinor,
    nextAction: d.outcome ? undefined : next?.action,
    nextActionAt: d.outcome || next?.at === undefined ? undefined : new Date(next.at).toISOString(),
    pausedUntil: d.pause?.until,
    promise: promiseView(d),
    assignee: d.assignee,
    outcome: d.outcome,
    segment: d.plan?.segment,
    strategy: d.plan?.strategy,
    riskScore: d.plan?.risk,
    scoreReasons: d.plan?.scoreReasons,
    contactStopped: d.ceased !== undefined ? true : undefined,
    awaitingContactRefresh: awaiting.length > 0 ? awaiting : undefined,
    brokenPromises: d.brokenPromises,
    duplicatePayments: d.timelineCounts?.payment_duplicate,
    satisfactionScore: d.survey?.score,
    review: d.review && !d.outcome ? { cause: d.review.cause, reason: d.review.reason, step: d.review.step, since: d.review.since } : undefined,
  };
}
