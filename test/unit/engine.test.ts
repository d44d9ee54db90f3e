import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, OPENED, T0, openedCase } from '../support/opened-case';
import { apply, rejectMessage, type CaseMessage } from '../../src/domain/apply';
import { openCase, type CaseData } from '../../src/domain/case-state';
import { decide, type DecideContext } from '../../src/domain/decide';
import type { DueStep } from '../../src/domain/ladder';
import { planCase } from '../../src/domain/plan-case';
import { assignPlan, endHold, stepDone, expireCall, followReview, needReview, resolveCase, settlePromise, skipStep } from '../../src/domain/transitions';
import type { CaseInput } from '../../src/shared/schemas';
import { isTimelineKind } from '../../src/shared/timeline';

/**
 * The case engine, table by table: decide() (what the loop does next), apply() (what a
 * message does to the case), and the loop's transitions. No Temporal here: the workflow
 * tests and the replay of stored histories check that the shell carries these out unchanged.
 */

const policy = DEFAULT_POLICY;
const DAY = 24 * 3600 * 1000;

const input = (): CaseInput => ({
  loanId: 'L-ENGINE-1',
  product: 'personal_loan',
  reason: 'overdue',
  debtor: { id: 'D-1', type: 'individual', name: 'Wang Fang', phone: '+8613800138000', address: { line1: '1 Debtor Street' }, timezone: 'Asia/Shanghai' },
  currency: 'CNY',
  amountDueMinor: 8_000_000,
  overdueSince: '2026-11-01',
  history: { previousDelinquencies: 0, brokenPromises: 0, monthsOnBook: 24 },
});

/** An opened case on the default policy (standard ladder: SMS at DPD 1, calls from DPD 7, letters, litigation). */
function opened(tweak: (d: CaseData) => void = () => undefined): CaseData {
  return openedCase(input(), tweak, { noteOpening: true });
}

const context = (overrides: Partial<DecideContext> = {}): DecideContext => ({ caseSafety: true, mayOfferForbearance: () => true, ...overrides });
const iso = (t: number) => new Date(t).toISOString();
const pay = (paymentId: string, amountMinor: number) => ({ paymentId, amountMinor, currency: 'CNY', receivedAt: OPENED });

describe('decide(state, now, context)', () => {
  const review = { cause: 'provider_failed' as const, reason: 'litigation-1 failed', step: 'litigation-1', since: OPENED };
  it.each<[string, (d: CaseData) => void, number, Partial<DecideContext>, Record<string, unknown>]>([
    ['the history is full', () => undefined, T0, { historyFull: true }, { kind: 'continue_as_new' }],
    ['nothing owed any more', (d) => (d.outstandingMinor = 0), T0, {}, { kind: 'resolve', outcome: 'paid_in_full' }],
    ['a promise paid off', (d) => ((d.outstandingMinor = 0), (d.promise = { kind: 'promise', amountMinor: 1, dueDate: '2026-12-01', graceUntil: iso(T0 + 30 * DAY), paidAtStart: 0 })), T0, {}, { kind: 'settle_promise' }],
    ['a review without a decision', (d) => (d.review = review), T0, {}, { kind: 'wait', action: 'needs review: litigation-1 failed' }],
    ['a decided review', (d) => (d.review = { ...review, decision: { action: 'retry', note: 'try again' } }), T0, {}, { kind: 'follow_review' }],
    ['a hold that ran out', (d) => (d.pause = { reason: 'hospital', until: iso(T0 - 1) }), T0, {}, { kind: 'end_hold' }],
    ['a hold until a date', (d) => (d.pause = { reason: 'hospital', until: iso(T0 + DAY) }), T0, {}, { kind: 'wait', until: T0 + DAY, action: 'paused: hospital' }],
    ['a hold without end', (d) => (d.pause = { reason: 'hospital' }), T0, {}, { kind: 'wait', until: undefined, action: 'paused: hospital' }],
    ['a dispute where disputes suspend collection', (d) => ((d.dispute = { reason: 'not mine' }), (d.plan!.profile.disputeSuspendsCollection = true)), T0, {}, { kind: 'wait', action: 'dispute under verification' }],
    ['a pending promise', (d) => (d.promise = { kind: 'promise', amountMinor: 100, dueDate: '2026-12-01', graceUntil: iso(T0 + 5 * DAY), paidAtStart: 0 }), T0, {}, { kind: 'wait', until: T0 + 5 * DAY, action: 'promise due 2026-12-01' }],
    ['a broken promise', (d) => (d.promise = { kind: 'promise', amountMinor: 100, dueDate: '2026-11-01', graceUntil: iso(T0 - 1), paidAtStart: 0 }), T0, {}, { kind: 'settle_promise' }],
    ['a call whose outcome is overdue', (d) => (d.pendingCall = { taskId: 'T-1', deadline: iso(T0 - 1) }), T0, {}, { kind: 'expire_call' }],
    ['an agency placement due for recall', (d) => (d.agency = { placementId: 'A-1', recallAt: iso(T0) }), T0, {}, { kind: 'recall_from_agency' }],
    ['an agency placement running', (d) => (d.agency = { placementId: 'A-1', recallAt: iso(T0 + DAY) }), T0, {}, { kind: 'wait', until: T0 + DAY, action: 'agency placement until recall' }],
    ['the ladder exhausted', (d) => (d.progress = { index: d.plan!.ladder.length, occurrences: 0 }), T0, {}, { kind: 'resolve', outcome: 'written_off', why: 'ladder_exhausted' }],
  ])('%s', (_what, tweak, now, ctx, expected) => {
    expect(decide(opened(tweak), now, context(ctx))).toMatchObject(expected);
  });

  it('carries out the SMS due at opening, then waits for the next with its key', () => {
    const d = opened();
    const first = decide(d, T0, context());
    expect(first).toMatchObject({ kind: 'carry_out', due: { key: 'sms-1', step: { channel: 'sms' } } });
    stepDone(d, (first as { due: DueStep }).due, T0);
    // The next step (a repeat of the SMS or the first call, by segment) is due later: wait for it, then carry it out.
    const wait = decide(d, T0, context()) as Extract<ReturnType<typeof decide>, { kind: 'wait' }>;
    expect(wait).toMatchObject({ kind: 'wait', action: expect.stringMatching(/^(sms-2 \(sms\)|call-1 \(call\))$/) });
    expect(wait.until).toBeGreaterThan(T0);
    expect(decide(d, wait.until! - 1, context()).kind).toBe('wait');
    expect(decide(d, wait.until!, context())).toMatchObject({ kind: 'carry_out', due: { key: wait.action.split(' ')[0] } });
  });

  const atStep = (channel: string) => (d: CaseData) => (d.progress = { index: d.plan!.ladder.findIndex((s) => s.channel === channel), occurrences: 0 });
  const late = T0 + 400 * DAY;

  it.each<[string, (d: CaseData) => void, Partial<DecideContext>, Record<string, unknown>]>([
    ['a demand letter under a forbearance profile', (d) => (atStep('letter')(d), (d.plan!.profile.forbearanceBeforeEscalation = true)), {}, { kind: 'offer_forbearance', due: { key: 'demand_letter-1' } }],
    ['the same, for a case opened before offers existed', (d) => (atStep('letter')(d), (d.plan!.profile.forbearanceBeforeEscalation = true)), { mayOfferForbearance: () => false }, { kind: 'carry_out', due: { key: 'demand_letter-1' } }],
    ['an offer still open', (d) => (atStep('letter')(d), (d.plan!.profile.forbearanceBeforeEscalation = true), (d.forbearance = { until: iso(late + DAY) })), {}, { kind: 'wait', until: late + DAY }],
    ["a lawyer's letter without a demand letter", atStep('lawyer_letter'), {}, { kind: 'needs_review', cause: 'notice_missing', step: 'lawyer_letter-1' }],
    ["the same, before case safety", atStep('lawyer_letter'), { caseSafety: false }, { kind: 'carry_out', due: { key: 'lawyer_letter-1' } }],
    ["a lawyer's letter in its notice period", (d) => (atStep('lawyer_letter')(d), (d.notices = { demandLetterAt: iso(late - DAY) })), {}, { kind: 'wait', action: 'lawyer_letter-1 waits for its notice period', note: { kind: 'notice_period' } }],
    ["a lawyer's letter after its notice period", (d) => (atStep('lawyer_letter')(d), (d.notices = { demandLetterAt: iso(late - 60 * DAY) })), {}, { kind: 'carry_out', due: { key: 'lawyer_letter-1' } }],
    ['litigation below the threshold (an agency placement, no notice needed)', (d) => (atStep('litigation')(d), (d.outstandingMinor = 100)), {}, { kind: 'carry_out', due: { key: 'litigation-1' } }],
  ])('at a legal step: %s', (_what, tweak, ctx, expected) => {
    expect(decide(opened(tweak), late, context(ctx))).toMatchObject(expected);
  });

  it('asks whether forbearance may be offered only when an offer is owed (the workflow answers with patched())', () => {
    let asked = 0;
    decide(opened(atStep('letter')), late, context({ mayOfferForbearance: () => ((asked += 1), true) }));
    expect(asked).toBe(0);
  });

  it('announces a notice period on the timeline once', () => {
    const d = opened((x) => (atStep('lawyer_letter')(x), (x.notices = { demandLetterAt: iso(late - DAY) })));
    d.timeline.push({ at: iso(late), kind: 'notice_period', detail: '', data: { step: 'lawyer_letter-1' } });
    expect(decide(d, late, context())).toMatchObject({ kind: 'wait', note: undefined });
  });
});

describe('apply(state, message, now)', () => {
  type Row = [string, (d: CaseData) => void, CaseMessage, string[], (d: CaseData) => void];
  it.each<Row>([
    ['a payment', () => undefined, { name: 'paymentReceived', payload: pay('P1', 100_000) }, ['payment_received'], (d) => expect(d).toMatchObject({ paidMinor: 100_000, outstandingMinor: 7_900_000 })],
    ['an overpayment', () => undefined, { name: 'paymentReceived', payload: pay('P1', 9_000_000) }, ['payment_received'], (d) => expect(d).toMatchObject({ outstandingMinor: 0, overpaidMinor: 1_000_000 })],
    ['a redelivered payment (counted, not listed)', (d) => void apply(d, { name: 'paymentReceived', payload: pay('P1', 100) }, T0), { name: 'paymentReceived', payload: pay('P1', 100) }, [], (d) => expect(d.timelineCounts?.payment_duplicate).toBe(1)],
    ['a conflicting payment', (d) => void apply(d, { name: 'paymentReceived', payload: pay('P1', 100) }, T0), { name: 'paymentReceived', payload: pay('P1', 200) }, ['payment_rejected'], (d) => expect(d.paidMinor).toBe(100)],
    ['a promise to pay', () => undefined, { name: 'promiseToPay', payload: { amountMinor: 100_000, dueDate: '2026-11-20' } }, ['promise_made'], (d) => expect(d.promise).toMatchObject({ kind: 'promise', graceUntil: '2026-11-22T15:59:59.999Z' })],
    ['a promise in the past', () => undefined, { name: 'promiseToPay', payload: { amountMinor: 100_000, dueDate: '2026-10-01' } }, ['signal_rejected'], (d) => expect(d.promise).toBeUndefined()],
    ['a promise too far out', () => undefined, { name: 'promiseToPay', payload: { amountMinor: 100_000, dueDate: '2027-06-01' } }, ['signal_rejected'], (d) => expect(d.promise).toBeUndefined()],
    ['a promise on a resolved case', (d) => (d.outcome = 'paid_in_full'), { name: 'promiseToPay', payload: { amountMinor: 1, dueDate: '2026-11-20' } }, ['signal_rejected'], (d) => expect(d.promise).toBeUndefined()],
    ['a repayment plan', () => undefined, { name: 'repaymentPlan', payload: { instalments: [{ amountMinor: 300, dueDate: '2026-12-20' }, { amountMinor: 200, dueDate: '2026-11-20' }] } }, ['plan_made'], (d) => expect(d.promise).toMatchObject({ kind: 'plan', amountMinor: 500, dueDate: '2026-12-20', instalments: [{ dueDate: '2026-11-20' }, { dueDate: '2026-12-20' }] })],
    ['a settlement below the balance', () => undefined, { name: 'settlementOffer', payload: { amountMinor: 5_000_000, validUntil: '2026-11-30' } }, ['settlement_made'], (d) => expect(d.promise?.kind).toBe('settlement')],
    ['a settlement of the whole balance', () => undefined, { name: 'settlementOffer', payload: { amountMinor: 8_000_000, validUntil: '2026-11-30' } }, ['signal_rejected'], (d) => expect(d.promise).toBeUndefined()],
    ['a dispute', () => undefined, { name: 'disputeRaised', payload: { reason: 'not my loan' } }, ['dispute_raised'], (d) => expect(d.dispute).toEqual({ reason: 'not my loan' })],
    ['a dispute upheld', (d) => (d.dispute = { reason: 'x' }), { name: 'disputeResolved', payload: { upheld: true } }, ['dispute_resolved', 'resolved'], (d) => expect(d.outcome).toBe('cancelled')],
    ['a dispute rejected', (d) => (d.dispute = { reason: 'x' }), { name: 'disputeResolved', payload: { upheld: false } }, ['dispute_resolved'], (d) => expect([d.dispute, d.outcome]).toEqual([undefined, undefined])],
    ['a dispute resolved when none is open', () => undefined, { name: 'disputeResolved', payload: { upheld: true } }, ['signal_rejected'], (d) => expect(d.outcome).toBeUndefined()],
    ['a new phone number', (d) => (d.invalidContact.phone = OPENED), { name: 'contactUpdated', payload: { phone: '+8613800138111' } }, ['contact_updated'], (d) => expect(d).toMatchObject({ invalidContact: { phone: undefined }, input: { debtor: { phone: '+8613800138111' } } })],
    ['cease contact', () => undefined, { name: 'ceaseContact', payload: { reason: 'lawyer' } }, ['contact_ceased'], (d) => expect(d.ceased).toEqual({ reason: 'lawyer' })],
    ['a pause', () => undefined, { name: 'pause', payload: { reason: 'hospital', actor: 'li.wei' } }, ['paused'], (d) => expect(d.pause).toMatchObject({ reason: 'hospital', actor: 'li.wei' })],
    ['a resume', (d) => (d.pause = { reason: 'x' }), { name: 'resume', payload: {} }, ['resumed'], (d) => expect(d.pause).toBeUndefined()],
    ['a resume when not paused', () => undefined, { name: 'resume', payload: {} }, ['signal_rejected'], () => undefined],
    ['a call outcome: promise', (d) => (d.pendingCall = { taskId: 'T-1', deadline: OPENED }), { name: 'callOutcome', payload: { outcome: 'promise', promise: { amountMinor: 100, dueDate: '2026-11-20' } } }, ['call_outcome', 'promise_made'], (d) => expect(d).toMatchObject({ rightPartyContact: true, pendingCall: undefined })],
    ['a call outcome: wrong number', () => undefined, { name: 'callOutcome', payload: { outcome: 'wrong_number' } }, ['call_outcome', 'contact_refresh_requested'], (d) => expect(d.invalidContact.phone).toBe(OPENED)],
    ['a survey answer', (d) => (d.survey = {}), { name: 'surveyResponse', payload: { score: 4 } }, ['survey_answered'], (d) => expect(d.survey).toEqual({ score: 4 })],
    ['a survey answer nobody asked for', () => undefined, { name: 'surveyResponse', payload: { score: 4 } }, ['signal_rejected'], () => undefined],
    ['a review decision', (d) => (d.review = { cause: 'provider_failed', reason: 'r', step: 'litigation-1', since: OPENED }), { name: 'reviewResolved', payload: { action: 'skip', note: 'n' } }, [], (d) => expect(d.review?.decision).toEqual({ action: 'skip', note: 'n', actor: undefined })],
    ['a review decision without a review', () => undefined, { name: 'reviewResolved', payload: { action: 'skip', note: 'n' } }, ['signal_rejected'], () => undefined],
  ])('%s', (_what, given, message, kinds, then) => {
    const d = opened(given);
    const before = d.timeline.length;
    const applied = apply(d, message, T0);
    expect(applied.events.map((e) => e.kind)).toEqual(kinds);
    expect(d.timeline.slice(before)).toEqual(applied.events);
    expect(applied.state).toBe(d);
    then(d);
  });

  it('answers a payment with the balance, and a redelivery as a duplicate', () => {
    const d = opened();
    expect(apply(d, { name: 'paymentReceived', payload: pay('P1', 100) }, T0).reply).toEqual({ accepted: true, duplicate: false, outstandingMinor: 7_999_900, paidMinor: 100 });
    expect(apply(d, { name: 'paymentReceived', payload: pay('P1', 100) }, T0).reply).toEqual({ accepted: false, duplicate: true, outstandingMinor: 7_999_900, paidMinor: 100 });
  });

  it('keeps a payment redelivered to an older run on the timeline (mode trimmed)', () => {
    const d = opened();
    apply(d, { name: 'paymentReceived', payload: pay('P1', 100) }, T0, { paymentIds: 'trimmed' });
    expect(apply(d, { name: 'paymentReceived', payload: pay('P1', 100) }, T0, { paymentIds: 'trimmed' }).events.map((e) => e.kind)).toEqual(['payment_duplicate']);
  });

  it('records a message refused by its schema', () => {
    const d = opened();
    expect(rejectMessage(d, 'pause', 'reason: required', T0).events).toMatchObject([{ kind: 'signal_rejected', detail: 'pause rejected: reason: required' }]);
  });

  it('resolves a case only once', () => {
    const d = opened((x) => (x.dispute = { reason: 'x' }));
    expect(apply(d, { name: 'disputeResolved', payload: { upheld: true } }, T0).resolved).toBe('cancelled');
    expect(resolveCase(d, 'paid_in_full', T0).resolved).toBeUndefined();
    expect(d.outcome).toBe('cancelled');
  });
});

describe('the loop transitions', () => {
  it.each<[string, (d: CaseData) => void, (d: CaseData) => ReturnType<typeof endHold>, string[], Record<string, unknown>]>([
    ['a promise kept', (d) => ((d.promise = { kind: 'promise', amountMinor: 100, dueDate: '2026-11-20', graceUntil: iso(T0 + DAY), paidAtStart: 0 }), (d.paidMinor = 100)), (d) => settlePromise(d, T0), ['promise_kept'], { keptPromises: 1, promise: undefined }],
    ['a settlement paid', (d) => ((d.promise = { kind: 'settlement', amountMinor: 100, dueDate: '2026-11-20', graceUntil: iso(T0 + DAY), paidAtStart: 0 }), (d.paidMinor = 100)), (d) => settlePromise(d, T0), ['settlement_paid', 'written_down', 'resolved'], { outcome: 'settled', outstandingMinor: 0 }],
    ['a promise broken', (d) => (d.promise = { kind: 'promise', amountMinor: 100, dueDate: '2026-11-01', graceUntil: iso(T0 - 1), paidAtStart: 0 }), (d) => settlePromise(d, T0), ['promise_broken'], { brokenPromises: 1 }],
    ['a review closed', (d) => (d.review = { cause: 'provider_failed', reason: 'r', step: 'sms-1', since: OPENED, decision: { action: 'close', note: 'n' } }), (d) => followReview(d, T0), ['review_resolved', 'resolved'], { outcome: 'cancelled', review: undefined }],
    ['a review skipping the due step', (d) => (d.review = { cause: 'provider_failed', reason: 'r', step: 'sms-1', since: OPENED, decision: { action: 'skip', note: 'n' } }), (d) => followReview(d, T0), ['review_resolved', 'step_skipped'], { progress: { index: 0, occurrences: 1 } }],
    ['a review skipping the forbearance offer', (d) => (d.review = { cause: 'no_allowed_instant', reason: 'r', step: 'forbearance-1', since: OPENED, decision: { action: 'skip', note: 'n' } }), (d) => followReview(d, T0), ['review_resolved'], { forbearance: { until: OPENED } }],
    ['a review retried', (d) => (d.review = { cause: 'provider_failed', reason: 'r', step: 'sms-1', since: OPENED, decision: { action: 'retry', note: 'n' } }), (d) => followReview(d, T0), ['review_resolved'], { review: undefined }],
    ['a hold ended', (d) => (d.pause = { reason: 'x', until: OPENED }), (d) => endHold(d, T0), ['resumed'], { pause: undefined }],
    ['a call expired', (d) => ((d.pendingCall = { taskId: 'T-1', deadline: OPENED }), d.contacts.push({ at: OPENED, channel: 'call', result: 'attempt' })), (d) => expireCall(d, T0), ['call_outcome'], { pendingCall: undefined, contacts: [{ result: 'no_answer' }] }],
    ['the ladder exhausted', () => undefined, (d) => resolveCase(d, 'written_off', T0, 'ladder_exhausted'), ['ladder_exhausted', 'resolved'], { outcome: 'written_off' }],
    ['a step needing review', () => undefined, (d) => needReview(d, 'provider_failed', 'lost', 'litigation-1', T0), ['needs_review'], { review: { cause: 'provider_failed', step: 'litigation-1', since: OPENED } }],
  ])('%s', (_what, given, transition, kinds, expected) => {
    const d = opened(given);
    expect(transition(d).events.map((e) => e.kind)).toEqual(kinds);
    expect(d).toMatchObject(expected);
  });

  it('passes over a step and moves the stage along', () => {
    const d = opened();
    const due = { index: 1, step: d.plan!.ladder[1]!, occurrence: 1, dueAt: T0, key: 'call-1' };
    expect(skipStep(d, due, 'no phone number on file', T0).events).toMatchObject([{ kind: 'step_skipped', detail: 'call-1 skipped: no phone number on file' }]);
    expect(d).toMatchObject({ stage: 'phone', progress: { index: 1, occurrences: 1, lastAt: OPENED } });
  });

  it('opens a late case at its latest step, keeping the notices', () => {
    const d = openCase({ ...input(), overdueSince: '2025-10-01' }, OPENED);
    const t = assignPlan(d, planCase(policy, d.input, OPENED), T0, { caseSafety: true });
    expect(t.events.map((e) => e.kind)).toEqual(['segment_assigned', 'steps_skipped']);
    expect(d.stage).toBe('letter');
    expect(t.logs).toEqual([{ level: 'info', message: 'case opened', fields: expect.objectContaining({ loanId: 'L-ENGINE-1' }) }]);
  });

  it('writes only kinds of the timeline vocabulary', () => {
    const d = opened();
    expect(d.timeline.every((e) => isTimelineKind(e.kind))).toBe(true);
  });
});
