import { msToNumber } from '@temporalio/common/lib/time';
import type { PaymentResult } from '../shared/messages';
import { maskPhone } from '../shared/redact';
import type * as schemas from '../shared/schemas';
import { PROMISE_MADE } from '../shared/timeline';
import { CaseJournal, type Transition } from './case-journal';
import { applyPayment, checkPayment, tally, type CaseData, type PaymentIdMode, type PromiseRecord } from './case-state';
import { dueInstant } from './local-time';

/**
 * The case engine's half for messages: `apply(state, message, now)` validates a message
 * against the case (payloads are schema-checked before), changes the state and returns the
 * timeline events it recorded. Payments, promises, repayment plans, settlements, disputes,
 * holds, cease-contact, contact updates, call outcomes, surveys and review decisions.
 */

export type CaseMessage =
  | { name: 'paymentReceived'; payload: schemas.PaymentReceived }
  | { name: 'promiseToPay'; payload: schemas.PromiseToPay }
  | { name: 'repaymentPlan'; payload: schemas.RepaymentPlan }
  | { name: 'settlementOffer'; payload: schemas.SettlementOffer }
  | { name: 'disputeRaised'; payload: schemas.DisputeRaised }
  | { name: 'disputeResolved'; payload: schemas.DisputeResolved }
  | { name: 'contactUpdated'; payload: schemas.ContactUpdated }
  | { name: 'ceaseContact'; payload: schemas.CeaseContact }
  | { name: 'pause'; payload: schemas.Pause }
  | { name: 'resume'; payload: schemas.Resume }
  | { name: 'callOutcome'; payload: schemas.CallOutcome }
  | { name: 'surveyResponse'; payload: schemas.SurveyResponse }
  | { name: 'reviewResolved'; payload: schemas.ReviewResolved };

export interface ApplyOptions {
  /** How paymentIds are compared (the workflow picks it with `patched`). Default `indexed`. */
  paymentIds?: PaymentIdMode;
}

/** A transition; for a payment, also the answer the `applyPayment` update gives. */
export interface Applied extends Transition {
  reply?: PaymentResult;
}

const ms = (duration: string): number => msToNumber(duration as never);

export function apply(state: CaseData, message: CaseMessage, now: number, options: ApplyOptions = {}): Applied {
  const j = new CaseJournal(state, now);
  let reply: PaymentResult | undefined;
  switch (message.name) {
    case 'paymentReceived':
      reply = receivePayment(j, message.payload, options.paymentIds ?? 'indexed');
      break;
    case 'promiseToPay':
      makePromise(j, 'promise', message.payload.amountMinor, message.payload.dueDate, undefined, message.payload.actor);
      break;
    case 'repaymentPlan':
      agreePlan(j, message.payload);
      break;
    case 'settlementOffer':
      makePromise(j, 'settlement', message.payload.amountMinor, message.payload.validUntil, undefined, message.payload.actor);
      break;
    case 'disputeRaised':
      raiseDispute(j, message.payload);
      break;
    case 'disputeResolved':
      resolveDispute(j, message.payload);
      break;
    case 'contactUpdated':
      updateContact(j, message.payload);
      break;
    case 'ceaseContact':
      ceaseContact(j, message.payload);
      break;
    case 'pause':
      pause(j, message.payload);
      break;
    case 'resume':
      resume(j, message.payload);
      break;
    case 'callOutcome':
      receiveCallOutcome(j, message.payload);
      break;
    case 'surveyResponse':
      receiveSurvey(j, message.payload);
      break;
    case 'reviewResolved':
      decideReview(j, message.payload);
      break;
  }
  return { ...j.done(), reply };
}

/** A message refused before it reached the engine (its payload failed the schema): recorded, never applied. */
export function rejectMessage(state: CaseData, name: string, reason: string, now: number): Transition {
  const j = new CaseJournal(state, now);
  j.reject(name, reason);
  return j.done();
}

function receivePayment(j: CaseJournal, payment: schemas.PaymentReceived, mode: PaymentIdMode): PaymentResult {
  const d = j.data;
  const check = checkPayment(d, payment, mode);
  const result = (accepted: boolean, duplicate: boolean) => ({ accepted, duplicate, outstandingMinor: d.outstandingMinor, paidMinor: d.paidMinor });
  if (!check.ok) {
    const duplicate = check.kind === 'duplicate';
    // A redelivery is counted, not listed: a storm of them must not crowd the timeline (nor the log).
    if (duplicate && mode === 'indexed') {
      tally(d, 'payment_duplicate');
      return result(false, true);
    }
    j.note(duplicate ? 'payment_duplicate' : 'payment_rejected', check.reason, { paymentId: payment.paymentId });
    j.log('warn', 'payment not applied', { paymentId: payment.paymentId, reason: check.reason });
    return result(false, duplicate);
  }
  const { appliedMinor, overpaidMinor } = applyPayment(d, payment, d.plan?.costs.agencyCommissionBps ?? 0, mode);
  const over = overpaidMinor > 0 ? `; overpaid by ${j.money(overpaidMinor)}` : '';
  j.note('payment_received', `Payment ${payment.paymentId} of ${j.money(payment.amountMinor)} received; outstanding ${j.money(d.outstandingMinor)}${over}`, {
    paymentId: payment.paymentId,
    amountMinor: payment.amountMinor,
    appliedMinor,
    overpaidMinor,
    receivedAt: payment.receivedAt,
    channel: payment.channel,
  });
  return result(true, false);
}

function makePromise(j: CaseJournal, kind: PromiseRecord['kind'], amountMinor: number, dueDate: string, instalments: PromiseRecord['instalments'], actor?: string): void {
  const d = j.data;
  const now = j.now;
  if (d.outcome) return j.reject(kind, 'the case is already resolved');
  const dueEnd = dueInstant(dueDate, d.input.debtor.timezone);
  if (dueEnd < now) return j.reject(kind, `due date ${dueDate} is in the past`);
  const plan = d.plan;
  const grace = plan ? ms(plan.promises.grace) : 0;
  if (plan && kind === 'promise' && dueEnd - now > ms(plan.promises.maxDuration)) {
    return j.reject(kind, `due date ${dueDate} is further out than the policy allows (${plan.promises.maxDuration})`);
  }
  if (kind === 'settlement' && amountMinor >= d.outstandingMinor) {
    return j.reject(kind, 'a settlement must be less than the outstanding amount');
  }
  const graceUntil = new Date(dueEnd + grace).toISOString();
  d.promise = { kind, amountMinor, dueDate, graceUntil, paidAtStart: d.paidMinor, instalments };
  const what = { promise: 'Promise to pay', plan: `Repayment plan of ${instalments?.length ?? 0} instalments`, settlement: 'Settlement accepted' }[kind];
  j.note(PROMISE_MADE[kind], `${what}: ${j.money(amountMinor)} by ${dueDate}; escalation paused until ${graceUntil}`, { amountMinor, dueDate, actor });
}

function agreePlan(j: CaseJournal, plan: schemas.RepaymentPlan): void {
  const d = j.data;
  const tz = d.input.debtor.timezone;
  const grace = d.plan ? ms(d.plan.promises.grace) : 0;
  const instalments = plan.instalments
    .map((i) => ({ ...i, graceUntil: new Date(dueInstant(i.dueDate, tz) + grace).toISOString() }))
    .sort((a, b) => a.graceUntil.localeCompare(b.graceUntil));
  const last = instalments[instalments.length - 1]!;
  const maxMonths = d.plan?.profile.maxPlanMonths;
  if (maxMonths !== undefined && dueInstant(last.dueDate, tz) - j.now > maxMonths * 31 * 24 * 3600 * 1000) {
    return j.reject('repaymentPlan', `a repayment plan may last at most ${maxMonths} months`);
  }
  const total = instalments.reduce((sum, i) => sum + i.amountMinor, 0);
  if (!Number.isSafeInteger(total)) return j.reject('repaymentPlan', `the instalments add up past ${Number.MAX_SAFE_INTEGER} minor units`);
  makePromise(j, 'plan', total, last.dueDate, instalments, plan.actor);
}

function raiseDispute(j: CaseJournal, dispute: schemas.DisputeRaised): void {
  if (j.data.outcome) return j.reject('disputeRaised', 'the case is already resolved');
  j.data.dispute = { reason: dispute.reason };
  j.note('dispute_raised', `Dispute raised: ${dispute.reason}; collection suspended while it is verified`, { actor: dispute.actor });
}

function resolveDispute(j: CaseJournal, resolution: schemas.DisputeResolved): void {
  if (!j.data.dispute) return j.reject('disputeResolved', 'there is no open dispute');
  j.data.dispute = undefined;
  const note = resolution.note ? `: ${resolution.note}` : '';
  if (resolution.upheld) {
    j.note('dispute_resolved', `Dispute upheld${note}; the claim is cancelled`, { upheld: true, actor: resolution.actor });
    j.resolve('cancelled');
  } else {
    j.note('dispute_resolved', `Dispute rejected after verification${note}; collection resumes`, { upheld: false, actor: resolution.actor });
  }
}

function updateContact(j: CaseJournal, update: schemas.ContactUpdated): void {
  const d = j.data;
  const debtor = d.input.debtor;
  const changed: string[] = [];
  if (update.phone) {
    debtor.phone = update.phone;
    d.invalidContact.phone = undefined;
    changed.push(`phone ${maskPhone(update.phone)}`);
  }
  if (update.email) {
    debtor.email = update.email;
    changed.push('email');
  }
  if (update.address) {
    debtor.address = update.address;
    d.invalidContact.address = undefined;
    changed.push('address');
  }
  j.note('contact_updated', `Contact details updated: ${changed.join(', ')}`, { actor: update.actor });
}

function ceaseContact(j: CaseJournal, cease: schemas.CeaseContact): void {
  j.data.ceased = { reason: cease.reason };
  j.note('contact_ceased', `Debtor contact ceased: ${cease.reason}; legal steps may continue`, { actor: cease.actor });
}

function pause(j: CaseJournal, hold: schemas.Pause): void {
  if (j.data.outcome) return j.reject('pause', 'the case is already resolved');
  j.data.pause = { reason: hold.reason, until: hold.until, actor: hold.actor };
  j.note('paused', `Paused${hold.actor ? ` by ${hold.actor}` : ''}: ${hold.reason}${hold.until ? ` until ${hold.until}` : ''}`, { actor: hold.actor });
}

function resume(j: CaseJournal, request: schemas.Resume): void {
  if (!j.data.pause) return j.reject('resume', 'the case is not paused');
  j.data.pause = undefined;
  j.note('resumed', `Resumed${request.actor ? ` by ${request.actor}` : ''}${request.reason ? `: ${request.reason}` : ''}`, { actor: request.actor });
}

function receiveCallOutcome(j: CaseJournal, outcome: schemas.CallOutcome): void {
  const d = j.data;
  const pending = d.pendingCall;
  const attempt = [...d.contacts].reverse().find((c) => c.channel === 'call' && c.result === 'attempt');
  const spoke = outcome.outcome === 'promise' || outcome.outcome === 'refused' || outcome.outcome === 'paid_claimed';
  if (attempt) attempt.result = spoke ? 'conversation' : 'no_answer';
  if (spoke) d.rightPartyContact = true;
  d.pendingCall = undefined;
  j.note('call_outcome', `Call ${outcome.taskId ?? pending?.taskId ?? ''} outcome: ${outcome.outcome.replace('_', ' ')}${outcome.note ? ` (${outcome.note})` : ''}`, {
    outcome: outcome.outcome,
    taskId: outcome.taskId ?? pending?.taskId,
    actor: outcome.actor,
  });
  if (outcome.outcome === 'wrong_number') markInvalidContact(j, 'phone', 'the collector reported a wrong number');
  if (outcome.outcome === 'promise' && outcome.promise) makePromise(j, 'promise', outcome.promise.amountMinor, outcome.promise.dueDate, undefined, outcome.actor);
}

function receiveSurvey(j: CaseJournal, response: schemas.SurveyResponse): void {
  const survey = j.data.survey;
  if (!survey || survey.score !== undefined) return j.reject('surveyResponse', 'no survey is awaiting an answer');
  survey.score = response.score;
  j.note('survey_answered', `Satisfaction survey answered: ${response.score}/5`, { score: response.score, actor: response.actor });
}

/** Records a supervisor's decision on a case in needs_review; the case's loop carries it out. */
function decideReview(j: CaseJournal, decision: schemas.ReviewResolved): void {
  const review = j.data.review;
  if (!review || j.data.outcome) return j.reject('reviewResolved', 'the case is not in review');
  if (review.decision) return j.reject('reviewResolved', `the review was already resolved (${review.decision.action})`);
  review.decision = { action: decision.action, note: decision.note, actor: decision.actor };
}

/**
 * A phone number or address found invalid (by a provider or a collector): SMS and calls (or
 * letters) wait up to the policy's contactRefresh.waitFor for new details.
 */
export function markInvalidContact(j: CaseJournal, kind: 'phone' | 'address', why: string): void {
  const d = j.data;
  const value = kind === 'phone' ? d.input.debtor.phone : d.input.debtor.address?.line1;
  if (!value) return;
  d.invalidContact[kind] = j.at;
  const shown = kind === 'phone' ? maskPhone(value) : 'postal address';
  j.note('contact_refresh_requested', `Debtor ${shown} is not valid (${why}); contact refresh requested, ${kind === 'phone' ? 'SMS and calls' : 'letters'} wait up to ${d.plan!.contactRefresh.waitFor} for new details`, { contact: kind });
}
