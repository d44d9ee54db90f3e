import { msToNumber } from '@temporalio/common/lib/time';
import { maskPhone } from '../shared/redact';
import type { Address } from '../shared/schemas';
import type { TimelineKind } from '../shared/timeline';
import { CaseJournal, type Transition } from './case-journal';
import type { CaseData } from './case-state';
import type { DueStep } from './ladder';
import { noteNoticeGiven } from './notice';
import { assigneeAt } from './rotation';
import { expireCall, needReview, stepDone } from './transitions';
import type { Deferral } from './types';

/**
 * The rules of carrying out a step, for the workflow that makes the provider calls: who
 * gets a letter, whether a contact waits for refreshed details, which collector calls, what
 * a litigation filing carries as evidence, and what each provider's answer does to the case
 * (costs, the contact log, notices, the call awaiting its outcome, the agency placement).
 */

const ms = (duration: string): number => msToNumber(duration as never);
const iso = (t: number) => new Date(t).toISOString();

/** An SMS outside the ladder (forbearance offer, survey): checked by the same contact rules, keyed `<id>-1`. */
export function oneOffText(id: string, now: number): DueStep {
  return { index: -1, step: { id, channel: 'sms', at: '0s', copyGuarantors: false }, occurrence: 1, dueAt: now, key: `${id}-1` };
}

/** Whether a contact channel is usable, waits for refreshed details, or has given up waiting. */
export type Refresh = 'usable' | 'waiting' | 'expired';

export function contactRefresh(d: CaseData, kind: 'phone' | 'address', now: number): Refresh {
  const since = d.invalidContact[kind];
  if (since === undefined) return 'usable';
  return now < refreshDeadline(d, kind) ? 'waiting' : 'expired';
}

/** Until when a channel waits for refreshed details. */
export function refreshDeadline(d: CaseData, kind: 'phone' | 'address'): number {
  return Date.parse(d.invalidContact[kind]!) + ms(d.plan!.contactRefresh.waitFor);
}

/** How an SMS or call step goes: passed over (and why), waiting for a new number, or to the phone on file. */
export type ContactRoute = { kind: 'skip'; why: string } | { kind: 'wait'; until: number; action: string } | { kind: 'contact'; phone: string };

export function routeContact(d: CaseData, now: number): ContactRoute {
  const phone = d.input.debtor.phone;
  if (d.ceased) return { kind: 'skip', why: 'debtor contact ceased' };
  if (!phone) return { kind: 'skip', why: 'no phone number on file' };
  const refresh = contactRefresh(d, 'phone', now);
  if (refresh === 'waiting') return { kind: 'wait', until: refreshDeadline(d, 'phone'), action: 'contact refresh: waiting for a valid phone number' };
  if (refresh === 'expired') return { kind: 'skip', why: 'phone number invalid and no new one was provided' };
  return { kind: 'contact', phone };
}

export interface LetterRecipient {
  /** Appended to the step's key: '' for the debtor, `-g<n>` for the n-th guarantor. */
  suffix: string;
  name: string;
  role: 'debtor' | 'guarantor';
  address: Address;
}

/** Who a letter goes to (the debtor, and guarantors when the step copies them), recording who is passed over and why. */
export function letterRecipients(d: CaseData, due: DueStep, refresh: Refresh, now: number): Transition & { recipients: LetterRecipient[] } {
  const j = new CaseJournal(d, now);
  const debtor = d.input.debtor;
  const lawyer = due.step.channel === 'lawyer_letter';
  const recipients: LetterRecipient[] = [];
  if (d.ceased && !lawyer) j.note('step_skipped', `${due.key} to the debtor skipped: debtor contact ceased`);
  else if (!debtor.address) j.note('step_skipped', `${due.key} to the debtor skipped: no postal address on file`);
  else if (refresh === 'expired') j.note('step_skipped', `${due.key} to the debtor skipped: address invalid and no new one was provided`);
  else recipients.push({ suffix: '', name: debtor.name, role: 'debtor', address: debtor.address });
  if (due.step.copyGuarantors) {
    (d.input.guarantors ?? []).forEach((g, i) => {
      if (g.address) recipients.push({ suffix: `-g${i + 1}`, name: g.name, role: 'guarantor', address: g.address });
      else j.note('step_skipped', `${due.key} copy to guarantor ${i + 1} skipped: no postal address on file`);
    });
  }
  return { ...j.done(), recipients };
}

/** Litigation is filed at or above the policy's threshold; below it the case is placed with an agency instead. */
export function routeLitigation(d: CaseData, now: number): Transition & { route: 'file' | 'agency' } {
  const j = new CaseJournal(d, now);
  const threshold = d.plan!.litigationThresholdMinor;
  if (d.outstandingMinor >= threshold) return { ...j.done(), route: 'file' };
  j.note('below_litigation_threshold', `Outstanding ${j.money(d.outstandingMinor)} is below the litigation threshold ${j.money(threshold)}; placing with an agency instead`);
  return { ...j.done(), route: 'agency' };
}

/** The timeline's contact attempts a filing shows the court. */
const CONTACT_ATTEMPTS: readonly TimelineKind[] = ['sms_sent', 'call_task_created', 'letter_sent', 'lawyer_letter_sent'];

/** What a filing carries: every contact attempt and payment the timeline window holds, and the broken promises. */
export function litigationEvidence(d: CaseData) {
  return {
    contactAttempts: d.timeline.filter((e) => CONTACT_ATTEMPTS.includes(e.kind)).map((e) => ({ at: e.at, kind: e.kind, ref: e.data?.providerRef })),
    payments: d.timeline.filter((e) => e.kind === 'payment_received').map((e) => ({ at: e.at, paymentId: e.data?.paymentId, amountMinor: e.data?.amountMinor })),
    brokenPromises: d.brokenPromises,
  };
}

/** The collector of the moment (rotation), recording an assignment or a rotation. */
export function assignCollector(d: CaseData, now: number): Transition & { assignee: string } {
  const j = new CaseJournal(d, now);
  const assignee = assigneeAt(d.plan!.calls, d.input.loanId, Date.parse(d.openedAt), now);
  if (assignee !== d.assignee) {
    j.note(d.assignee ? 'collector_rotated' : 'collector_assigned', d.assignee ? `Collector rotated from ${d.assignee} to ${assignee}` : `Collector ${assignee} assigned`, { assignee });
    d.assignee = assignee;
  }
  return { ...j.done(), assignee };
}

/** A new call: a call still awaiting its outcome is counted as no answer first, then the collector of the moment takes it. */
export function prepareCall(d: CaseData, now: number): Transition & { assignee: string } {
  const expired = d.pendingCall ? expireCall(d, now) : undefined;
  const assigned = assignCollector(d, now);
  if (!expired) return assigned;
  return { ...assigned, events: [...expired.events, ...assigned.events], logs: [...expired.logs, ...assigned.logs] };
}

/** An SMS the provider accepted (a reminder of the ladder, or the forbearance offer). */
export function smsSent(d: CaseData, sms: { key: string; phone: string; messageId: string; what: 'reminder' | 'forbearance' }, now: number): Transition {
  const j = new CaseJournal(d, now);
  d.costMinor += d.plan!.costs.sms;
  d.contacts.push({ at: j.at, channel: 'sms', number: sms.phone, result: 'sent' });
  const what = sms.what === 'reminder' ? 'SMS reminder' : 'Forbearance offer';
  j.note('sms_sent', `${what} ${sms.key} sent to ${maskPhone(sms.phone)} (${sms.messageId})`, { step: sms.key, providerRef: sms.messageId, channel: 'sms' });
  return j.done();
}

/** A call task the dialer created: the call awaits its outcome until the policy's timeout. */
export function callTaskCreated(d: CaseData, call: { key: string; phone: string; taskId: string; assignee: string }, now: number): Transition {
  const j = new CaseJournal(d, now);
  const plan = d.plan!;
  d.costMinor += plan.costs.call;
  d.contacts.push({ at: j.at, channel: 'call', number: call.phone, result: 'attempt' });
  d.pendingCall = { taskId: call.taskId, deadline: iso(now + ms(plan.calls.outcomeTimeout)) };
  j.note('call_task_created', `Call ${call.key} to ${maskPhone(call.phone)} assigned to ${call.assignee} (${call.taskId})`, { step: call.key, providerRef: call.taskId, channel: 'call', assignee: call.assignee });
  return j.done();
}

/** A letter the mail house (or law firm) accepted; the debtor's copy counts as notice before legal steps. */
export function letterSent(d: CaseData, due: DueStep, to: LetterRecipient, ref: string, now: number): Transition {
  const j = new CaseJournal(d, now);
  const lawyer = due.step.channel === 'lawyer_letter';
  d.costMinor += lawyer ? d.plan!.costs.lawyer_letter : d.plan!.costs.letter;
  if (to.role === 'debtor') d.notices = noteNoticeGiven(d.notices ?? {}, due.step.channel, j.at);
  j.note(lawyer ? 'lawyer_letter_sent' : 'letter_sent', `${lawyer ? "Lawyer's letter" : 'Demand letter'} ${due.key}${to.suffix} sent to the ${to.role} (${ref})`, {
    step: `${due.key}${to.suffix}`,
    providerRef: ref,
    channel: due.step.channel,
    recipient: to.role,
  });
  return j.done();
}

/** A filing the court accepted: the step is done and the case resolved as litigation_filed. */
export function litigationFiled(d: CaseData, due: DueStep, caseNo: string, now: number): Transition {
  const j = new CaseJournal(d, now);
  d.costMinor += d.plan!.costs.litigation;
  j.note('litigation_filed', `Litigation filed for ${j.money(d.outstandingMinor)} (court case ${caseNo})`, { step: due.key, providerRef: caseNo, channel: 'litigation' });
  return j.done();
}

/** A placement the agency accepted: the case waits for it until the recall date. */
export function agencyPlaced(d: CaseData, due: DueStep, placementId: string, now: number): Transition {
  const j = new CaseJournal(d, now);
  const agency = d.plan!.agency;
  const recallAt = iso(now + ms(agency.recallAfter));
  d.agency = { placementId, recallAt };
  j.note('agency_placed', `Placed with ${agency.name} (${placementId}) for ${j.money(d.outstandingMinor)}; recall on ${recallAt} if unpaid`, { step: due.key, providerRef: placementId, channel: 'agency' });
  return j.done();
}

/** Once placed, the case is in the agency stage, whichever step placed it (a litigation below the threshold too). */
export function enterAgencyStage(d: CaseData): void {
  d.stage = 'agency';
}

/** The placement recalled (or its recall failed): the case is written off. */
export function agencyRecalled(d: CaseData, failure: string | undefined, now: number): Transition {
  const j = new CaseJournal(d, now);
  const placement = d.agency!;
  const name = d.plan!.agency.name;
  if (failure === undefined) j.note('agency_recalled', `Recalled from ${name} (${placement.placementId}) with ${j.money(d.outstandingMinor)} unpaid`, { providerRef: placement.placementId });
  else j.note('step_failed', `Recall of ${placement.placementId} failed: ${failure}`);
  d.agency = undefined;
  j.resolve('written_off');
  return j.done();
}

/** The satisfaction survey goes to paid or settled cases with a usable phone, when the policy asks for one. */
export function owesSurvey(d: CaseData): boolean {
  const survey = d.plan?.survey;
  const phone = d.input.debtor.phone;
  return Boolean(survey?.enabled && phone && !d.ceased && !d.invalidContact.phone && (d.outcome === 'paid_in_full' || d.outcome === 'settled'));
}

/** A step whose provider failed for good (rejected, or retries exhausted): recorded, and the ladder goes on. */
export function stepFailed(d: CaseData, due: DueStep, failure: string, now: number): Transition {
  const j = new CaseJournal(d, now);
  j.log('warn', 'step failed', { step: due.key, error: failure });
  j.note('step_failed', `${due.key} failed: ${failure}`, { step: due.key });
  stepDone(d, due, now);
  return j.done();
}

/** No allowed instant exists for a contact (or the rules cannot be read): a supervisor decides, the case never fails. */
export function noAllowedInstant(d: CaseData, due: DueStep, why: string, now: number): Transition {
  return needReview(d, 'no_allowed_instant', `${due.key}: no allowed instant for this contact (${why})`, due.key, now);
}

/** The contact rules deferred a contact: each rule that did is recorded. */
export function contactDeferred(d: CaseData, due: DueStep, deferrals: Deferral[], now: number): Transition {
  const j = new CaseJournal(d, now);
  for (const deferral of deferrals) j.note('contact_deferred', `${due.key} deferred: ${deferral.detail}`, { step: due.key, rule: deferral.rule, until: deferral.until });
  return j.done();
}

/** A forbearance offer goes by text when the debtor's phone is usable; otherwise it is recorded without one. */
export function forbearanceByText(d: CaseData): string | undefined {
  const phone = d.input.debtor.phone;
  return phone !== undefined && !d.ceased && d.invalidContact.phone === undefined ? phone : undefined;
}

/** The survey SMS went out: the case waits for the answer (surveyResponse) within the policy's window. */
export function surveySent(d: CaseData, phone: string, now: number): Transition {
  const j = new CaseJournal(d, now);
  d.costMinor += d.plan!.costs.survey;
  d.survey = {};
  j.note('survey_sent', `Satisfaction survey sent to ${maskPhone(phone)}`);
  return j.done();
}

/** How long a forbearance offer stays open, and with which template. */
export function forbearanceTerms(d: CaseData): { offerWindow: string; template: string } {
  return d.plan!.forbearance ?? { offerWindow: '14 days', template: 'forbearance_offer' };
}

/** Until when a forbearance offer made at `now` stays open. */
export function forbearanceUntil(d: CaseData, now: number): string {
  return iso(now + ms(forbearanceTerms(d).offerWindow));
}

/** A forbearance offer made (by text when the phone is usable): escalation waits until `until`. */
export function forbearanceOffered(d: CaseData, due: DueStep, until: string, now: number): Transition {
  const j = new CaseJournal(d, now);
  d.forbearance = { until };
  j.note('forbearance_offered', `Before ${due.key}: forbearance offered (repayment plan, reduced payments, suspended charges); escalation waits until ${until}`, { until });
  return j.done();
}
