import * as wf from '@temporalio/workflow';
import { applyPayment, checkPayment, indexPayments, tally, type PaymentCheck, type PaymentIdMode, type PromiseRecord } from '../domain/case-state';
import { dueInstant } from '../domain/local-time';
import * as messages from '../shared/messages';
import { maskPhone } from '../shared/redact';
import * as schemas from '../shared/schemas';
import type { PaymentReceived } from '../shared/schemas';
import { iso, ms, type CaseContext } from './case-context';

/**
 * The case's signals, update and queries. Every payload is validated with the schema
 * clients use; an invalid one is recorded on the timeline and never crashes the case.
 */

const PAYMENT_REFUSALS: Record<Exclude<PaymentCheck, { ok: true }>['kind'], messages.PaymentRefusal> = {
  duplicate: 'DuplicatePayment',
  conflict: 'PaymentConflict',
  currency_mismatch: 'CurrencyMismatch',
  too_large: 'InvalidPayment',
};

export function registerCaseHandlers(c: CaseContext): void {
  c.boundedMessages = wf.patched('bounded-message-work');
  c.reportMemo = wf.patched('report-memo');
  c.holdEarlyMessages = wf.patched('messages-wait-for-case-opening');
  c.caseSafety = wf.patched('case-safety');
  // Runs started before this patch compared paymentIds exactly and applied the update's raw
  // payload ("P1 " after "P1" counted twice); they keep doing so until they continue as new.
  const trimmed = wf.patched('payment-id-trimmed');
  const paymentIds: PaymentIdMode = c.boundedMessages ? 'indexed' : trimmed ? 'trimmed' : 'exact';
  if (paymentIds === 'indexed') indexPayments(c.data);
  const accept = <T>(name: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } }, apply: (value: T) => void) =>
    (raw: unknown) =>
      c.afterOpening(() => {
        const parsed = schema.safeParse(raw);
        if (!parsed.success) return c.rejectSignal(name, schemas.describeZodError(parsed.error));
        apply(parsed.data);
        c.changed();
      });

  wf.setHandler(messages.paymentReceivedSignal, accept('paymentReceived', schemas.PaymentReceived, (p) => void receivePayment(c, p, paymentIds)));
  wf.setHandler(messages.promiseToPaySignal, accept('promiseToPay', schemas.PromiseToPay, (p) => makePromise(c, 'promise', p.amountMinor, p.dueDate, undefined, p.actor)));
  wf.setHandler(messages.repaymentPlanSignal, accept('repaymentPlan', schemas.RepaymentPlan, (p) => agreePlan(c, p)));
  wf.setHandler(messages.settlementOfferSignal, accept('settlementOffer', schemas.SettlementOffer, (p) => makePromise(c, 'settlement', p.amountMinor, p.validUntil, undefined, p.actor)));
  wf.setHandler(messages.disputeRaisedSignal, accept('disputeRaised', schemas.DisputeRaised, (p) => raiseDispute(c, p)));
  wf.setHandler(messages.disputeResolvedSignal, accept('disputeResolved', schemas.DisputeResolved, (p) => resolveDispute(c, p)));
  wf.setHandler(messages.contactUpdatedSignal, accept('contactUpdated', schemas.ContactUpdated, (p) => updateContact(c, p)));
  wf.setHandler(messages.ceaseContactSignal, accept('ceaseContact', schemas.CeaseContact, (p) => ceaseContact(c, p)));
  wf.setHandler(messages.pauseSignal, accept('pause', schemas.Pause, (p) => pause(c, p)));
  wf.setHandler(messages.resumeSignal, accept('resume', schemas.Resume, (p) => resume(c, p)));
  wf.setHandler(messages.callOutcomeSignal, accept('callOutcome', schemas.CallOutcome, (p) => receiveCallOutcome(c, p)));
  wf.setHandler(messages.surveyResponseSignal, accept('surveyResponse', schemas.SurveyResponse, (p) => receiveSurvey(c, p)));
  wf.setHandler(messages.reviewResolvedSignal, accept('reviewResolved', schemas.ReviewResolved, (p) => decideReview(c, p)));

  // The validator refuses every payment that would not be applied (invalid, duplicate,
  // conflicting, other currency): a refused update leaves no event in history, so a
  // webhook delivered 30 times adds history once.
  wf.setHandler(
    messages.applyPaymentUpdate,
    (raw) =>
      c.afterOpening(() => {
        // The payment the validator checked: trimmed by the schema, like the signal's.
        const payment = paymentIds !== 'exact' ? schemas.PaymentReceived.parse(raw) : raw;
        const result = receivePayment(c, payment, paymentIds);
        c.changed();
        return result;
      }),
    {
      validator: (raw) => {
        const parsed = schemas.PaymentReceived.safeParse(raw);
        if (!parsed.success) throw wf.ApplicationFailure.create({ type: 'InvalidPayment' satisfies messages.PaymentRefusal, message: `invalid payment: ${schemas.describeZodError(parsed.error)}`, nonRetryable: true });
        const check = checkPayment(c.data, parsed.data, paymentIds);
        if (!check.ok) throw wf.ApplicationFailure.create({ type: PAYMENT_REFUSALS[check.kind], message: check.reason, nonRetryable: true });
      },
    },
  );

  wf.setHandler(messages.statusQuery, () => c.status());
  wf.setHandler(messages.timelineQuery, () => c.data.timeline);
}

function receivePayment(c: CaseContext, payment: PaymentReceived, paymentIds: PaymentIdMode): messages.PaymentResult {
  const check = checkPayment(c.data, payment, paymentIds);
  const result = (accepted: boolean, duplicate: boolean) => ({ accepted, duplicate, outstandingMinor: c.data.outstandingMinor, paidMinor: c.data.paidMinor });
  if (!check.ok) {
    const duplicate = check.kind === 'duplicate';
    // A redelivery is counted, not listed: a storm of them must not crowd the timeline (nor the log).
    if (duplicate && paymentIds === 'indexed') {
      tally(c.data, 'payment_duplicate');
      return result(false, true);
    }
    c.note(duplicate ? 'payment_duplicate' : 'payment_rejected', check.reason, { paymentId: payment.paymentId });
    wf.log.warn('payment not applied', { loanId: c.loanId, paymentId: payment.paymentId, reason: check.reason });
    return result(false, duplicate);
  }
  const { appliedMinor, overpaidMinor } = applyPayment(c.data, payment, c.data.plan?.costs.agencyCommissionBps ?? 0, paymentIds);
  const over = overpaidMinor > 0 ? `; overpaid by ${c.money(overpaidMinor)}` : '';
  c.note('payment_received', `Payment ${payment.paymentId} of ${c.money(payment.amountMinor)} received; outstanding ${c.money(c.data.outstandingMinor)}${over}`, {
    paymentId: payment.paymentId,
    amountMinor: payment.amountMinor,
    appliedMinor,
    overpaidMinor,
    receivedAt: payment.receivedAt,
    channel: payment.channel,
  });
  return result(true, false);
}

function makePromise(c: CaseContext, kind: PromiseRecord['kind'], amountMinor: number, dueDate: string, instalments: PromiseRecord['instalments'], actor?: string): void {
  const now = c.now();
  if (c.data.outcome) return c.rejectSignal(kind, 'the case is already resolved');
  const tz = c.data.input.debtor.timezone;
  const dueEnd = dueInstant(dueDate, tz);
  if (dueEnd < now) return c.rejectSignal(kind, `due date ${dueDate} is in the past`);
  const plan = c.data.plan;
  const grace = plan ? ms(plan.promises.grace) : 0;
  if (plan && kind === 'promise' && dueEnd - now > ms(plan.promises.maxDuration)) {
    return c.rejectSignal(kind, `due date ${dueDate} is further out than the policy allows (${plan.promises.maxDuration})`);
  }
  if (kind === 'settlement' && amountMinor >= c.data.outstandingMinor) {
    return c.rejectSignal(kind, 'a settlement must be less than the outstanding amount');
  }
  c.data.promise = { kind, amountMinor, dueDate, graceUntil: iso(dueEnd + grace), paidAtStart: c.data.paidMinor, instalments };
  const what = { promise: 'Promise to pay', plan: `Repayment plan of ${instalments?.length ?? 0} instalments`, settlement: 'Settlement accepted' }[kind];
  c.note(`${kind}_made`, `${what}: ${c.money(amountMinor)} by ${dueDate}; escalation paused until ${iso(dueEnd + grace)}`, { amountMinor, dueDate, actor });
}

function agreePlan(c: CaseContext, plan: schemas.RepaymentPlan): void {
  const tz = c.data.input.debtor.timezone;
  const grace = c.data.plan ? ms(c.data.plan.promises.grace) : 0;
  const instalments = plan.instalments
    .map((i) => ({ ...i, graceUntil: iso(dueInstant(i.dueDate, tz) + grace) }))
    .sort((a, b) => a.graceUntil.localeCompare(b.graceUntil));
  const last = instalments[instalments.length - 1]!;
  const maxMonths = c.data.plan?.profile.maxPlanMonths;
  if (maxMonths !== undefined && dueInstant(last.dueDate, tz) - c.now() > maxMonths * 31 * 24 * 3600 * 1000) {
    return c.rejectSignal('repaymentPlan', `a repayment plan may last at most ${maxMonths} months`);
  }
  const total = instalments.reduce((sum, i) => sum + i.amountMinor, 0);
  if (!Number.isSafeInteger(total)) return c.rejectSignal('repaymentPlan', `the instalments add up past ${Number.MAX_SAFE_INTEGER} minor units`);
  makePromise(c, 'plan', total, last.dueDate, instalments, plan.actor);
}

function raiseDispute(c: CaseContext, dispute: schemas.DisputeRaised): void {
  if (c.data.outcome) return c.rejectSignal('disputeRaised', 'the case is already resolved');
  c.data.dispute = { reason: dispute.reason };
  c.note('dispute_raised', `Dispute raised: ${dispute.reason}; collection suspended while it is verified`, { actor: dispute.actor });
}

function resolveDispute(c: CaseContext, resolution: schemas.DisputeResolved): void {
  if (!c.data.dispute) return c.rejectSignal('disputeResolved', 'there is no open dispute');
  c.data.dispute = undefined;
  if (resolution.upheld) {
    c.note('dispute_resolved', `Dispute upheld${resolution.note ? `: ${resolution.note}` : ''}; the claim is cancelled`, { upheld: true, actor: resolution.actor });
    c.resolve('cancelled');
  } else {
    c.note('dispute_resolved', `Dispute rejected after verification${resolution.note ? `: ${resolution.note}` : ''}; collection resumes`, { upheld: false, actor: resolution.actor });
  }
}

function updateContact(c: CaseContext, update: schemas.ContactUpdated): void {
  const debtor = c.data.input.debtor;
  const changed: string[] = [];
  if (update.phone) {
    debtor.phone = update.phone;
    c.data.invalidContact.phone = undefined;
    changed.push(`phone ${maskPhone(update.phone)}`);
  }
  if (update.email) {
    debtor.email = update.email;
    changed.push('email');
  }
  if (update.address) {
    debtor.address = update.address;
    c.data.invalidContact.address = undefined;
    changed.push('address');
  }
  c.note('contact_updated', `Contact details updated: ${changed.join(', ')}`, { actor: update.actor });
}

function ceaseContact(c: CaseContext, cease: schemas.CeaseContact): void {
  c.data.ceased = { reason: cease.reason };
  c.note('contact_ceased', `Debtor contact ceased: ${cease.reason}; legal steps may continue`, { actor: cease.actor });
}

function pause(c: CaseContext, pause: schemas.Pause): void {
  if (c.data.outcome) return c.rejectSignal('pause', 'the case is already resolved');
  c.data.pause = { reason: pause.reason, until: pause.until, actor: pause.actor };
  c.note('paused', `Paused${pause.actor ? ` by ${pause.actor}` : ''}: ${pause.reason}${pause.until ? ` until ${pause.until}` : ''}`, { actor: pause.actor });
}

function resume(c: CaseContext, resume: schemas.Resume): void {
  if (!c.data.pause) return c.rejectSignal('resume', 'the case is not paused');
  c.data.pause = undefined;
  c.note('resumed', `Resumed${resume.actor ? ` by ${resume.actor}` : ''}${resume.reason ? `: ${resume.reason}` : ''}`, { actor: resume.actor });
}

function receiveCallOutcome(c: CaseContext, outcome: schemas.CallOutcome): void {
  const pending = c.data.pendingCall;
  const attempt = [...c.data.contacts].reverse().find((c) => c.channel === 'call' && c.result === 'attempt');
  const spoke = outcome.outcome === 'promise' || outcome.outcome === 'refused' || outcome.outcome === 'paid_claimed';
  if (attempt) attempt.result = spoke ? 'conversation' : 'no_answer';
  if (spoke) c.data.rightPartyContact = true;
  c.data.pendingCall = undefined;
  c.note('call_outcome', `Call ${outcome.taskId ?? pending?.taskId ?? ''} outcome: ${outcome.outcome.replace('_', ' ')}${outcome.note ? ` (${outcome.note})` : ''}`, {
    outcome: outcome.outcome,
    taskId: outcome.taskId ?? pending?.taskId,
    actor: outcome.actor,
  });
  if (outcome.outcome === 'wrong_number') c.markInvalidContact('phone', 'the collector reported a wrong number');
  if (outcome.outcome === 'promise' && outcome.promise) makePromise(c, 'promise', outcome.promise.amountMinor, outcome.promise.dueDate, undefined, outcome.actor);
}

function receiveSurvey(c: CaseContext, response: schemas.SurveyResponse): void {
  if (!c.data.survey || c.data.survey.score !== undefined) return c.rejectSignal('surveyResponse', 'no survey is awaiting an answer');
  c.data.survey.score = response.score;
  c.note('survey_answered', `Satisfaction survey answered: ${response.score}/5`, { score: response.score, actor: response.actor });
}

/** Records a supervisor's decision on a case in needs_review; the case's loop carries it out. */
function decideReview(c: CaseContext, decision: schemas.ReviewResolved): void {
  const review = c.data.review;
  if (!review || c.data.outcome) return c.rejectSignal('reviewResolved', 'the case is not in review');
  if (review.decision) return c.rejectSignal('reviewResolved', `the review was already resolved (${review.decision.action})`);
  review.decision = { action: decision.action, note: decision.note, actor: decision.actor };
}
