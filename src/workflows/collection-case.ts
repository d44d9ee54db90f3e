import * as wf from '@temporalio/workflow';
import { ApplicationFailure } from '@temporalio/workflow';
import { judgePromise, nextPromiseCheck, openCase, pruneContacts, type CaseData } from '../domain/case-state';
import { initialProgress, nextDueStep, stageOf, type DueStep } from '../domain/ladder';
import { checkNotice, isNoticeStep } from '../domain/notice';
import { describeDecision, reviewOutcome } from '../domain/review';
import * as schemas from '../shared/schemas';
import type { Outcome } from '../shared/schemas';
import { CaseContext, iso, planCase } from './case-context';
import { registerCaseHandlers } from './case-messages';
import { askForSatisfaction, carryOut, offerForbearance, owesForbearanceOffer, recallFromAgency } from './case-steps';

export interface CaseResult {
  loanId: string;
  outcome: Outcome;
  paidMinor: number;
  outstandingMinor: number;
  costMinor: number;
}

/** A run continues as new past these, whatever the server suggests (its own limits are 50 K events and 50 MB). */
const HISTORY_EVENTS_BOUND = 10_000;
const HISTORY_BYTES_BOUND = 8 * 1024 * 1024;

/** Steps beyond reminders and calls: letters and legal action. */
const ESCALATIONS: ReadonlyArray<string> = ['letter', 'lawyer_letter', 'litigation', 'agency'];

/**
 * One overdue loan: escalates on timers along its policy's ladder until the money comes
 * back or the case is handed to court. A thin shell: handlers registered first, every
 * decision taken by the pure functions of src/domain, state kept as plain JSON.
 */
export async function collectionCase(input: schemas.CaseInput, carried?: CaseData): Promise<CaseResult> {
  const parsed = schemas.CaseInput.safeParse(input);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`invalid case input: ${schemas.describeZodError(parsed.error)}`, 'InvalidCaseInput');
  }
  const kase = new CollectionCase(carried ?? openCase(parsed.data, iso(Date.now())));
  registerCaseHandlers(kase);
  kase.archiver.enabled = wf.patched('case-archive');
  return kase.run();
}

/** The escalation loop: decide what is next, wait for it (or for a message), act. */
class CollectionCase extends CaseContext {
  async run(): Promise<CaseResult> {
    if (!this.opened) {
      await this.openWithPlan();
      await this.applyEarlyMessages();
    }
    while (!this.data.outcome) {
      if (this.historyFull()) await this.continueAsNew();
      await this.decideAndAct();
    }
    this.archiver.flush(this.data);
    await askForSatisfaction(this);
    await wf.condition(wf.allHandlersFinished);
    // Messages no longer sync one by one: what came after the last wait reaches visibility here.
    if (this.boundedMessages) this.sync();
    await this.archiver.settle(this.data, 'COMPLETED');
    const d = this.data;
    return { loanId: d.input.loanId, outcome: d.outcome!, paidMinor: d.paidMinor, outstandingMinor: d.outstandingMinor, costMinor: d.costMinor };
  }

  private async openWithPlan(): Promise<void> {
    const d = this.data;
    this.note('case_opened', `Case opened: ${d.input.reason.replace('_', ' ')}, ${d.input.product.replace('_', ' ')}, ${this.money(d.input.amountDueMinor)} overdue since ${d.input.overdueSince}`, {
      reason: d.input.reason,
      product: d.input.product,
      debtorType: d.input.debtor.type,
    });
    d.plan = await planCase(d.input, d.openedAt);
    this.decideAsOf(d.plan.decidedAt);
    const plan = d.plan;
    this.note('segment_assigned', `Segment ${plan.segment}, ${plan.strategy} strategy, risk ${plan.risk.toFixed(2)}: ${plan.scoreReasons.join('; ')}`, {
      segment: plan.segment,
      strategy: plan.strategy,
      risk: plan.risk,
      policy: `${plan.policyId}@${plan.policyVersion}`,
    });
    // Plans made before notices were enforced carry no `legal`: those cases keep their old course.
    const keepNotices = this.enforcesNotice();
    const { progress, skipped } = initialProgress(plan.ladder, Date.parse(plan.anchorAt), Date.parse(d.openedAt), keepNotices ? { keepNotices: isNoticeStep } : {});
    d.progress = progress;
    if (skipped.length > 0) {
      const notices = keepNotices ? ' (notices before legal steps are never passed over)' : '';
      this.note('steps_skipped', `Opened late: ${skipped.map((s) => s.id).join(', ')} passed over; the case starts at ${plan.ladder[progress.index]!.id}${notices}`);
    }
    d.stage = stageOf(plan.ladder[progress.index]!.channel);
    wf.log.info('case opened', { loanId: this.loanId, segment: plan.segment, strategy: plan.strategy });
    this.sync();
  }

  /**
   * Time to continue as new: the server suggests it, or (bounded mode) the history passed our
   * own bound, so a storm of signals that keeps every task busy still moves to a fresh run.
   */
  private historyFull(): boolean {
    const info = wf.workflowInfo();
    if (info.continueAsNewSuggested) return true;
    return this.boundedMessages && (info.historyLength >= HISTORY_EVENTS_BOUND || info.historySize >= HISTORY_BYTES_BOUND);
  }

  private async continueAsNew(): Promise<never> {
    await wf.condition(wf.allHandlersFinished);
    await this.archiver.settle(this.data);
    // The memo (currency, overdue episode, report facts) goes along: callers read it from the latest run.
    return wf.makeContinueAsNewFunc<typeof collectionCase>({ memo: wf.workflowInfo().memo })(this.data.input, this.data);
  }

  private async decideAndAct(): Promise<void> {
    const d = this.data;
    const now = this.now();
    d.contacts = pruneContacts(d.contacts, now);

    // A promise paid off is recorded as kept before the case resolves.
    if (d.promise && d.outstandingMinor === 0) return this.watchPromise(now);
    if (d.outstandingMinor === 0) return this.resolve('paid_in_full');
    if (d.review) return this.followReview();
    if (d.pause?.until && Date.parse(d.pause.until) <= now) {
      this.note('resumed', 'Operator hold expired; collection resumes');
      d.pause = undefined;
    }
    if (d.dispute && this.plan.profile.disputeSuspendsCollection) return this.waitUntil(undefined, 'dispute under verification');
    if (d.pause) return this.waitUntil(d.pause.until ? Date.parse(d.pause.until) : undefined, `paused: ${d.pause.reason}`);
    if (d.promise) return this.watchPromise(now);
    if (d.pendingCall && Date.parse(d.pendingCall.deadline) <= now) return this.expireCall();
    if (d.agency) {
      if (Date.parse(d.agency.recallAt) <= now) return recallFromAgency(this);
      return this.waitUntil(Date.parse(d.agency.recallAt), `agency placement until recall`);
    }

    const due = nextDueStep(this.plan.ladder, d.progress!, Date.parse(this.plan.anchorAt));
    if (!due) {
      this.note('ladder_exhausted', 'Every step of the ladder has been carried out without full payment');
      return this.resolve('written_off');
    }
    const callDeadline = d.pendingCall ? Date.parse(d.pendingCall.deadline) : Number.POSITIVE_INFINITY;
    if (due.dueAt > now) return this.waitUntil(Math.min(due.dueAt, callDeadline), `${due.key} (${due.step.channel})`);
    if (ESCALATIONS.includes(due.step.channel)) {
      if (owesForbearanceOffer(this)) return offerForbearance(this, due, now);
      if (d.forbearance && Date.parse(d.forbearance.until) > now) return this.waitUntil(Date.parse(d.forbearance.until), `forbearance offer open before ${due.key}`);
    }
    if (this.enforcesNotice() && !(await this.noticeGiven(due, now))) return;
    await carryOut(this, due, now);
  }

  /** Whether this case enforces notice periods before legal steps (older cases replay without). */
  private enforcesNotice(): boolean {
    return this.caseSafety && this.plan.legal !== undefined;
  }

  /** A legal step waits for its notice period, saying why on the timeline; without any notice, the case needs review. */
  private async noticeGiven(due: DueStep, now: number): Promise<boolean> {
    const d = this.data;
    // Litigation below the threshold becomes an agency placement, which needs no lawyer's letter.
    const filing = due.step.channel !== 'litigation' || d.outstandingMinor >= this.plan.litigationThresholdMinor;
    const verdict = filing ? checkNotice(due.step.channel, d.notices ?? {}, this.plan.legal!, now) : ({ kind: 'clear' } as const);
    if (verdict.kind === 'clear') return true;
    if (verdict.kind === 'missing') {
      this.needsReview('notice_missing', `${due.key}: ${verdict.reason}`, due.key);
      return false;
    }
    const noted = d.timeline.some((e) => e.kind === 'notice_period' && e.data?.step === due.key);
    if (!noted) this.note('notice_period', `${due.key}: ${verdict.reason}`, { step: due.key, until: iso(verdict.until) });
    await this.waitUntil(verdict.until, `${due.key} waits for its notice period`);
    return false;
  }

  /** In needs_review: wait for the supervisor's decision, then retry the step, pass over it, or close the case. */
  private followReview(): Promise<void> | void {
    const d = this.data;
    const review = d.review!;
    const outcome = reviewOutcome(review);
    if (!outcome) return this.waitUntil(undefined, `needs review: ${review.reason}`);
    d.review = undefined;
    this.note('review_resolved', describeDecision(review), { action: review.decision!.action, step: review.step, actor: review.decision!.actor });
    if (outcome.kind === 'close') return this.resolve('cancelled');
    if (outcome.kind === 'skip') {
      const due = nextDueStep(this.plan.ladder, d.progress!, Date.parse(this.plan.anchorAt));
      if (due?.key === outcome.step) this.skip(due, `passed over after review`);
      // A one-off step outside the ladder (the forbearance offer) is passed over by marking it made.
      else if (outcome.step.startsWith('forbearance')) d.forbearance = { until: iso(this.now()) };
    }
    this.sync();
  }

  private async watchPromise(now: number): Promise<void> {
    const d = this.data;
    const promise = d.promise!;
    const verdict = judgePromise(d, now);
    if (verdict === 'pending') return this.waitUntil(nextPromiseCheck(promise, now), `${promise.kind} due ${promise.dueDate}`);
    d.promise = undefined;
    if (verdict === 'kept') {
      d.keptPromises += 1;
      this.note(promise.kind === 'settlement' ? 'settlement_paid' : 'promise_kept', `${promise.kind === 'plan' ? 'Repayment plan' : promise.kind === 'settlement' ? 'Settlement' : 'Promise'} kept`);
      if (promise.kind === 'settlement') {
        this.note('written_down', `Remaining ${this.money(d.outstandingMinor)} written down under the settlement`);
        d.outstandingMinor = 0;
        return this.resolve('settled');
      }
      return;
    }
    d.brokenPromises += 1;
    const paid = d.paidMinor - promise.paidAtStart;
    this.note('promise_broken', `${promise.kind === 'plan' ? 'Repayment plan missed' : 'Promise broken'}: ${this.money(paid)} of ${this.money(promise.amountMinor)} paid; escalation resumes`, {
      kind: promise.kind,
      brokenPromises: d.brokenPromises,
    });
  }
}
