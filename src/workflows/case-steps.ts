import * as wf from '@temporalio/workflow';
import type { DueStep } from '../domain/ladder';
import * as failures from '../domain/provider-failures';
import * as requests from '../domain/provider-requests';
import * as steps from '../domain/steps';
import { maskPhone } from '../shared/redact';
import { ms, type CaseContext } from './case-context';

/**
 * Carrying out a due step of the ladder: SMS, calls, letters (with guarantor copies),
 * litigation or agency placement; plus the UK forbearance offer and the satisfaction
 * survey. Only the provider calls live here: what each request says is built by
 * src/domain/provider-requests.ts, what an answer means for the case (who gets a letter,
 * costs, notices, the contact log, outcomes) by src/domain/steps.ts, and what a final failure
 * does by src/domain/provider-failures.ts. Each contact passes the compliance check first.
 */

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
  const until = steps.forbearanceUntil(d, c.now());
  if (phone !== undefined) {
    try {
      const { messageId } = await c.providers(`${offer.key}: forbearance offer to ${maskPhone(phone)}`).sendSms({
        idempotencyKey: c.idempotencyKey(offer.key),
        ...requests.forbearanceSms(d, phone, steps.forbearanceTerms(d).template, until),
      });
      c.took(steps.smsSent(d, { key: offer.key, phone, messageId, what: 'forbearance' }, c.now()));
    } catch (error) {
      c.tookFailure(failures.forbearanceSmsFailed(d, offer, c.providerFailure(error), c.now()));
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
  // case-code-v8: the collector of the moment at the decision's instant (see CasePatches).
  const call = due.step.channel === 'call' && c.patches.has('case-code-v8') ? c.took(steps.prepareCall(d, c.now())) : undefined;
  const summary = `${due.key}: ${due.step.channel === 'sms' ? 'SMS reminder' : 'collector call'} to ${maskPhone(phone)}`;
  const acts = c.providers(summary);
  try {
    if (due.step.channel === 'sms') {
      const { messageId } = await acts.sendSms({ idempotencyKey: key, ...requests.reminderSms(d, due, phone) });
      c.took(steps.smsSent(d, { key: due.key, phone, messageId, what: 'reminder' }, c.now()));
    } else {
      const { assignee } = call ?? c.took(steps.prepareCall(d, c.now()));
      const { taskId } = await acts.createCallTask({ idempotencyKey: key, ...requests.callTask(d, due, phone, assignee) });
      c.took(steps.callTaskCreated(d, { key: due.key, phone, taskId, assignee }, c.now()));
    }
    c.done(due);
  } catch (error) {
    c.tookFailure(failures.contactFailed(d, due, c.providerFailure(error, { onlyProviders: true }), c.now()));
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
      const ref = lawyer
        ? (await acts.sendLawyerLetter({ idempotencyKey: key, ...requests.lawyerLetter(d, r) })).referenceNo
        : (await acts.sendLetter({ idempotencyKey: key, ...requests.demandLetter(d, due, r) })).letterId;
      c.took(steps.letterSent(d, due, r, ref, c.now()));
    } catch (error) {
      const failure = c.tookFailure(failures.letterFailed(d, due, r, c.providerFailure(error), c.now(), { caseSafety: c.caseSafety }));
      if (failure.became === 'needs_review') return;
    }
  }
  c.done(due);
}

async function fileLitigation(c: CaseContext, due: DueStep, now: number): Promise<void> {
  const d = c.data;
  if (!(await c.compliant(due, now))) return;
  try {
    const { caseNo } = await c.providers(`${due.key}: file litigation`).fileLitigation({ idempotencyKey: c.idempotencyKey(due.key), ...requests.litigationFiling(d) });
    c.took(steps.litigationFiled(d, due, caseNo, c.now()));
    c.done(due);
    c.resolve('litigation_filed');
  } catch (error) {
    c.tookFailure(failures.legalStepFailed(d, due, 'litigation', c.providerFailure(error, { onlyProviders: !c.caseSafety }), c.now(), { caseSafety: c.caseSafety }));
  }
}

async function placeWithAgency(c: CaseContext, due: DueStep, now: number): Promise<void> {
  const d = c.data;
  if (!(await c.compliant(due, now))) return;
  try {
    const { placementId } = await c.providers(`${due.key}: place with ${c.plan.agency.name}`).placeWithAgency({ idempotencyKey: c.idempotencyKey(due.key), ...requests.agencyPlacement(d) });
    c.took(steps.agencyPlaced(d, due, placementId, c.now()));
    c.done(due);
    steps.enterAgencyStage(d);
  } catch (error) {
    c.tookFailure(failures.legalStepFailed(d, due, 'agency_placement', c.providerFailure(error, { onlyProviders: !c.caseSafety }), c.now(), { caseSafety: c.caseSafety }));
  }
}

export async function recallFromAgency(c: CaseContext): Promise<void> {
  const d = c.data;
  const placement = d.agency!;
  let failure: string | undefined;
  try {
    await c.providers(`recall from ${c.plan.agency.name}`).recallFromAgency({ idempotencyKey: c.idempotencyKey(`recall-${placement.placementId}`), placementId: placement.placementId, loanId: c.loanId });
  } catch (error) {
    failure = c.providerFailure(error).message;
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
      c.tookFailure(failures.surveyNotSent(d, decision.failure, c.now()));
      return;
    }
    if (await c.deferIfNeeded(due, c.now(), decision)) break;
  }
  try {
    await c.providers('survey-1: satisfaction survey SMS').sendSms({ idempotencyKey: c.idempotencyKey('survey-1'), ...requests.surveySms(d, phone) });
    c.took(steps.surveySent(d, phone, c.now()));
    c.sync();
    await wf.condition(() => d.survey?.score !== undefined, ms(survey.window), { summary: 'awaiting satisfaction survey answer' });
  } catch (error) {
    c.tookFailure(failures.surveyNotSent(d, c.providerFailure(error).message, c.now()));
  }
}
