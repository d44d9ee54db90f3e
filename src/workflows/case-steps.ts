import * as wf from '@temporalio/workflow';
import type { DueStep } from '../domain/ladder';
import { noteNoticeGiven } from '../domain/notice';
import { assigneeAt } from '../domain/rotation';
import { formatMajorUnits } from '../shared/money';
import { maskPhone } from '../shared/redact';
import type * as schemas from '../shared/schemas';
import { iso, ms, type CaseContext } from './case-context';

/**
 * Carrying out a due step of the ladder: SMS, calls, letters (with guarantor copies),
 * litigation or agency placement; plus the UK forbearance offer and the satisfaction
 * survey. Each contact passes the compliance check first and is recorded on the timeline.
 */

/**
 * A legal step (lawyer's letter, litigation, agency placement) whose provider failed for
 * good puts the case in needs_review rather than passing the step (which could end the
 * case written_off). Cases started before this (no `case-safety` patch) keep the old course.
 */
function reviewLegalFailure(c: CaseContext, due: DueStep, error: unknown, what: string): boolean {
  if (!c.caseSafety) return false;
  c.needsReview('provider_failed', `${what} failed after the provider's retries: ${c.failureMessage(error)}`, due.key);
  return true;
}

/** An SMS outside the ladder (forbearance offer, survey): checked by the same contact rules, keyed `<id>-1`. */
function oneOffText(id: string, now: number): DueStep {
  return { index: -1, step: { id, channel: 'sms', at: '0s', copyGuarantors: false }, occurrence: 1, dueAt: now, key: `${id}-1` };
}

export async function carryOut(c: CaseContext, due: DueStep, now: number): Promise<void> {
  switch (due.step.channel) {
    case 'sms':
    case 'call':
      return contactDebtor(c, due, now);
    case 'letter':
    case 'lawyer_letter':
      return sendLetters(c, due, now);
    case 'litigation':
      if (c.data.outstandingMinor >= c.plan.litigationThresholdMinor) return fileLitigation(c, due, now);
      c.note('below_litigation_threshold', `Outstanding ${c.money(c.data.outstandingMinor)} is below the litigation threshold ${c.money(c.plan.litigationThresholdMinor)}; placing with an agency instead`);
      return placeWithAgency(c, due, now);
    case 'agency':
      return placeWithAgency(c, due, now);
  }
}

export async function offerForbearance(c: CaseContext, due: DueStep, now: number): Promise<void> {
  const d = c.data;
  const phone = d.input.debtor.phone;
  const byText = phone !== undefined && !d.ceased && d.invalidContact.phone === undefined;
  const offer = oneOffText('forbearance', now);
  if (byText && !(await c.compliant(offer, now, phone))) return;
  const terms = c.plan.forbearance ?? { offerWindow: '14 days', template: 'forbearance_offer' };
  const until = iso(c.now() + ms(terms.offerWindow));
  if (byText) {
    try {
      const { messageId } = await c.providers(`${offer.key}: forbearance offer to ${maskPhone(phone)}`).sendSms({
        idempotencyKey: c.idempotencyKey(offer.key),
        to: phone,
        template: terms.template,
        params: { loanId: c.loanId, amountDue: formatMajorUnits(d.outstandingMinor, d.input.currency), currency: d.input.currency, respondBy: until, options: 'repayment_plan,reduced_payments,suspended_charges' },
        locale: d.input.debtor.locale,
      });
      d.costMinor += c.plan.costs.sms;
      d.contacts.push({ at: iso(c.now()), channel: 'sms', number: phone, result: 'sent' });
      c.note('sms_sent', `Forbearance offer ${offer.key} sent to ${maskPhone(phone)} (${messageId})`, { step: offer.key, providerRef: messageId, channel: 'sms' });
    } catch (error) {
      if (c.isInvalidContact(error)) c.markInvalidContact('phone', 'rejected by the provider');
      else c.note('step_failed', `${offer.key} failed: ${c.failureMessage(error)}`, { step: offer.key });
    }
  }
  d.forbearance = { until };
  c.note('forbearance_offered', `Before ${due.key}: forbearance offered (repayment plan, reduced payments, suspended charges); escalation waits until ${until}`, { until });
}

async function contactDebtor(c: CaseContext, due: DueStep, now: number): Promise<void> {
  const d = c.data;
  const phone = d.input.debtor.phone;
  if (d.ceased) return c.skip(due, 'debtor contact ceased');
  if (!phone) return c.skip(due, 'no phone number on file');
  const refresh = c.awaitingRefresh('phone', now);
  if (refresh === 'waiting') {
    return c.waitUntil(Date.parse(d.invalidContact.phone!) + ms(c.plan.contactRefresh.waitFor), 'contact refresh: waiting for a valid phone number');
  }
  if (refresh === 'expired') return c.skip(due, 'phone number invalid and no new one was provided');
  if (!(await c.compliant(due, now, phone))) return;

  const key = c.idempotencyKey(due.key);
  const params = { loanId: c.loanId, amountDue: formatMajorUnits(d.outstandingMinor, d.input.currency), currency: d.input.currency, dpdStep: due.step.id };
  const summary = `${due.key}: ${due.step.channel === 'sms' ? 'SMS reminder' : 'collector call'} to ${maskPhone(phone)}`;
  const acts = c.providers(summary);
  try {
    if (due.step.channel === 'sms') {
      const optOut = c.plan.profile.optOutText;
      const { messageId } = await acts.sendSms({ idempotencyKey: key, to: phone, template: due.step.template ?? 'payment_reminder', params: optOut ? { ...params, optOut } : params, locale: d.input.debtor.locale });
      d.costMinor += c.plan.costs.sms;
      d.contacts.push({ at: iso(c.now()), channel: 'sms', number: phone, result: 'sent' });
      c.note('sms_sent', `SMS reminder ${due.key} sent to ${maskPhone(phone)} (${messageId})`, { step: due.key, providerRef: messageId, channel: 'sms' });
    } else {
      if (d.pendingCall) c.expireCall();
      const assignee = assignCollector(c);
      const { taskId } = await acts.createCallTask({ idempotencyKey: key, to: phone, debtorRef: d.input.debtor.id, assignee, script: due.step.template ?? 'collection_call', params });
      d.costMinor += c.plan.costs.call;
      d.contacts.push({ at: iso(c.now()), channel: 'call', number: phone, result: 'attempt' });
      d.pendingCall = { taskId, deadline: iso(c.now() + ms(c.plan.calls.outcomeTimeout)) };
      c.note('call_task_created', `Call ${due.key} to ${maskPhone(phone)} assigned to ${assignee} (${taskId})`, { step: due.key, providerRef: taskId, channel: 'call', assignee });
    }
    c.done(due);
  } catch (error) {
    if (c.isInvalidContact(error)) return c.markInvalidContact('phone', 'rejected by the provider');
    c.failed(due, error);
  }
}

function assignCollector(c: CaseContext): string {
  const d = c.data;
  const assignee = assigneeAt(c.plan.calls, c.loanId, Date.parse(d.openedAt), c.now());
  if (assignee !== d.assignee) {
    c.note(d.assignee ? 'collector_rotated' : 'collector_assigned', d.assignee ? `Collector rotated from ${d.assignee} to ${assignee}` : `Collector ${assignee} assigned`, { assignee });
    d.assignee = assignee;
  }
  return assignee;
}

async function sendLetters(c: CaseContext, due: DueStep, now: number): Promise<void> {
  const d = c.data;
  if (!(await c.compliant(due, now))) return;
  const debtor = d.input.debtor;
  const lawyer = due.step.channel === 'lawyer_letter';
  const kind = lawyer ? "lawyer's letter" : 'demand letter';
  const refresh = c.awaitingRefresh('address', now);
  if (refresh === 'waiting') {
    return c.waitUntil(Date.parse(d.invalidContact.address!) + ms(c.plan.contactRefresh.waitFor), 'contact refresh: waiting for a valid address');
  }

  const recipients: Array<{ suffix: string; name: string; role: 'debtor' | 'guarantor'; address?: schemas.Address }> = [];
  if (d.ceased && !lawyer) c.note('step_skipped', `${due.key} to the debtor skipped: debtor contact ceased`);
  else if (!debtor.address) c.note('step_skipped', `${due.key} to the debtor skipped: no postal address on file`);
  else if (refresh === 'expired') c.note('step_skipped', `${due.key} to the debtor skipped: address invalid and no new one was provided`);
  else recipients.push({ suffix: '', name: debtor.name, role: 'debtor', address: debtor.address });
  if (due.step.copyGuarantors) {
    (d.input.guarantors ?? []).forEach((g, i) => {
      if (g.address) recipients.push({ suffix: `-g${i + 1}`, name: g.name, role: 'guarantor', address: g.address });
      else c.note('step_skipped', `${due.key} copy to guarantor ${i + 1} skipped: no postal address on file`);
    });
  }

  for (const r of recipients) {
    const key = c.idempotencyKey(`${due.key}${r.suffix}`);
    const acts = c.providers(`${due.key}${r.suffix}: ${kind} to the ${r.role}`);
    try {
      const recipient = { name: r.name, role: r.role };
      const ref = lawyer
        ? (await acts.sendLawyerLetter({ idempotencyKey: key, recipient, address: r.address!, loanId: c.loanId, amountMinor: d.outstandingMinor, currency: d.input.currency })).referenceNo
        : (await acts.sendLetter({ idempotencyKey: key, recipient, address: r.address!, template: due.step.template ?? 'demand_letter', params: { loanId: c.loanId, amountDue: formatMajorUnits(d.outstandingMinor, d.input.currency), currency: d.input.currency } })).letterId;
      d.costMinor += lawyer ? c.plan.costs.lawyer_letter : c.plan.costs.letter;
      if (r.role === 'debtor') d.notices = noteNoticeGiven(d.notices ?? {}, due.step.channel, iso(c.now()));
      c.note(lawyer ? 'lawyer_letter_sent' : 'letter_sent', `${lawyer ? "Lawyer's letter" : 'Demand letter'} ${due.key}${r.suffix} sent to the ${r.role} (${ref})`, {
        step: `${due.key}${r.suffix}`,
        providerRef: ref,
        channel: due.step.channel,
        recipient: r.role,
      });
    } catch (error) {
      if (r.role === 'debtor' && c.isInvalidContact(error)) {
        c.markInvalidContact('address', 'rejected by the mail house');
        continue;
      }
      // The debtor's copy comes first: under review, no guarantor copy has gone out yet.
      if (lawyer && r.role === 'debtor' && reviewLegalFailure(c, due, error, `${due.key} (lawyer's letter to the debtor)`)) return;
      c.note('step_failed', `${due.key}${r.suffix} to the ${r.role} failed: ${c.failureMessage(error)}`, { step: `${due.key}${r.suffix}` });
    }
  }
  c.done(due);
}

async function fileLitigation(c: CaseContext, due: DueStep, now: number): Promise<void> {
  const d = c.data;
  if (!(await c.compliant(due, now))) return;
  const evidence = {
    contactAttempts: d.timeline.filter((e) => ['sms_sent', 'call_task_created', 'letter_sent', 'lawyer_letter_sent'].includes(e.kind)).map((e) => ({ at: e.at, kind: e.kind, ref: e.data?.providerRef })),
    payments: d.timeline.filter((e) => e.kind === 'payment_received').map((e) => ({ at: e.at, paymentId: e.data?.paymentId, amountMinor: e.data?.amountMinor })),
    brokenPromises: d.brokenPromises,
  };
  try {
    const { caseNo } = await c.providers(`${due.key}: file litigation`).fileLitigation({
      idempotencyKey: c.idempotencyKey(due.key),
      loanId: c.loanId,
      debtor: d.input.debtor,
      guarantors: d.input.guarantors ?? [],
      amountMinor: d.outstandingMinor,
      currency: d.input.currency,
      evidence,
    });
    d.costMinor += c.plan.costs.litigation;
    c.note('litigation_filed', `Litigation filed for ${c.money(d.outstandingMinor)} (court case ${caseNo})`, { step: due.key, providerRef: caseNo, channel: 'litigation' });
    c.done(due);
    c.resolve('litigation_filed');
  } catch (error) {
    if (reviewLegalFailure(c, due, error, `${due.key} (litigation filing)`)) return;
    c.failed(due, error);
  }
}

async function placeWithAgency(c: CaseContext, due: DueStep, now: number): Promise<void> {
  const d = c.data;
  if (!(await c.compliant(due, now))) return;
  try {
    const { placementId } = await c.providers(`${due.key}: place with ${c.plan.agency.name}`).placeWithAgency({
      idempotencyKey: c.idempotencyKey(due.key),
      loanId: c.loanId,
      debtorRef: d.input.debtor.id,
      amountMinor: d.outstandingMinor,
      currency: d.input.currency,
      agency: c.plan.agency.name,
    });
    const recallAt = c.now() + ms(c.plan.agency.recallAfter);
    d.agency = { placementId, recallAt: iso(recallAt) };
    c.note('agency_placed', `Placed with ${c.plan.agency.name} (${placementId}) for ${c.money(d.outstandingMinor)}; recall on ${iso(recallAt)} if unpaid`, {
      step: due.key,
      providerRef: placementId,
      channel: 'agency',
    });
    c.done(due);
    d.stage = 'agency';
  } catch (error) {
    if (reviewLegalFailure(c, due, error, `${due.key} (agency placement)`)) return;
    c.failed(due, error);
  }
}

export async function recallFromAgency(c: CaseContext): Promise<void> {
  const d = c.data;
  const placement = d.agency!;
  try {
    await c.providers(`recall from ${c.plan.agency.name}`).recallFromAgency({ idempotencyKey: c.idempotencyKey(`recall-${placement.placementId}`), placementId: placement.placementId, loanId: c.loanId });
    c.note('agency_recalled', `Recalled from ${c.plan.agency.name} (${placement.placementId}) with ${c.money(d.outstandingMinor)} unpaid`, { providerRef: placement.placementId });
  } catch (error) {
    c.note('step_failed', `Recall of ${placement.placementId} failed: ${c.failureMessage(error)}`);
  }
  d.agency = undefined;
  c.resolve('written_off');
}

export async function askForSatisfaction(c: CaseContext): Promise<void> {
  const d = c.data;
  const survey = c.data.plan?.survey;
  const phone = d.input.debtor.phone;
  if (!survey?.enabled || !phone || d.ceased || d.invalidContact.phone || (d.outcome !== 'paid_in_full' && d.outcome !== 'settled')) return;
  const due = oneOffText('survey', c.now());
  for (;;) {
    const decision = await c.askContactRules(due, c.now(), phone);
    if ('failure' in decision) {
      // The case is resolved already: a survey that can never be sent is simply not sent.
      c.note('step_failed', `Satisfaction survey not sent: ${decision.failure}`);
      return;
    }
    if (await c.deferIfNeeded(due, c.now(), decision)) break;
  }
  try {
    await c.providers('survey-1: satisfaction survey SMS').sendSms({ idempotencyKey: c.idempotencyKey('survey-1'), to: phone, template: survey.template, params: { loanId: c.loanId }, locale: d.input.debtor.locale });
    d.costMinor += c.plan.costs.survey;
    d.survey = {};
    c.note('survey_sent', `Satisfaction survey sent to ${maskPhone(phone)}`);
    c.sync();
    await wf.condition(() => d.survey?.score !== undefined, ms(survey.window), { summary: 'awaiting satisfaction survey answer' });
  } catch (error) {
    c.note('step_failed', `Satisfaction survey not sent: ${c.failureMessage(error)}`);
  }
}
