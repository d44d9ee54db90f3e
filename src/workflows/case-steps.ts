import * as wf from '@temporalio/workflow';
import type { DueStep } from '../domain/ladder';
import * as steps from '../domain/steps';
import { formatMajorUnits } from '../shared/money';
import { maskPhone } from '../shared/redact';
import { iso, ms, type CaseContext } from './case-context';

/**
 * Carrying out a due step of the ladder: SMS, calls, letters (with guarantor copies),
 * litigation or agency placement; plus the UK forbearance offer and the satisfaction
 * survey. The provider calls live here; what they mean for the case (who gets a letter,
 * costs, notices, the contact log, outcomes) is decided in src/domain/steps.ts. Each contact
 * passes the compliance check first and is recorded on the timeline.
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

export async function carryOut(c: CaseContext, due: DueStep, now: number): Promise<void> {
  switch (due.step.channel) {
    case 'sms':
    case 'call':
      return contactDebtor(c, due, now);
    case 'letter':
    case 'lawyer_letter':
      return sendLetters(c, due, now);
    case 'litigation':
      if (c.took(steps.routeLitigation(c.data, c.now())).route === 'file') return fileLitigation(c, due, now);
      return placeWithAgency(c, due, now);
    case 'agency':
      return placeWithAgency(c, due, now);
  }
}

export async function offerForbearance(c: CaseContext, due: DueStep, now: number): Promise<void> {
  const d = c.data;
  const phone = steps.forbearanceByText(d);
  const offer = steps.oneOffText('forbearance', now);
  if (phone !== undefined && !(await c.compliant(offer, now, phone))) return;
  const terms = steps.forbearanceTerms(d);
  const until = iso(c.now() + ms(terms.offerWindow));
  if (phone !== undefined) {
    try {
      const { messageId } = await c.providers(`${offer.key}: forbearance offer to ${maskPhone(phone)}`).sendSms({
        idempotencyKey: c.idempotencyKey(offer.key),
        to: phone,
        template: terms.template,
        params: { loanId: c.loanId, amountDue: formatMajorUnits(d.outstandingMinor, d.input.currency), currency: d.input.currency, respondBy: until, options: 'repayment_plan,reduced_payments,suspended_charges' },
        locale: d.input.debtor.locale,
      });
      c.took(steps.smsSent(d, { key: offer.key, phone, messageId, what: 'forbearance' }, c.now()));
    } catch (error) {
      if (c.isInvalidContact(error)) c.markInvalidContact('phone', 'rejected by the provider');
      else c.note('step_failed', `${offer.key} failed: ${c.failureMessage(error)}`, { step: offer.key });
    }
  }
  c.took(steps.forbearanceOffered(d, due, until, c.now()));
}

async function contactDebtor(c: CaseContext, due: DueStep, now: number): Promise<void> {
  const d = c.data;
  const route = steps.routeContact(d, now);
  if (route.kind === 'skip') return c.skip(due, route.why);
  if (route.kind === 'wait') return c.waitUntil(route.until, route.action);
  const phone = route.phone;
  if (!(await c.compliant(due, now, phone))) return;

  const key = c.idempotencyKey(due.key);
  const params = { loanId: c.loanId, amountDue: formatMajorUnits(d.outstandingMinor, d.input.currency), currency: d.input.currency, dpdStep: due.step.id };
  const summary = `${due.key}: ${due.step.channel === 'sms' ? 'SMS reminder' : 'collector call'} to ${maskPhone(phone)}`;
  const acts = c.providers(summary);
  try {
    if (due.step.channel === 'sms') {
      const optOut = c.plan.profile.optOutText;
      const { messageId } = await acts.sendSms({ idempotencyKey: key, to: phone, template: due.step.template ?? 'payment_reminder', params: optOut ? { ...params, optOut } : params, locale: d.input.debtor.locale });
      c.took(steps.smsSent(d, { key: due.key, phone, messageId, what: 'reminder' }, c.now()));
    } else {
      if (d.pendingCall) c.expireCall();
      const { assignee } = c.took(steps.assignCollector(d, c.now()));
      const { taskId } = await acts.createCallTask({ idempotencyKey: key, to: phone, debtorRef: d.input.debtor.id, assignee, script: due.step.template ?? 'collection_call', params });
      c.took(steps.callTaskCreated(d, { key: due.key, phone, taskId, assignee }, c.now()));
    }
    c.done(due);
  } catch (error) {
    if (c.isInvalidContact(error)) return c.markInvalidContact('phone', 'rejected by the provider');
    c.failed(due, error);
  }
}

async function sendLetters(c: CaseContext, due: DueStep, now: number): Promise<void> {
  const d = c.data;
  if (!(await c.compliant(due, now))) return;
  const lawyer = due.step.channel === 'lawyer_letter';
  const kind = lawyer ? "lawyer's letter" : 'demand letter';
  const refresh = steps.contactRefresh(d, 'address', now);
  if (refresh === 'waiting') return c.waitUntil(steps.refreshDeadline(d, 'address'), 'contact refresh: waiting for a valid address');

  const { recipients } = c.took(steps.letterRecipients(d, due, refresh, c.now()));
  for (const r of recipients) {
    const key = c.idempotencyKey(`${due.key}${r.suffix}`);
    const acts = c.providers(`${due.key}${r.suffix}: ${kind} to the ${r.role}`);
    try {
      const recipient = { name: r.name, role: r.role };
      const ref = lawyer
        ? (await acts.sendLawyerLetter({ idempotencyKey: key, recipient, address: r.address, loanId: c.loanId, amountMinor: d.outstandingMinor, currency: d.input.currency })).referenceNo
        : (await acts.sendLetter({ idempotencyKey: key, recipient, address: r.address, template: due.step.template ?? 'demand_letter', params: { loanId: c.loanId, amountDue: formatMajorUnits(d.outstandingMinor, d.input.currency), currency: d.input.currency } })).letterId;
      c.took(steps.letterSent(d, due, r, ref, c.now()));
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
  try {
    const { caseNo } = await c.providers(`${due.key}: file litigation`).fileLitigation({
      idempotencyKey: c.idempotencyKey(due.key),
      loanId: c.loanId,
      debtor: d.input.debtor,
      guarantors: d.input.guarantors ?? [],
      amountMinor: d.outstandingMinor,
      currency: d.input.currency,
      evidence: steps.litigationEvidence(d),
    });
    c.took(steps.litigationFiled(d, due, caseNo, c.now()));
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
    c.took(steps.agencyPlaced(d, due, placementId, c.now()));
    c.done(due);
    steps.enterAgencyStage(d);
  } catch (error) {
    if (reviewLegalFailure(c, due, error, `${due.key} (agency placement)`)) return;
    c.failed(due, error);
  }
}

export async function recallFromAgency(c: CaseContext): Promise<void> {
  const d = c.data;
  const placement = d.agency!;
  let failure: string | undefined;
  try {
    await c.providers(`recall from ${c.plan.agency.name}`).recallFromAgency({ idempotencyKey: c.idempotencyKey(`recall-${placement.placementId}`), placementId: placement.placementId, loanId: c.loanId });
  } catch (error) {
    failure = c.failureMessage(error);
  }
  c.took(steps.agencyRecalled(d, failure, c.now()));
}

export async function askForSatisfaction(c: CaseContext): Promise<void> {
  const d = c.data;
  if (!steps.owesSurvey(d)) return;
  const survey = d.plan!.survey;
  const phone = d.input.debtor.phone!;
  const due = steps.oneOffText('survey', c.now());
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
    c.took(steps.surveySent(d, phone, c.now()));
    c.sync();
    await wf.condition(() => d.survey?.score !== undefined, ms(survey.window), { summary: 'awaiting satisfaction survey answer' });
  } catch (error) {
    c.note('step_failed', `Satisfaction survey not sent: ${c.failureMessage(error)}`);
  }
}
