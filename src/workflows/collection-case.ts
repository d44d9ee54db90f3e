import * as wf from '@temporalio/workflow';
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import type { CollectionActivities } from '../activities';
import {
  applyPayment,
  checkPayment,
  judgePromise,
  nextPromiseCheck,
  openCase,
  promiseView,
  pruneContacts,
  record,
  stateOf,
  type CaseData,
  type PromiseRecord,
} from '../domain/case-state';
import { advance, initialProgress, nextDueStep, stageOf, type DueStep } from '../domain/ladder';
import { dueInstant } from '../domain/local-time';
import { assigneeAt } from '../domain/rotation';
import type { CasePlan } from '../domain/types';
import * as messages from '../shared/messages';
import { formatMajorUnits } from '../shared/money';
import { maskPhone } from '../shared/redact';
import * as schemas from '../shared/schemas';
import type { CaseStatus, Outcome, PaymentReceived } from '../shared/schemas';
import { syncReportMemo, syncSearchAttributes } from './search-attributes';

export interface CaseResult {
  loanId: string;
  outcome: Outcome;
  paidMinor: number;
  outstandingMinor: number;
  costMinor: number;
}

const { planCase, scheduleContact } = wf.proxyLocalActivities<CollectionActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 10 },
});

const ms = (duration: string): number => msToNumber(duration as never);
/** Steps beyond reminders and calls: letters and legal action. */
const ESCALATIONS: ReadonlyArray<string> = ['letter', 'lawyer_letter', 'litigation', 'agency'];
const iso = (epochMs: number): string => new Date(epochMs).toISOString();

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
  kase.registerHandlers();
  return kase.run();
}

class CollectionCase {
  /** Bumped by every accepted message, so waits wake up and re-decide. */
  private version = 0;
  private next: { action: string; at?: number } | undefined;
  /** The search attributes last upserted, so unchanged ones are not sent again. */
  private upserted: string | undefined;
  private memo: string | undefined;
  /**
   * Whether this run keeps reporting facts in its memo. Asked once, first thing, so the
   * patch marker sits at the same point of every history (cases started before the
   * report memo existed replay without it).
   */
  private reportMemo = false;

  constructor(private readonly data: CaseData) {}

  private get plan(): CasePlan {
    return this.data.plan!;
  }

  private get loanId(): string {
    return this.data.input.loanId;
  }

  private get workflowId(): string {
    return wf.workflowInfo().workflowId;
  }

  // ---- Messages ------------------------------------------------------------------------

  registerHandlers(): void {
    this.reportMemo = wf.patched('report-memo');
    const accept = <T>(name: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } }, apply: (value: T) => void) =>
      (raw: unknown) => {
        const parsed = schema.safeParse(raw);
        if (!parsed.success) return this.rejectSignal(name, schemas.describeZodError(parsed.error));
        apply(parsed.data);
        this.changed();
      };

    wf.setHandler(messages.paymentReceivedSignal, accept('paymentReceived', schemas.PaymentReceived, (p) => void this.receivePayment(p)));
    wf.setHandler(messages.promiseToPaySignal, accept('promiseToPay', schemas.PromiseToPay, (p) => this.makePromise('promise', p.amountMinor, p.dueDate, undefined, p.actor)));
    wf.setHandler(messages.repaymentPlanSignal, accept('repaymentPlan', schemas.RepaymentPlan, (p) => this.agreePlan(p)));
    wf.setHandler(messages.settlementOfferSignal, accept('settlementOffer', schemas.SettlementOffer, (p) => this.makePromise('settlement', p.amountMinor, p.validUntil, undefined, p.actor)));
    wf.setHandler(messages.disputeRaisedSignal, accept('disputeRaised', schemas.DisputeRaised, (p) => this.raiseDispute(p)));
    wf.setHandler(messages.disputeResolvedSignal, accept('disputeResolved', schemas.DisputeResolved, (p) => this.resolveDispute(p)));
    wf.setHandler(messages.contactUpdatedSignal, accept('contactUpdated', schemas.ContactUpdated, (p) => this.updateContact(p)));
    wf.setHandler(messages.ceaseContactSignal, accept('ceaseContact', schemas.CeaseContact, (p) => this.ceaseContact(p)));
    wf.setHandler(messages.pauseSignal, accept('pause', schemas.Pause, (p) => this.pause(p)));
    wf.setHandler(messages.resumeSignal, accept('resume', schemas.Resume, (p) => this.resume(p)));
    wf.setHandler(messages.callOutcomeSignal, accept('callOutcome', schemas.CallOutcome, (p) => this.receiveCallOutcome(p)));
    wf.setHandler(messages.surveyResponseSignal, accept('surveyResponse', schemas.SurveyResponse, (p) => this.receiveSurvey(p)));

    wf.setHandler(
      messages.applyPaymentUpdate,
      (payment) => {
        const result = this.receivePayment(payment);
        this.changed();
        return result;
      },
      {
        validator: (raw) => {
          const parsed = schemas.PaymentReceived.safeParse(raw);
          if (!parsed.success) throw new Error(`invalid payment: ${schemas.describeZodError(parsed.error)}`);
          const check = checkPayment(this.data, parsed.data);
          if (!check.ok && !check.duplicate) throw new Error(check.reason);
        },
      },
    );

    wf.setHandler(messages.statusQuery, () => this.status());
    wf.setHandler(messages.timelineQuery, () => this.data.timeline);
  }

  private changed(): void {
    this.version += 1;
    this.sync();
  }

  private now(): number {
    return Date.now();
  }

  private note(kind: string, detail: string, extra?: Record<string, unknown>): void {
    record(this.data, iso(this.now()), kind, detail, extra);
  }

  private money(minor: number): string {
    return `${formatMajorUnits(minor, this.data.input.currency)} ${this.data.input.currency}`;
  }

  private rejectSignal(name: string, reason: string): void {
    wf.log.warn('signal rejected', { loanId: this.loanId, signal: name, reason });
    this.note('signal_rejected', `${name} rejected: ${reason}`, { signal: name });
  }

  private receivePayment(payment: PaymentReceived): messages.PaymentResult {
    const check = checkPayment(this.data, payment);
    const result = (accepted: boolean, duplicate: boolean) => ({ accepted, duplicate, outstandingMinor: this.data.outstandingMinor, paidMinor: this.data.paidMinor });
    if (!check.ok) {
      this.note(check.duplicate ? 'payment_duplicate' : 'payment_rejected', check.reason, { paymentId: payment.paymentId });
      wf.log.warn('payment not applied', { loanId: this.loanId, paymentId: payment.paymentId, reason: check.reason });
      return result(false, check.duplicate);
    }
    const { appliedMinor, overpaidMinor } = applyPayment(this.data, payment, this.data.plan?.costs.agencyCommissionBps ?? 0);
    const over = overpaidMinor > 0 ? `; overpaid by ${this.money(overpaidMinor)}` : '';
    this.note('payment_received', `Payment ${payment.paymentId} of ${this.money(payment.amountMinor)} received; outstanding ${this.money(this.data.outstandingMinor)}${over}`, {
      paymentId: payment.paymentId,
      amountMinor: payment.amountMinor,
      appliedMinor,
      overpaidMinor,
      receivedAt: payment.receivedAt,
      channel: payment.channel,
    });
    return result(true, false);
  }

  private makePromise(kind: PromiseRecord['kind'], amountMinor: number, dueDate: string, instalments: PromiseRecord['instalments'], actor?: string): void {
    const now = this.now();
    if (this.data.outcome) return this.rejectSignal(kind, 'the case is already resolved');
    const tz = this.data.input.debtor.timezone;
    const dueEnd = dueInstant(dueDate, tz);
    if (dueEnd < now) return this.rejectSignal(kind, `due date ${dueDate} is in the past`);
    const plan = this.data.plan;
    const grace = plan ? ms(plan.promises.grace) : 0;
    if (plan && kind === 'promise' && dueEnd - now > ms(plan.promises.maxDuration)) {
      return this.rejectSignal(kind, `due date ${dueDate} is further out than the policy allows (${plan.promises.maxDuration})`);
    }
    if (kind === 'settlement' && amountMinor >= this.data.outstandingMinor) {
      return this.rejectSignal(kind, 'a settlement must be less than the outstanding amount');
    }
    this.data.promise = { kind, amountMinor, dueDate, graceUntil: iso(dueEnd + grace), madeAt: iso(now), paidAtStart: this.data.paidMinor, instalments };
    const what = { promise: 'Promise to pay', plan: `Repayment plan of ${instalments?.length ?? 0} instalments`, settlement: 'Settlement accepted' }[kind];
    this.note(`${kind}_made`, `${what}: ${this.money(amountMinor)} by ${dueDate}; escalation paused until ${iso(dueEnd + grace)}`, { amountMinor, dueDate, actor });
  }

  private agreePlan(plan: schemas.RepaymentPlan): void {
    const tz = this.data.input.debtor.timezone;
    const grace = this.data.plan ? ms(this.data.plan.promises.grace) : 0;
    const instalments = plan.instalments
      .map((i) => ({ ...i, graceUntil: iso(dueInstant(i.dueDate, tz) + grace) }))
      .sort((a, b) => a.graceUntil.localeCompare(b.graceUntil));
    const last = instalments[instalments.length - 1]!;
    const maxMonths = this.data.plan?.profile.maxPlanMonths;
    if (maxMonths !== undefined && dueInstant(last.dueDate, tz) - this.now() > maxMonths * 31 * 24 * 3600 * 1000) {
      return this.rejectSignal('repaymentPlan', `a repayment plan may last at most ${maxMonths} months`);
    }
    const total = instalments.reduce((sum, i) => sum + i.amountMinor, 0);
    this.makePromise('plan', total, last.dueDate, instalments, plan.actor);
  }

  private raiseDispute(dispute: schemas.DisputeRaised): void {
    if (this.data.outcome) return this.rejectSignal('disputeRaised', 'the case is already resolved');
    this.data.dispute = { reason: dispute.reason, since: iso(this.now()) };
    this.note('dispute_raised', `Dispute raised: ${dispute.reason}; collection suspended while it is verified`, { actor: dispute.actor });
  }

  private resolveDispute(resolution: schemas.DisputeResolved): void {
    if (!this.data.dispute) return this.rejectSignal('disputeResolved', 'there is no open dispute');
    this.data.dispute = undefined;
    if (resolution.upheld) {
      this.note('dispute_resolved', `Dispute upheld${resolution.note ? `: ${resolution.note}` : ''}; the claim is cancelled`, { upheld: true, actor: resolution.actor });
      this.resolve('cancelled');
    } else {
      this.note('dispute_resolved', `Dispute rejected after verification${resolution.note ? `: ${resolution.note}` : ''}; collection resumes`, { upheld: false, actor: resolution.actor });
    }
  }

  private updateContact(update: schemas.ContactUpdated): void {
    const debtor = this.data.input.debtor;
    const changed: string[] = [];
    if (update.phone) {
      debtor.phone = update.phone;
      this.data.invalidContact.phone = undefined;
      changed.push(`phone ${maskPhone(update.phone)}`);
    }
    if (update.email) {
      debtor.email = update.email;
      changed.push('email');
    }
    if (update.address) {
      debtor.address = update.address;
      this.data.invalidContact.address = undefined;
      changed.push('address');
    }
    this.note('contact_updated', `Contact details updated: ${changed.join(', ')}`);
  }

  private ceaseContact(cease: schemas.CeaseContact): void {
    this.data.ceased = { reason: cease.reason, since: iso(this.now()) };
    this.note('contact_ceased', `Debtor contact ceased: ${cease.reason}; legal steps may continue`, { actor: cease.actor });
  }

  private pause(pause: schemas.Pause): void {
    if (this.data.outcome) return this.rejectSignal('pause', 'the case is already resolved');
    this.data.pause = { reason: pause.reason, since: iso(this.now()), until: pause.until, actor: pause.actor };
    this.note('paused', `Paused${pause.actor ? ` by ${pause.actor}` : ''}: ${pause.reason}${pause.until ? ` until ${pause.until}` : ''}`, { actor: pause.actor });
  }

  private resume(resume: schemas.Resume): void {
    if (!this.data.pause) return this.rejectSignal('resume', 'the case is not paused');
    this.data.pause = undefined;
    this.note('resumed', `Resumed${resume.actor ? ` by ${resume.actor}` : ''}${resume.reason ? `: ${resume.reason}` : ''}`, { actor: resume.actor });
  }

  private receiveCallOutcome(outcome: schemas.CallOutcome): void {
    const pending = this.data.pendingCall;
    const attempt = [...this.data.contacts].reverse().find((c) => c.channel === 'call' && c.result === 'attempt');
    const spoke = outcome.outcome === 'promise' || outcome.outcome === 'refused' || outcome.outcome === 'paid_claimed';
    if (attempt) attempt.result = spoke ? 'conversation' : 'no_answer';
    if (spoke) this.data.rightPartyContact = true;
    this.data.pendingCall = undefined;
    this.note('call_outcome', `Call ${outcome.taskId ?? pending?.taskId ?? ''} outcome: ${outcome.outcome.replace('_', ' ')}${outcome.note ? ` (${outcome.note})` : ''}`, {
      outcome: outcome.outcome,
      taskId: outcome.taskId ?? pending?.taskId,
    });
    if (outcome.outcome === 'wrong_number') this.markInvalidContact('phone', 'the collector reported a wrong number');
    if (outcome.outcome === 'promise' && outcome.promise) this.makePromise('promise', outcome.promise.amountMinor, outcome.promise.dueDate, undefined);
  }

  private receiveSurvey(response: schemas.SurveyResponse): void {
    if (!this.data.survey || this.data.survey.score !== undefined) return this.rejectSignal('surveyResponse', 'no survey is awaiting an answer');
    this.data.survey.score = response.score;
    this.note('survey_answered', `Satisfaction survey answered: ${response.score}/5`, { score: response.score });
  }

  private markInvalidContact(kind: 'phone' | 'address', why: string): void {
    const value = kind === 'phone' ? this.data.input.debtor.phone : this.data.input.debtor.address?.line1;
    if (!value) return;
    this.data.invalidContact[kind] = iso(this.now());
    const shown = kind === 'phone' ? maskPhone(value) : 'postal address';
    this.note('contact_refresh_requested', `Debtor ${shown} is not valid (${why}); contact refresh requested, ${kind === 'phone' ? 'SMS and calls' : 'letters'} wait up to ${this.plan.contactRefresh.waitFor} for new details`, { contact: kind });
  }

  // ---- Views ---------------------------------------------------------------------------

  private status(): CaseStatus {
    const d = this.data;
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
      nextAction: d.outcome ? undefined : this.next?.action,
      nextActionAt: d.outcome || this.next?.at === undefined ? undefined : iso(this.next.at),
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
      satisfactionScore: d.survey?.score,
    };
  }

  private sync(): void {
    this.upserted = syncSearchAttributes(this.data, this.upserted);
    if (this.reportMemo) this.memo = syncReportMemo(this.data, this.memo);
  }

  // ---- The escalation loop -------------------------------------------------------------

  async run(): Promise<CaseResult> {
    if (!this.data.plan) await this.openWithPlan();
    while (!this.data.outcome) {
      if (wf.workflowInfo().continueAsNewSuggested) await this.continueAsNew();
      await this.decideAndAct();
    }
    await this.askForSatisfaction();
    await wf.condition(wf.allHandlersFinished);
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
    const plan = d.plan;
    this.note('segment_assigned', `Segment ${plan.segment}, ${plan.strategy} strategy, risk ${plan.risk.toFixed(2)}: ${plan.scoreReasons.join('; ')}`, {
      segment: plan.segment,
      strategy: plan.strategy,
      risk: plan.risk,
      policy: `${plan.policyId}@${plan.policyVersion}`,
    });
    const { progress, skipped } = initialProgress(plan.ladder, Date.parse(plan.anchorAt), Date.parse(d.openedAt));
    d.progress = progress;
    if (skipped.length > 0) this.note('steps_skipped', `Opened late: ${skipped.map((s) => s.id).join(', ')} passed over; the case starts at ${plan.ladder[progress.index]!.id}`);
    d.stage = stageOf(plan.ladder[progress.index]!.channel);
    wf.log.info('case opened', { loanId: this.loanId, segment: plan.segment, strategy: plan.strategy });
    this.sync();
  }

  private async continueAsNew(): Promise<never> {
    await wf.condition(wf.allHandlersFinished);
    return wf.continueAsNew<typeof collectionCase>(this.data.input, this.data);
  }

  /** Sleeps until `until` (or forever) unless a message changes the case first. */
  private async waitUntil(until: number | undefined, action: string): Promise<void> {
    const version = this.version;
    this.next = { action, at: until };
    this.sync();
    if (until === undefined) {
      await wf.condition(() => this.version !== version);
      return;
    }
    const delay = until - this.now();
    if (delay > 0) await wf.condition(() => this.version !== version, delay, { summary: action });
  }

  private async decideAndAct(): Promise<void> {
    const d = this.data;
    const now = this.now();
    d.contacts = pruneContacts(d.contacts, now);

    // A promise paid off is recorded as kept before the case resolves.
    if (d.promise && d.outstandingMinor === 0) return this.watchPromise(now);
    if (d.outstandingMinor === 0) return this.resolve('paid_in_full');
    if (d.pause?.until && Date.parse(d.pause.until) <= now) {
      this.note('resumed', 'Operator hold expired; collection resumes');
      d.pause = undefined;
    }
    if (d.dispute && this.plan.profile.disputeSuspendsCollection) return this.waitUntil(undefined, 'dispute under verification');
    if (d.pause) return this.waitUntil(d.pause.until ? Date.parse(d.pause.until) : undefined, `paused: ${d.pause.reason}`);
    if (d.promise) return this.watchPromise(now);
    if (d.pendingCall && Date.parse(d.pendingCall.deadline) <= now) return this.expireCall();
    if (d.agency) {
      if (Date.parse(d.agency.recallAt) <= now) return this.recallFromAgency();
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
      if (this.owesForbearanceOffer()) return this.offerForbearance(due, now);
      if (d.forbearance && Date.parse(d.forbearance.until) > now) return this.waitUntil(Date.parse(d.forbearance.until), `forbearance offer open before ${due.key}`);
    }
    await this.carryOut(due, now);
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

  /** UK CONC: forbearance is offered once, before the first step beyond reminders and calls. */
  private owesForbearanceOffer(): boolean {
    // patched: cases opened before forbearance offers existed replay without one.
    return this.plan.profile.forbearanceBeforeEscalation && !this.data.forbearance && wf.patched('forbearance-before-escalation');
  }

  private async offerForbearance(due: DueStep, now: number): Promise<void> {
    const d = this.data;
    const phone = d.input.debtor.phone;
    const byText = phone !== undefined && !d.ceased && d.invalidContact.phone === undefined;
    const offer: DueStep = { index: -1, step: { id: 'forbearance', channel: 'sms', at: '0s', copyGuarantors: false }, occurrence: 1, dueAt: now, key: 'forbearance-1' };
    if (byText && !(await this.compliant(offer, now, phone))) return;
    const terms = this.plan.forbearance ?? { offerWindow: '14 days', template: 'forbearance_offer' };
    const until = iso(this.now() + ms(terms.offerWindow));
    if (byText) {
      try {
        const { messageId } = await this.providers(`${offer.key}: forbearance offer to ${maskPhone(phone)}`).sendSms({
          idempotencyKey: this.idempotencyKey(offer.key),
          to: phone,
          template: terms.template,
          params: { loanId: this.loanId, amountDue: formatMajorUnits(d.outstandingMinor, d.input.currency), currency: d.input.currency, respondBy: until, options: 'repayment_plan,reduced_payments,suspended_charges' },
          locale: d.input.debtor.locale,
        });
        d.costMinor += this.plan.costs.sms;
        d.contacts.push({ at: iso(this.now()), channel: 'sms', number: phone, result: 'sent' });
        this.note('sms_sent', `Forbearance offer ${offer.key} sent to ${maskPhone(phone)} (${messageId})`, { step: offer.key, providerRef: messageId, channel: 'sms' });
      } catch (error) {
        if (this.isInvalidContact(error)) this.markInvalidContact('phone', 'rejected by the provider');
        else this.note('step_failed', `${offer.key} failed: ${this.failureMessage(error)}`, { step: offer.key });
      }
    }
    d.forbearance = { offeredAt: iso(this.now()), until };
    this.note('forbearance_offered', `Before ${due.key}: forbearance offered (repayment plan, reduced payments, suspended charges); escalation waits until ${until}`, { until });
  }

  private expireCall(): void {
    const d = this.data;
    const pending = d.pendingCall!;
    const attempt = [...d.contacts].reverse().find((c) => c.channel === 'call' && c.result === 'attempt');
    if (attempt) attempt.result = 'no_answer';
    d.pendingCall = undefined;
    this.note('call_outcome', `No outcome reported for call ${pending.taskId}; counted as no answer`, { outcome: 'no_answer', taskId: pending.taskId });
  }

  private resolve(outcome: Outcome): void {
    const d = this.data;
    if (d.outcome) return;
    d.outcome = outcome;
    d.resolvedAt = iso(this.now());
    d.promise = undefined;
    this.next = undefined;
    this.note('resolved', `Case resolved: ${outcome.replace(/_/g, ' ')}; paid ${this.money(d.paidMinor)}, outstanding ${this.money(d.outstandingMinor)}, cost ${this.money(d.costMinor)}`, { outcome });
    wf.log.info('case resolved', { loanId: this.loanId, outcome });
    this.sync();
  }

  // ---- Steps ---------------------------------------------------------------------------

  private async carryOut(due: DueStep, now: number): Promise<void> {
    switch (due.step.channel) {
      case 'sms':
      case 'call':
        return this.contactDebtor(due, now);
      case 'letter':
      case 'lawyer_letter':
        return this.sendLetters(due, now);
      case 'litigation':
        if (this.data.outstandingMinor >= this.plan.litigationThresholdMinor) return this.fileLitigation(due, now);
        this.note('below_litigation_threshold', `Outstanding ${this.money(this.data.outstandingMinor)} is below the litigation threshold ${this.money(this.plan.litigationThresholdMinor)}; placing with an agency instead`);
        return this.placeWithAgency(due, now);
      case 'agency':
        return this.placeWithAgency(due, now);
    }
  }

  private done(due: DueStep): void {
    const d = this.data;
    d.progress = advance(d.progress!, due, iso(this.now()));
    d.stage = stageOf(due.step.channel);
    this.sync();
  }

  private skip(due: DueStep, why: string): void {
    this.note('step_skipped', `${due.key} skipped: ${why}`, { step: due.key });
    this.done(due);
  }

  /** Asks the compliance calendar; when the rules forbid now, records the deferral and waits. Returns true to go ahead. */
  private async compliant(due: DueStep, now: number, number?: string): Promise<boolean> {
    const plan = this.plan;
    const decision = await scheduleContact({
      channel: due.step.channel,
      notBefore: iso(now),
      timezone: this.data.input.debtor.timezone,
      jurisdiction: plan.jurisdiction,
      profile: plan.profile,
      recentContacts: this.data.contacts,
      number,
    });
    const at = Date.parse(decision.at);
    if (at <= now) return true;
    for (const deferral of decision.deferrals) {
      this.note('contact_deferred', `${due.key} deferred: ${deferral.detail}`, { step: due.key, rule: deferral.rule, until: deferral.until });
    }
    await this.waitUntil(at, `${due.key} deferred until ${decision.at}`);
    return false;
  }

  /** Whether a contact channel waits for refreshed details (true), is usable (false), or has given up waiting (skip). */
  private awaitingRefresh(kind: 'phone' | 'address', now: number): 'usable' | 'waiting' | 'expired' {
    const since = this.data.invalidContact[kind];
    if (since === undefined) return 'usable';
    return now < Date.parse(since) + ms(this.plan.contactRefresh.waitFor) ? 'waiting' : 'expired';
  }

  private async contactDebtor(due: DueStep, now: number): Promise<void> {
    const d = this.data;
    const phone = d.input.debtor.phone;
    if (d.ceased) return this.skip(due, 'debtor contact ceased');
    if (!phone) return this.skip(due, 'no phone number on file');
    const refresh = this.awaitingRefresh('phone', now);
    if (refresh === 'waiting') {
      return this.waitUntil(Date.parse(d.invalidContact.phone!) + ms(this.plan.contactRefresh.waitFor), 'contact refresh: waiting for a valid phone number');
    }
    if (refresh === 'expired') return this.skip(due, 'phone number invalid and no new one was provided');
    if (!(await this.compliant(due, now, phone))) return;

    const key = this.idempotencyKey(due.key);
    const params = { loanId: this.loanId, amountDue: formatMajorUnits(d.outstandingMinor, d.input.currency), currency: d.input.currency, dpdStep: due.step.id };
    const summary = `${due.key}: ${due.step.channel === 'sms' ? 'SMS reminder' : 'collector call'} to ${maskPhone(phone)}`;
    const acts = this.providers(summary);
    try {
      if (due.step.channel === 'sms') {
        const optOut = this.plan.profile.optOutText;
        const { messageId } = await acts.sendSms({ idempotencyKey: key, to: phone, template: due.step.template ?? 'payment_reminder', params: optOut ? { ...params, optOut } : params, locale: d.input.debtor.locale });
        d.costMinor += this.plan.costs.sms;
        d.contacts.push({ at: iso(this.now()), channel: 'sms', number: phone, result: 'sent' });
        this.note('sms_sent', `SMS reminder ${due.key} sent to ${maskPhone(phone)} (${messageId})`, { step: due.key, providerRef: messageId, channel: 'sms' });
      } else {
        if (d.pendingCall) this.expireCall();
        const assignee = this.assignCollector();
        const { taskId } = await acts.createCallTask({ idempotencyKey: key, to: phone, debtorRef: d.input.debtor.id, assignee, script: due.step.template ?? 'collection_call', params });
        d.costMinor += this.plan.costs.call;
        d.contacts.push({ at: iso(this.now()), channel: 'call', number: phone, result: 'attempt' });
        d.pendingCall = { taskId, key: due.key, number: phone, deadline: iso(this.now() + ms(this.plan.calls.outcomeTimeout)) };
        this.note('call_task_created', `Call ${due.key} to ${maskPhone(phone)} assigned to ${assignee} (${taskId})`, { step: due.key, providerRef: taskId, channel: 'call', assignee });
      }
      this.done(due);
    } catch (error) {
      if (this.isInvalidContact(error)) return this.markInvalidContact('phone', 'rejected by the provider');
      this.failed(due, error);
    }
  }

  private assignCollector(): string {
    const d = this.data;
    const assignee = assigneeAt(this.plan.calls, this.loanId, Date.parse(d.openedAt), this.now());
    if (assignee !== d.assignee) {
      this.note(d.assignee ? 'collector_rotated' : 'collector_assigned', d.assignee ? `Collector rotated from ${d.assignee} to ${assignee}` : `Collector ${assignee} assigned`, { assignee });
      d.assignee = assignee;
    }
    return assignee;
  }

  private async sendLetters(due: DueStep, now: number): Promise<void> {
    const d = this.data;
    if (!(await this.compliant(due, now))) return;
    const debtor = d.input.debtor;
    const lawyer = due.step.channel === 'lawyer_letter';
    const kind = lawyer ? "lawyer's letter" : 'demand letter';
    const refresh = this.awaitingRefresh('address', now);
    if (refresh === 'waiting') {
      return this.waitUntil(Date.parse(d.invalidContact.address!) + ms(this.plan.contactRefresh.waitFor), 'contact refresh: waiting for a valid address');
    }

    const recipients: Array<{ suffix: string; name: string; role: 'debtor' | 'guarantor'; address?: schemas.Address }> = [];
    if (d.ceased && !lawyer) this.note('step_skipped', `${due.key} to the debtor skipped: debtor contact ceased`);
    else if (!debtor.address) this.note('step_skipped', `${due.key} to the debtor skipped: no postal address on file`);
    else if (refresh === 'expired') this.note('step_skipped', `${due.key} to the debtor skipped: address invalid and no new one was provided`);
    else recipients.push({ suffix: '', name: debtor.name, role: 'debtor', address: debtor.address });
    if (due.step.copyGuarantors) {
      (d.input.guarantors ?? []).forEach((g, i) => {
        if (g.address) recipients.push({ suffix: `-g${i + 1}`, name: g.name, role: 'guarantor', address: g.address });
        else this.note('step_skipped', `${due.key} copy to guarantor ${i + 1} skipped: no postal address on file`);
      });
    }

    for (const r of recipients) {
      const key = this.idempotencyKey(`${due.key}${r.suffix}`);
      const acts = this.providers(`${due.key}${r.suffix}: ${kind} to the ${r.role}`);
      try {
        const recipient = { name: r.name, role: r.role };
        const ref = lawyer
          ? (await acts.sendLawyerLetter({ idempotencyKey: key, recipient, address: r.address!, loanId: this.loanId, amountMinor: d.outstandingMinor, currency: d.input.currency })).referenceNo
          : (await acts.sendLetter({ idempotencyKey: key, recipient, address: r.address!, template: due.step.template ?? 'demand_letter', params: { loanId: this.loanId, amountDue: formatMajorUnits(d.outstandingMinor, d.input.currency), currency: d.input.currency } })).letterId;
        d.costMinor += lawyer ? this.plan.costs.lawyer_letter : this.plan.costs.letter;
        this.note(lawyer ? 'lawyer_letter_sent' : 'letter_sent', `${lawyer ? "Lawyer's letter" : 'Demand letter'} ${due.key}${r.suffix} sent to the ${r.role} (${ref})`, {
          step: `${due.key}${r.suffix}`,
          providerRef: ref,
          channel: due.step.channel,
          recipient: r.role,
        });
      } catch (error) {
        if (r.role === 'debtor' && this.isInvalidContact(error)) {
          this.markInvalidContact('address', 'rejected by the mail house');
          continue;
        }
        this.note('step_failed', `${due.key}${r.suffix} to the ${r.role} failed: ${this.failureMessage(error)}`, { step: `${due.key}${r.suffix}` });
      }
    }
    this.done(due);
  }

  private async fileLitigation(due: DueStep, now: number): Promise<void> {
    const d = this.data;
    if (!(await this.compliant(due, now))) return;
    const evidence = {
      contactAttempts: d.timeline.filter((e) => ['sms_sent', 'call_task_created', 'letter_sent', 'lawyer_letter_sent'].includes(e.kind)).map((e) => ({ at: e.at, kind: e.kind, ref: e.data?.providerRef })),
      payments: d.timeline.filter((e) => e.kind === 'payment_received').map((e) => ({ at: e.at, paymentId: e.data?.paymentId, amountMinor: e.data?.amountMinor })),
      brokenPromises: d.brokenPromises,
    };
    try {
      const { caseNo } = await this.providers(`${due.key}: file litigation`).fileLitigation({
        idempotencyKey: this.idempotencyKey(due.key),
        loanId: this.loanId,
        debtor: d.input.debtor,
        guarantors: d.input.guarantors ?? [],
        amountMinor: d.outstandingMinor,
        currency: d.input.currency,
        evidence,
      });
      d.costMinor += this.plan.costs.litigation;
      this.note('litigation_filed', `Litigation filed for ${this.money(d.outstandingMinor)} (court case ${caseNo})`, { step: due.key, providerRef: caseNo, channel: 'litigation' });
      this.done(due);
      this.resolve('litigation_filed');
    } catch (error) {
      this.failed(due, error);
    }
  }

  private async placeWithAgency(due: DueStep, now: number): Promise<void> {
    const d = this.data;
    if (!(await this.compliant(due, now))) return;
    try {
      const { placementId } = await this.providers(`${due.key}: place with ${this.plan.agency.name}`).placeWithAgency({
        idempotencyKey: this.idempotencyKey(due.key),
        loanId: this.loanId,
        debtorRef: d.input.debtor.id,
        amountMinor: d.outstandingMinor,
        currency: d.input.currency,
        agency: this.plan.agency.name,
      });
      const recallAt = this.now() + ms(this.plan.agency.recallAfter);
      d.agency = { placementId, placedAt: iso(this.now()), recallAt: iso(recallAt) };
      this.note('agency_placed', `Placed with ${this.plan.agency.name} (${placementId}) for ${this.money(d.outstandingMinor)}; recall on ${iso(recallAt)} if unpaid`, {
        step: due.key,
        providerRef: placementId,
        channel: 'agency',
      });
      this.done(due);
      d.stage = 'agency';
    } catch (error) {
      this.failed(due, error);
    }
  }

  private async recallFromAgency(): Promise<void> {
    const d = this.data;
    const placement = d.agency!;
    try {
      await this.providers(`recall from ${this.plan.agency.name}`).recallFromAgency({ idempotencyKey: this.idempotencyKey(`recall-${placement.placementId}`), placementId: placement.placementId, loanId: this.loanId });
      this.note('agency_recalled', `Recalled from ${this.plan.agency.name} (${placement.placementId}) with ${this.money(d.outstandingMinor)} unpaid`, { providerRef: placement.placementId });
    } catch (error) {
      this.note('step_failed', `Recall of ${placement.placementId} failed: ${this.failureMessage(error)}`);
    }
    d.agency = undefined;
    this.resolve('written_off');
  }

  private async askForSatisfaction(): Promise<void> {
    const d = this.data;
    const survey = this.data.plan?.survey;
    const phone = d.input.debtor.phone;
    if (!survey?.enabled || !phone || d.ceased || d.invalidContact.phone || (d.outcome !== 'paid_in_full' && d.outcome !== 'settled')) return;
    const due: DueStep = { index: -1, step: { id: 'survey', channel: 'sms', at: '0s', copyGuarantors: false }, occurrence: 1, dueAt: this.now(), key: 'survey-1' };
    while (!(await this.compliant(due, this.now(), phone))) {
      /* deferred by the contact rules: try again at the allowed instant */
    }
    try {
      await this.providers('survey-1: satisfaction survey SMS').sendSms({ idempotencyKey: this.idempotencyKey('survey-1'), to: phone, template: survey.template, params: { loanId: this.loanId }, locale: d.input.debtor.locale });
      d.costMinor += this.plan.costs.survey;
      d.survey = { sentAt: iso(this.now()) };
      this.note('survey_sent', `Satisfaction survey sent to ${maskPhone(phone)}`);
      this.sync();
      await wf.condition(() => d.survey?.score !== undefined, ms(survey.window), { summary: 'awaiting satisfaction survey answer' });
    } catch (error) {
      this.note('step_failed', `Satisfaction survey not sent: ${this.failureMessage(error)}`);
    }
  }

  // ---- Provider plumbing -----------------------------------------------------------------

  /** `<workflowId>/<overdue date>/<step>`: stable across retries and replays, distinct if the loan re-defaults later. */
  private idempotencyKey(step: string): string {
    return `${this.workflowId}/${this.data.input.overdueSince}/${step}`;
  }

  private providers(summary: string) {
    const { timeout, retry } = this.plan.providers;
    return wf.proxyActivities<CollectionActivities>({
      startToCloseTimeout: timeout,
      retry: { ...retry, nonRetryableErrorTypes: ['InvalidContact', 'ProviderRejected'] },
      summary,
    });
  }

  private isInvalidContact(error: unknown): boolean {
    return error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === 'InvalidContact';
  }

  private failureMessage(error: unknown): string {
    if (error instanceof ActivityFailure && error.cause) return error.cause.message;
    return error instanceof Error ? error.message : String(error);
  }

  /** A step whose provider failed for good (rejected, or retries exhausted) is recorded and passed; the ladder goes on. */
  private failed(due: DueStep, error: unknown): void {
    if (!(error instanceof ActivityFailure)) throw error;
    wf.log.warn('step failed', { loanId: this.loanId, step: due.key, error: this.failureMessage(error) });
    this.note('step_failed', `${due.key} failed: ${this.failureMessage(error)}`, { step: due.key });
    this.done(due);
  }
}
