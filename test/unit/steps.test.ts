import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, OPENED, T0, openedCase } from '../support/opened-case';
import type { CaseData } from '../../src/domain/case-state';
import * as steps from '../../src/domain/steps';
import type { CaseInput } from '../../src/shared/schemas';

/** The rules of carrying out a step (src/domain/steps.ts), table by table; the provider calls themselves are the workflow's. */

const policy = DEFAULT_POLICY;
const DAY = 24 * 3600 * 1000;
const iso = (t: number) => new Date(t).toISOString();

function opened(tweak: (d: CaseData) => void = () => undefined): CaseData {
  const input: CaseInput = {
    loanId: 'L-STEPS-1',
    product: 'personal_loan',
    reason: 'overdue',
    debtor: { id: 'D-1', type: 'individual', name: 'Wang Fang', phone: '+8613800138000', address: { line1: '1 Debtor Street' }, timezone: 'Asia/Shanghai' },
    guarantors: [{ name: 'Li Na', address: { line1: '2 Guarantor Road' } }, { name: 'Zhao Lei' }],
    currency: 'CNY',
    amountDueMinor: 8_000_000,
    overdueSince: '2026-11-01',
  };
  return openedCase(input, tweak);
}

const due = (d: CaseData, channel: string) => {
  const index = d.plan!.ladder.findIndex((s) => s.channel === channel);
  const step = { ...d.plan!.ladder[index]!, copyGuarantors: true };
  return { index, step, occurrence: 1, dueAt: T0, key: `${step.id}-1` };
};

describe('routeContact (SMS and calls)', () => {
  it.each<[string, (d: CaseData) => void, Record<string, unknown>]>([
    ['a usable phone', () => undefined, { kind: 'contact', phone: '+8613800138000' }],
    ['contact ceased', (d) => (d.ceased = { reason: 'x' }), { kind: 'skip', why: 'debtor contact ceased' }],
    ['no phone', (d) => (d.input.debtor.phone = undefined), { kind: 'skip', why: 'no phone number on file' }],
    ['a wrong number, within the refresh wait', (d) => (d.invalidContact.phone = iso(T0 - DAY)), { kind: 'wait', until: T0 + 6 * DAY }],
    ['a wrong number, past the refresh wait', (d) => (d.invalidContact.phone = iso(T0 - 8 * DAY)), { kind: 'skip', why: 'phone number invalid and no new one was provided' }],
  ])('%s', (_what, tweak, expected) => expect(steps.routeContact(opened(tweak), T0)).toMatchObject(expected));
});

describe('letterRecipients', () => {
  it.each<[string, string, (d: CaseData) => void, steps.Refresh, string[], number]>([
    ['a demand letter: debtor and the guarantor with an address', 'letter', () => undefined, 'usable', ['debtor', 'guarantor'], 1],
    ['contact ceased: no demand letter to the debtor', 'letter', (d) => (d.ceased = { reason: 'x' }), 'usable', ['guarantor'], 2],
    ["contact ceased: a lawyer's letter still goes", 'lawyer_letter', (d) => (d.ceased = { reason: 'x' }), 'usable', ['debtor', 'guarantor'], 1],
    ['no address on file', 'letter', (d) => (d.input.debtor.address = undefined), 'usable', ['guarantor'], 2],
    ['an address that was never refreshed', 'letter', () => undefined, 'expired', ['guarantor'], 2],
  ])('%s', (_what, channel, tweak, refresh, roles, skipped) => {
    const d = opened(tweak);
    const { recipients, events } = steps.letterRecipients(d, due(d, channel), refresh, T0);
    expect(recipients.map((r) => r.role)).toEqual(roles);
    expect(events.filter((e) => e.kind === 'step_skipped')).toHaveLength(skipped);
  });
});

describe('routeLitigation', () => {
  it.each([
    ['at the threshold', 5_000_000, 'file', []],
    ['above the threshold', 8_000_000, 'file', []],
    ['below the threshold', 4_999_999, 'agency', ['below_litigation_threshold']],
  ])('%s', (_what, outstanding, route, kinds) => {
    const d = opened((x) => ((x.outstandingMinor = outstanding), (x.plan!.litigationThresholdMinor = 5_000_000)));
    const routed = steps.routeLitigation(d, T0);
    expect(routed.route).toBe(route);
    expect(routed.events.map((e) => e.kind)).toEqual(kinds);
  });
});

describe('what a provider answer does to the case', () => {
  it.each<[string, (d: CaseData) => ReturnType<typeof steps.smsSent>, Record<string, unknown>]>([
    ['an SMS sent', (d) => steps.smsSent(d, { key: 'sms-1', phone: '+8613800138000', messageId: 'M-1', what: 'reminder' }, T0), { costMinor: policy.costs.sms, contacts: [{ channel: 'sms', result: 'sent' }] }],
    ['a call task', (d) => steps.callTaskCreated(d, { key: 'call-1', phone: '+8613800138000', taskId: 'T-1', assignee: 'c-1' }, T0), { costMinor: policy.costs.call, pendingCall: { taskId: 'T-1' }, contacts: [{ channel: 'call', result: 'attempt' }] }],
    ["a lawyer's letter to the debtor (notice given)", (d) => steps.letterSent(d, due(d, 'lawyer_letter'), { suffix: '', name: 'W', role: 'debtor', address: { line1: 'x' } }, 'R-1', T0), { costMinor: policy.costs.lawyer_letter, notices: { lawyerLetterAt: OPENED } }],
    ['a demand letter to a guarantor (no notice)', (d) => steps.letterSent(d, due(d, 'letter'), { suffix: '-g1', name: 'L', role: 'guarantor', address: { line1: 'x' } }, 'R-2', T0), { costMinor: policy.costs.letter, notices: {} }],
    ['a filing', (d) => steps.litigationFiled(d, due(d, 'litigation'), 'C-1', T0), { costMinor: policy.costs.litigation }],
    ['an agency placement', (d) => steps.agencyPlaced(d, due(d, 'litigation'), 'A-1', T0), { agency: { placementId: 'A-1' } }],
    ['a recall', (d) => ((d.agency = { placementId: 'A-1', recallAt: OPENED }), steps.agencyRecalled(d, undefined, T0)), { agency: undefined, outcome: 'written_off' }],
    ['a survey sent', (d) => steps.surveySent(d, '+8613800138000', T0), { survey: {}, costMinor: policy.costs.survey }],
    ['a step failed for good (passed, the ladder goes on)', (d) => steps.stepFailed(d, due(d, 'sms'), 'rejected', T0), { progress: { index: 0, occurrences: 1 }, costMinor: 0 }],
    ['a contact deferred by two rules', (d) => steps.contactDeferred(d, due(d, 'sms'), [{ rule: 'contact_window', detail: 'night', until: OPENED }, { rule: 'holiday', detail: 'holiday', until: OPENED }], T0), { timelineCounts: { contact_deferred: 2 } }],
  ])('%s', (_what, transition, expected) => {
    const d = opened();
    expect(transition(d).events.length).toBeGreaterThan(0);
    expect(d).toMatchObject(expected);
  });
});

describe('forbearanceByText', () => {
  it.each<[string, (d: CaseData) => void, string | undefined]>([
    ['a usable phone', () => undefined, '+8613800138000'],
    ['no phone', (d) => (d.input.debtor.phone = undefined), undefined],
    ['contact ceased', (d) => (d.ceased = { reason: 'x' }), undefined],
    ['a wrong number', (d) => (d.invalidContact.phone = OPENED), undefined],
  ])('%s', (_what, tweak, phone) => expect(steps.forbearanceByText(opened(tweak))).toBe(phone));
});

describe('assignCollector and owesSurvey', () => {
  it('assigns once, then rotates after rotateEvery', () => {
    const d = opened();
    const first = steps.assignCollector(d, T0);
    expect(first.events.map((e) => e.kind)).toEqual(['collector_assigned']);
    expect(steps.assignCollector(d, T0 + DAY).events).toEqual([]);
    const later = steps.assignCollector(d, T0 + 31 * DAY);
    expect(later.events.map((e) => e.kind)).toEqual(['collector_rotated']);
    expect(later.assignee).not.toBe(first.assignee);
  });

  it.each<[string, (d: CaseData) => void, boolean]>([
    ['paid in full', (d) => (d.outcome = 'paid_in_full'), true],
    ['settled', (d) => (d.outcome = 'settled'), true],
    ['written off', (d) => (d.outcome = 'written_off'), false],
    ['paid, contact ceased', (d) => ((d.outcome = 'paid_in_full'), (d.ceased = { reason: 'x' })), false],
    ['paid, wrong number', (d) => ((d.outcome = 'paid_in_full'), (d.invalidContact.phone = OPENED)), false],
  ])('a survey is owed when %s: %s', (_what, tweak, owed) => {
    const d = opened((x) => ((x.plan!.survey = { ...x.plan!.survey, enabled: true }), tweak(x)));
    expect(steps.owesSurvey(d)).toBe(owed);
  });
});
