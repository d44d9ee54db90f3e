import type { Outcome } from '../shared/schemas';
import type { TimelineEntry } from '../shared/timeline';
import { judgePromise, nextPromiseCheck, type CaseData } from './case-state';
import { nextDueStep, type DueStep } from './ladder';
import { checkNotice } from './notice';
import { reviewOutcome, type ReviewCause } from './review';

/**
 * The case engine's half for the loop: `decide(state, now, context)` says what the case does
 * next. The workflow carries the decision out (a state transition of src/domain/transitions.ts,
 * a wait, or a step with its provider calls) and asks again. Pure: the same state, instant and
 * context give the same decision.
 */
export type Decision =
  /** The history is long: continue as new with the state (after the handlers finish). */
  | { kind: 'continue_as_new' }
  /** A promise, plan or settlement has come to its verdict (kept or broken): record it. */
  | { kind: 'settle_promise' }
  | { kind: 'resolve'; outcome: Outcome; why?: 'ladder_exhausted' }
  /** A supervisor decided a review: carry the decision out. */
  | { kind: 'follow_review' }
  /** An operator hold reached its end: lift it and decide again at once. */
  | { kind: 'end_hold' }
  /** A call's outcome never came: count it as no answer. */
  | { kind: 'expire_call' }
  | { kind: 'recall_from_agency' }
  | { kind: 'needs_review'; cause: ReviewCause; reason: string; step: string }
  /** UK CONC: offer forbearance once before the first escalation beyond calls. */
  | { kind: 'offer_forbearance'; due: DueStep }
  /** Wait until `until` (forever when absent) or a message; `note` is recorded first. */
  | { kind: 'wait'; until?: number; action: string; note?: TimelineEntry }
  /** Carry out a due step of the ladder (its key is the idempotency key's last part). */
  | { kind: 'carry_out'; due: DueStep };

export interface DecideContext {
  /** The run's history asks for continue-as-new (the workflow reads the server's suggestion). */
  historyFull?: boolean;
  /** Case safety (spec section 9) for this case: notice periods before legal steps. */
  caseSafety: boolean;
  /**
   * Whether this case may offer forbearance: asked only when an offer is owed, since the
   * workflow answers with `patched()` (cases opened before offers existed replay without).
   */
  mayOfferForbearance(): boolean;
}

/** Steps beyond reminders and calls: letters and legal action. */
const ESCALATIONS: ReadonlyArray<string> = ['letter', 'lawyer_letter', 'litigation', 'agency'];

export function decide(d: CaseData, now: number, context: DecideContext): Decision {
  if (context.historyFull) return { kind: 'continue_as_new' };
  const plan = d.plan!;
  // A promise paid off is recorded as kept before the case resolves.
  if (d.promise && d.outstandingMinor === 0) return watchPromise(d, now);
  if (d.outstandingMinor === 0) return { kind: 'resolve', outcome: 'paid_in_full' };
  if (d.review) return reviewOutcome(d.review) ? { kind: 'follow_review' } : { kind: 'wait', action: `needs review: ${d.review.reason}` };
  if (d.pause?.until && Date.parse(d.pause.until) <= now) return { kind: 'end_hold' };
  if (d.dispute && plan.profile.disputeSuspendsCollection) return { kind: 'wait', action: 'dispute under verification' };
  if (d.pause) return { kind: 'wait', until: d.pause.until ? Date.parse(d.pause.until) : undefined, action: `paused: ${d.pause.reason}` };
  if (d.promise) return watchPromise(d, now);
  if (d.pendingCall && Date.parse(d.pendingCall.deadline) <= now) return { kind: 'expire_call' };
  if (d.agency) {
    if (Date.parse(d.agency.recallAt) <= now) return { kind: 'recall_from_agency' };
    return { kind: 'wait', until: Date.parse(d.agency.recallAt), action: 'agency placement until recall' };
  }

  const due = nextDueStep(plan.ladder, d.progress!, Date.parse(plan.anchorAt));
  if (!due) return { kind: 'resolve', outcome: 'written_off', why: 'ladder_exhausted' };
  const callDeadline = d.pendingCall ? Date.parse(d.pendingCall.deadline) : Number.POSITIVE_INFINITY;
  if (due.dueAt > now) return { kind: 'wait', until: Math.min(due.dueAt, callDeadline), action: `${due.key} (${due.step.channel})` };
  if (ESCALATIONS.includes(due.step.channel)) {
    if (plan.profile.forbearanceBeforeEscalation && !d.forbearance && context.mayOfferForbearance()) return { kind: 'offer_forbearance', due };
    if (d.forbearance && Date.parse(d.forbearance.until) > now) return { kind: 'wait', until: Date.parse(d.forbearance.until), action: `forbearance offer open before ${due.key}` };
  }
  // Plans made before notices were enforced carry no `legal`: those cases keep their old course.
  if (context.caseSafety && plan.legal !== undefined) {
    const notice = noticeDecision(d, due, now);
    if (notice) return notice;
  }
  return { kind: 'carry_out', due };
}

function watchPromise(d: CaseData, now: number): Decision {
  const promise = d.promise!;
  if (judgePromise(d, now) !== 'pending') return { kind: 'settle_promise' };
  return { kind: 'wait', until: nextPromiseCheck(promise, now), action: `${promise.kind} due ${promise.dueDate}` };
}

/** A legal step waits for its notice period, saying why on the timeline once; without any notice, the case needs review. */
function noticeDecision(d: CaseData, due: DueStep, now: number): Decision | undefined {
  const plan = d.plan!;
  // Litigation below the threshold becomes an agency placement, which needs no lawyer's letter.
  const filing = due.step.channel !== 'litigation' || d.outstandingMinor >= plan.litigationThresholdMinor;
  if (!filing) return undefined;
  const verdict = checkNotice(due.step.channel, d.notices ?? {}, plan.legal!, now);
  if (verdict.kind === 'clear') return undefined;
  if (verdict.kind === 'missing') return { kind: 'needs_review', cause: 'notice_missing', reason: `${due.key}: ${verdict.reason}`, step: due.key };
  const noted = d.timeline.some((e) => e.kind === 'notice_period' && e.data?.step === due.key);
  const note: TimelineEntry | undefined = noted ? undefined : { kind: 'notice_period', detail: `${due.key}: ${verdict.reason}`, data: { step: due.key, until: new Date(verdict.until).toISOString() } };
  return { kind: 'wait', until: verdict.until, action: `${due.key} waits for its notice period`, note };
}
