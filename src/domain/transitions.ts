import type { Outcome } from '../shared/schemas';
import type { TimelineEntry } from '../shared/timeline';
import { CaseJournal, type Transition } from './case-journal';
import { judgePromise, type CaseData } from './case-state';
import { advance, initialProgress, nextDueStep, stageOf, type DueStep } from './ladder';
import { isNoticeStep } from './notice';
import { describeDecision, reviewOutcome, type ReviewCause } from './review';
import type { CasePlan } from './types';

/**
 * The case engine's state transitions for the decisions of decide() that need no provider:
 * opening, promise verdicts, reviews, holds ending, calls expiring, needs_review, a step
 * done or skipped, resolution. Each changes the state in place and returns what it recorded.
 */

/** Opening, before the plan is asked for: what the case is about. */
export function noteOpening(d: CaseData, now: number): Transition {
  const j = new CaseJournal(d, now);
  j.note('case_opened', `Case opened: ${d.input.reason.replace('_', ' ')}, ${d.input.product.replace('_', ' ')}, ${j.money(d.input.amountDueMinor)} overdue since ${d.input.overdueSince}`, {
    reason: d.input.reason,
    product: d.input.product,
    debtorType: d.input.debtor.type,
  });
  return j.done();
}

/** The opening once the plan is known (at the instant the plan was taken): segment, and where on the ladder the case starts. */
export function assignPlan(d: CaseData, plan: CasePlan, now: number, options: { caseSafety: boolean }): Transition {
  const j = new CaseJournal(d, now);
  d.plan = plan;
  j.note('segment_assigned', `Segment ${plan.segment}, ${plan.strategy} strategy, risk ${plan.risk.toFixed(2)}: ${plan.scoreReasons.join('; ')}`, {
    segment: plan.segment,
    strategy: plan.strategy,
    risk: plan.risk,
    policy: `${plan.policyId}@${plan.policyVersion}`,
  });
  // Plans made before notices were enforced carry no `legal`: those cases keep their old course.
  const keepNotices = options.caseSafety && plan.legal !== undefined;
  const { progress, skipped } = initialProgress(plan.ladder, Date.parse(plan.anchorAt), Date.parse(d.openedAt), keepNotices ? { keepNotices: isNoticeStep } : {});
  d.progress = progress;
  if (skipped.length > 0) {
    const notices = keepNotices ? ' (notices before legal steps are never passed over)' : '';
    j.note('steps_skipped', `Opened late: ${skipped.map((s) => s.id).join(', ')} passed over; the case starts at ${plan.ladder[progress.index]!.id}${notices}`);
  }
  d.stage = stageOf(plan.ladder[progress.index]!.channel);
  j.log('info', 'case opened', { segment: plan.segment, strategy: plan.strategy });
  return j.done();
}

/** Records a promise's verdict: kept (a settlement paid resolves the case, written down) or broken (escalation resumes). */
export function settlePromise(d: CaseData, now: number): Transition {
  const j = new CaseJournal(d, now);
  const promise = d.promise!;
  const verdict = judgePromise(d, now);
  if (verdict === 'pending') return j.done();
  d.promise = undefined;
  if (verdict === 'kept') {
    d.keptPromises += 1;
    j.note(promise.kind === 'settlement' ? 'settlement_paid' : 'promise_kept', `${promise.kind === 'plan' ? 'Repayment plan' : promise.kind === 'settlement' ? 'Settlement' : 'Promise'} kept`);
    if (promise.kind === 'settlement') {
      j.note('written_down', `Remaining ${j.money(d.outstandingMinor)} written down under the settlement`);
      d.outstandingMinor = 0;
      j.resolve('settled');
    }
    return j.done();
  }
  d.brokenPromises += 1;
  const paid = d.paidMinor - promise.paidAtStart;
  j.note('promise_broken', `${promise.kind === 'plan' ? 'Repayment plan missed' : 'Promise broken'}: ${j.money(paid)} of ${j.money(promise.amountMinor)} paid; escalation resumes`, {
    kind: promise.kind,
    brokenPromises: d.brokenPromises,
  });
  return j.done();
}

/** Carries out a supervisor's decision: retry (the loop tries the step again), skip the step, or close the case (cancelled). */
export function followReview(d: CaseData, now: number): Transition {
  const j = new CaseJournal(d, now);
  const review = d.review!;
  const outcome = reviewOutcome(review);
  if (!outcome) return j.done();
  d.review = undefined;
  j.note('review_resolved', describeDecision(review), { action: review.decision!.action, step: review.step, actor: review.decision!.actor });
  if (outcome.kind === 'close') {
    j.resolve('cancelled');
  } else if (outcome.kind === 'skip') {
    const plan = d.plan!;
    const due = nextDueStep(plan.ladder, d.progress!, Date.parse(plan.anchorAt));
    if (due?.key === outcome.step) skipIn(j, due, 'passed over after review');
    // A one-off step outside the ladder (the forbearance offer) is passed over by marking it made.
    else if (outcome.step.startsWith('forbearance')) d.forbearance = { until: j.at };
  }
  return j.done();
}

/** An operator hold whose `until` has passed: lifted. */
export function endHold(d: CaseData, now: number): Transition {
  const j = new CaseJournal(d, now);
  j.note('resumed', 'Operator hold expired; collection resumes');
  d.pause = undefined;
  return j.done();
}

/** A call task whose outcome never came is counted as no answer. */
export function expireCall(d: CaseData, now: number): Transition {
  const j = new CaseJournal(d, now);
  const pending = d.pendingCall!;
  const attempt = [...d.contacts].reverse().find((c) => c.channel === 'call' && c.result === 'attempt');
  if (attempt) attempt.result = 'no_answer';
  d.pendingCall = undefined;
  j.note('call_outcome', `No outcome reported for call ${pending.taskId}; counted as no answer`, { outcome: 'no_answer', taskId: pending.taskId });
  return j.done();
}

/** Resolves the case; with `why: 'ladder_exhausted'`, says first that every step was carried out. */
export function resolveCase(d: CaseData, outcome: Outcome, now: number, why?: 'ladder_exhausted'): Transition {
  const j = new CaseJournal(d, now);
  if (why === 'ladder_exhausted') j.note('ladder_exhausted', 'Every step of the ladder has been carried out without full payment');
  j.resolve(outcome);
  return j.done();
}

/** Puts the case in state needs_review (spec section 9): nothing else happens to the step until a supervisor decides. */
export function needReview(d: CaseData, cause: ReviewCause, reason: string, step: string, now: number): Transition {
  const j = new CaseJournal(d, now);
  d.review = { cause, reason, step, since: j.at };
  j.log('warn', 'case needs review', { step, cause });
  j.note('needs_review', `Needs review: ${reason}`, { step, cause });
  return j.done();
}

/** A step carried out (or passed over): the ladder moves on and the stage follows it. */
export function stepDone(d: CaseData, due: DueStep, now: number): void {
  d.progress = advance(d.progress!, due, new Date(now).toISOString());
  d.stage = stageOf(due.step.channel);
}

/** A step passed over, saying why. */
export function skipStep(d: CaseData, due: DueStep, why: string, now: number): Transition {
  const j = new CaseJournal(d, now);
  skipIn(j, due, why);
  return j.done();
}

function skipIn(j: CaseJournal, due: DueStep, why: string): void {
  j.note('step_skipped', `${due.key} skipped: ${why}`, { step: due.key });
  stepDone(j.data, due, j.now);
}

/** Records an entry decided earlier (e.g. the notice period a wait announces). */
export function noteEntry(d: CaseData, entry: TimelineEntry, now: number): Transition {
  const j = new CaseJournal(d, now);
  j.note(entry.kind, entry.detail, entry.data);
  return j.done();
}
