import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, OPENED, T0, openedCase } from '../support/opened-case';
import type { CaseData } from '../../src/domain/case-state';
import type { DueStep } from '../../src/domain/ladder';
import * as failures from '../../src/domain/provider-failures';
import * as requests from '../../src/domain/provider-requests';
import type { LetterRecipient } from '../../src/domain/steps';
import * as steps from '../../src/domain/steps';
import { stepIdempotencyKey } from '../../src/shared/ids';
import type { CaseInput } from '../../src/shared/schemas';

/** What the case asks providers for (src/domain/provider-requests.ts) and what their final failures do (provider-failures.ts), table by table. */

const policy = DEFAULT_POLICY;
const PHONE = '+8613800138000';

function opened(tweak: (d: CaseData) => void = () => undefined): CaseData {
  const input: CaseInput = {
    loanId: 'L-PROV-1',
    product: 'personal_loan',
    reason: 'overdue',
    debtor: { id: 'D-1', type: 'individual', name: 'Wang Fang', phone: PHONE, address: { line1: '1 Debtor Street' }, timezone: 'Asia/Shanghai', locale: 'zh-CN' },
    guarantors: [{ name: 'Li Na', address: { line1: '2 Guarantor Road' } }],
    currency: 'CNY',
    amountDueMinor: 8_000_000,
    overdueSince: '2026-11-01',
  };
  return openedCase(input, tweak);
}

const due = (d: CaseData, channel: string, template?: string): DueStep => {
  const index = d.plan!.ladder.findIndex((s) => s.channel === channel);
  const step = { ...d.plan!.ladder[index]!, template };
  return { index, step, occurrence: 1, dueAt: T0, key: `${step.id}-1` };
};
const DEBTOR: LetterRecipient = { suffix: '', name: 'Wang Fang', role: 'debtor', address: { line1: '1 Debtor Street' } };
const GUARANTOR: LetterRecipient = { suffix: '-g1', name: 'Li Na', role: 'guarantor', address: { line1: '2 Guarantor Road' } };
const AMOUNT = { loanId: 'L-PROV-1', amountDue: '80000.00', currency: 'CNY' };

describe('provider requests', () => {
  it.each<[string, (d: CaseData) => unknown, Record<string, unknown>]>([
    ['an SMS reminder: the default template, the amount in major units', (d) => requests.reminderSms(d, due(d, 'sms'), PHONE), { to: PHONE, template: 'payment_reminder', params: { ...AMOUNT, dpdStep: due(opened(), 'sms').step.id }, locale: 'zh-CN' }],
    ["an SMS reminder: the step's own template", (d) => requests.reminderSms(d, due(d, 'sms', 'gentle_nudge'), PHONE), { template: 'gentle_nudge' }],
    ["an SMS reminder: the profile's opt-out text", (d) => ((d.plan!.profile.optOutText = 'Reply STOP'), requests.reminderSms(d, due(d, 'sms'), PHONE)), { params: { optOut: 'Reply STOP' } }],
    ['a call task: the default script, the debtor by reference', (d) => requests.callTask(d, due(d, 'call'), PHONE, 'c-1'), { to: PHONE, debtorRef: 'D-1', assignee: 'c-1', script: 'collection_call', params: AMOUNT }],
    ['a demand letter: the default template', (d) => requests.demandLetter(d, due(d, 'letter'), GUARANTOR), { recipient: { name: 'Li Na', role: 'guarantor' }, address: GUARANTOR.address, template: 'demand_letter', params: AMOUNT }],
    ["a lawyer's letter: the amount in minor units", (d) => requests.lawyerLetter(d, DEBTOR), { recipient: { name: 'Wang Fang', role: 'debtor' }, loanId: 'L-PROV-1', amountMinor: 8_000_000, currency: 'CNY' }],
    ['a litigation filing with its evidence', (d) => requests.litigationFiling(d), { amountMinor: 8_000_000, guarantors: [{ name: 'Li Na' }], evidence: { contactAttempts: [], payments: [], brokenPromises: 0 } }],
    ["an agency placement with the policy's agency", (d) => requests.agencyPlacement(d), { debtorRef: 'D-1', amountMinor: 8_000_000, agency: policy.agency.name }],
    ['a forbearance offer', (d) => requests.forbearanceSms(d, PHONE, 'forbearance_offer', OPENED), { template: 'forbearance_offer', params: { ...AMOUNT, respondBy: OPENED, options: requests.FORBEARANCE_OPTIONS } }],
    ['the compliance question before a call', (d) => requests.contactRulesQuestion(d, due(d, 'call'), T0, PHONE), { channel: 'call', notBefore: OPENED, timezone: 'Asia/Shanghai', recentContacts: [], number: PHONE }],
    ["the survey: the policy's template, the loan only", (d) => requests.surveySms(d, PHONE), { template: policy.survey.template, params: { loanId: 'L-PROV-1' } }],
  ])('%s', (_what, build, expected) => expect(build(opened())).toMatchObject(expected));

  it('an SMS without opt-out text carries no optOut parameter', () => {
    const d = opened((x) => (x.plan!.profile.optOutText = undefined));
    expect(requests.reminderSms(d, due(d, 'sms'), PHONE).params).not.toHaveProperty('optOut');
  });

  it('amounts follow what is still outstanding', () => {
    const d = opened((x) => (x.outstandingMinor = 1_234_56));
    expect(requests.reminderSms(d, due(d, 'sms'), PHONE).params.amountDue).toBe('1234.56');
  });
});

const INVALID: failures.ProviderFailure = { invalidContact: true, message: 'number not in service' };
const DOWN: failures.ProviderFailure = { invalidContact: false, message: 'provider down' };

describe('provider failures', () => {
  it.each<[string, (d: CaseData) => failures.FailureTransition, failures.FailureEffect, string[], (d: CaseData) => unknown, unknown]>([
    ['an SMS to a wrong number: contact refresh', (d) => failures.contactFailed(d, due(d, 'sms'), INVALID, T0), 'contact_refresh', ['contact_refresh_requested'], (d) => d.invalidContact.phone, OPENED],
    ['an SMS that failed: the step is passed', (d) => failures.contactFailed(d, due(d, 'sms'), DOWN, T0), 'step_failed', ['step_failed'], (d) => d.progress!.occurrences, 1],
    ["the debtor's address refused: contact refresh", (d) => failures.letterFailed(d, due(d, 'letter'), DEBTOR, INVALID, T0, { caseSafety: true }), 'contact_refresh', ['contact_refresh_requested'], (d) => d.invalidContact.address, OPENED],
    ["a guarantor's copy refused: noted only", (d) => failures.letterFailed(d, due(d, 'letter'), GUARANTOR, INVALID, T0, { caseSafety: true }), 'noted', ['step_failed'], (d) => d.invalidContact.address, undefined],
    ["a lawyer's letter to the debtor, case safety: review", (d) => failures.letterFailed(d, due(d, 'lawyer_letter'), DEBTOR, DOWN, T0, { caseSafety: true }), 'needs_review', ['needs_review'], (d) => d.review?.cause, 'provider_failed'],
    ["a lawyer's letter to the debtor, older case: noted", (d) => failures.letterFailed(d, due(d, 'lawyer_letter'), DEBTOR, DOWN, T0, { caseSafety: false }), 'noted', ['step_failed'], (d) => d.review, undefined],
    ["a lawyer's letter's guarantor copy: noted", (d) => failures.letterFailed(d, due(d, 'lawyer_letter'), GUARANTOR, DOWN, T0, { caseSafety: true }), 'noted', ['step_failed'], (d) => d.review, undefined],
    ['a filing, case safety: review', (d) => failures.legalStepFailed(d, due(d, 'litigation'), 'litigation', DOWN, T0, { caseSafety: true }), 'needs_review', ['needs_review'], (d) => d.review?.reason, "litigation-1 (litigation filing) failed after the provider's retries: provider down"],
    ['a filing, older case: the step is passed', (d) => failures.legalStepFailed(d, due(d, 'litigation'), 'litigation', DOWN, T0, { caseSafety: false }), 'step_failed', ['step_failed'], (d) => d.review, undefined],
    ['a placement, case safety: review', (d) => failures.legalStepFailed(d, due(d, 'litigation'), 'agency_placement', DOWN, T0, { caseSafety: true }), 'needs_review', ['needs_review'], (d) => d.review?.reason, "litigation-1 (agency placement) failed after the provider's retries: provider down"],
    ['the forbearance text to a wrong number: contact refresh', (d) => failures.forbearanceSmsFailed(d, steps.oneOffText('forbearance', T0), INVALID, T0), 'contact_refresh', ['contact_refresh_requested'], (d) => d.invalidContact.phone, OPENED],
    ['the forbearance text failed: noted', (d) => failures.forbearanceSmsFailed(d, steps.oneOffText('forbearance', T0), DOWN, T0), 'noted', ['step_failed'], (d) => d.timeline.at(-1)?.data, { step: 'forbearance-1' }],
    ['the survey not sent: noted', (d) => failures.surveyNotSent(d, 'provider down', T0), 'noted', ['step_failed'], (d) => d.timeline.at(-1)?.detail, 'Satisfaction survey not sent: provider down'],
  ])('%s', (_what, fail, became, kinds, fact, expected) => {
    const d = opened();
    const t = fail(d);
    expect(t.became).toBe(became);
    expect(t.events.map((e) => e.kind)).toEqual(kinds);
    expect(fact(d)).toEqual(expected);
  });

  it('a contact refresh for a debtor without that detail records nothing', () => {
    const d = opened((x) => (x.input.debtor.address = undefined));
    expect(failures.letterFailed(d, due(d, 'letter'), DEBTOR, INVALID, T0, { caseSafety: true }).events).toEqual([]);
  });

  it('the review names the legal action and the reason', () => {
    const d = opened();
    failures.legalStepFailed(d, due(d, 'litigation'), 'agency_placement', DOWN, T0, { caseSafety: true });
    expect(d.review).toMatchObject({ cause: 'provider_failed', reason: `${due(d, 'litigation').key} (agency placement) failed after the provider's retries: provider down` });
  });
});

describe('steps the workflow used to decide itself', () => {
  it('no allowed instant: needs review, saying why', () => {
    const d = opened();
    const t = steps.noAllowedInstant(d, due(d, 'sms'), 'no day without a holiday', T0);
    expect(t.events.map((e) => e.kind)).toEqual(['needs_review']);
    expect(d.review).toMatchObject({ cause: 'no_allowed_instant', reason: `${due(d, 'sms').key}: no allowed instant for this contact (no day without a holiday)` });
  });

  it.each<[string, (d: CaseData) => void, string[]]>([
    ['a first call: the collector is assigned', () => undefined, ['collector_assigned']],
    ['a call still awaiting its outcome: counted as no answer first', (d) => ((d.pendingCall = { taskId: 'T-0', deadline: OPENED }), d.contacts.push({ at: OPENED, channel: 'call', number: PHONE, result: 'attempt' })), ['call_outcome', 'collector_assigned']],
  ])('prepareCall, %s', (_what, tweak, kinds) => {
    const d = opened(tweak);
    const t = steps.prepareCall(d, T0);
    expect(t.events.map((e) => e.kind)).toEqual(kinds);
    expect(t.assignee).toBe(d.assignee);
    expect(d.pendingCall).toBeUndefined();
  });

  it.each<[string, (d: CaseData) => void, string]>([
    ['the default window of 14 days', (d) => (d.plan!.forbearance = undefined), '2026-11-16T02:00:00.000Z'],
    ["the policy's window", (d) => (d.plan!.forbearance = { offerWindow: '3 days', template: 't' }), '2026-11-05T02:00:00.000Z'],
  ])('forbearanceUntil: %s', (_what, tweak, until) => expect(steps.forbearanceUntil(opened(tweak), T0)).toBe(until));
});

describe('idempotency keys', () => {
  it.each([
    ['a ladder step', 'collection-L-1', '2026-11-01', 'sms-1', 'collection-L-1/2026-11-01/sms-1'],
    ["a guarantor's copy", 'collection-L-1', '2026-11-01', 'letter-1-g2', 'collection-L-1/2026-11-01/letter-1-g2'],
    ['the same step after the loan re-defaults', 'collection-L-1', '2027-03-05', 'sms-1', 'collection-L-1/2027-03-05/sms-1'],
  ])('%s', (_what, workflowId, overdueSince, step, key) => expect(stepIdempotencyKey(workflowId, overdueSince, step)).toBe(key));
});
