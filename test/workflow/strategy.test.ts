import { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { assignArm } from '../../src/domain/experiment';
import { loadPolicyFile } from '../../src/policy/load';
import { caseWorkflowId } from '../../src/shared/ids';
import { caseInputNow, deliveriesFor, FAST_POLICY, startTimeSkippingHarness, waitForStatus, waitForTimeline, type Harness } from '../support/harness';
import { derivePolicy } from '../support/policies';
import { maybeRecordHistory } from '../support/record-history';

/**
 * Repayment plans, settlements, agencies, collectors and surveys on the fast policy, on the
 * time-skipping server (one test after another: skipping time is global to the server).
 */
let h: Harness;
/** The fast policy under the UK's CONC rules: forbearance is offered before letters. */
const UK_POLICY = derivePolicy(FAST_POLICY, (p) => {
  p.id = 'fast-uk';
  p.jurisdiction = 'UK_CONC';
  for (const segment of p.segments) delete segment.jurisdiction;
  p.forbearance = { offerWindow: '4s' };
});
beforeAll(async () => {
  h = await startTimeSkippingHarness({ policyFiles: [FAST_POLICY, UK_POLICY] });
});
afterAll(async () => {
  await h?.stop();
});

/** An instant `s` seconds of server time from now. */
const inSeconds = async (s: number) => new Date((await h.now()) + s * 1000).toISOString();
const pay = (loanId: string, paymentId: string, amountMinor: number) =>
  h.cases.recordPayment(loanId, { paymentId, amountMinor, currency: 'CNY', receivedAt: new Date().toISOString() });
const result = (loanId: string) => h.client.workflow.getHandle(caseWorkflowId(loanId)).result();
const kinds = async (loanId: string) => (await h.cases.timeline(loanId)).map((e) => e.kind);
const goodHistory = { previousDelinquencies: 0, brokenPromises: 0, monthsOnBook: 120 };

describe('collection strategy (time skipping)', () => {
  it('keeps the case promised while plan instalments arrive, and resolves when the plan is paid', async () => {
    const input = await caseInputNow(h, { amountDueMinor: 3_000_000 });
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    await h.cases.signal(input.loanId, 'repaymentPlan', { instalments: [{ amountMinor: 1_500_000, dueDate: await inSeconds(4) }, { amountMinor: 1_500_000, dueDate: await inSeconds(8) }] });
    await waitForStatus(h, input.loanId, (s) => s.state === 'promised' && s.promise?.kind === 'plan');
    await pay(input.loanId, 'I-1', 1_500_000);
    await h.advance('7s');
    expect((await h.cases.status(input.loanId)).state).toBe('promised');
    await pay(input.loanId, 'I-2', 1_500_000);
    expect((await result(input.loanId)).outcome).toBe('paid_in_full');
    expect(await kinds(input.loanId)).toEqual(expect.arrayContaining(['plan_made', 'promise_kept']));
  });

  it('takes a plan due on calendar dates: each falls due at the end of that day in the debtor\'s time zone', async () => {
    // The workflow loads luxon only for a calendar date (src/domain/local-time.ts): this is its path inside the sandbox.
    const input = await caseInputNow(h, { amountDueMinor: 3_000_000 });
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    const zone = input.debtor.timezone;
    const today = DateTime.fromMillis(await h.now(), { zone });
    const day = (n: number) => today.plus({ days: n }).toISODate()!;
    await h.cases.signal(input.loanId, 'repaymentPlan', { instalments: [{ amountMinor: 1_000_000, dueDate: day(3) }, { amountMinor: 2_000_000, dueDate: day(2) }] });
    const promised = await waitForStatus(h, input.loanId, (s) => s.state === 'promised' && s.promise?.kind === 'plan');
    const endOfDay3 = DateTime.fromISO(day(3), { zone }).endOf('day').toMillis();
    // The last instalment's day, plus the fast policy's grace of 2 s.
    expect(promised.promise).toMatchObject({ dueDate: day(3), graceUntil: new Date(endOfDay3 + 2_000).toISOString() });
    // Paid and closed rather than terminated (see below: a terminated case can hold the test server's time skipping back).
    await pay(input.loanId, 'CAL-1', input.amountDueMinor);
    expect((await result(input.loanId)).outcome).toBe('paid_in_full');
  });

  it('resumes escalation when a plan instalment is missed', async () => {
    const input = await caseInputNow(h, { amountDueMinor: 3_000_000 });
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    await h.cases.signal(input.loanId, 'repaymentPlan', { instalments: [{ amountMinor: 1_000_000, dueDate: await inSeconds(2) }, { amountMinor: 2_000_000, dueDate: await inSeconds(20) }] });
    await waitForStatus(h, input.loanId, (s) => s.state === 'promised');
    const resumed = await waitForStatus(h, input.loanId, (s) => s.state === 'active' && s.brokenPromises === 1, 20_000);
    expect(resumed.promise).toBeUndefined();
    const missed = (await h.cases.timeline(input.loanId)).find((e) => e.kind === 'promise_broken');
    expect(missed?.detail).toMatch(/Repayment plan missed/);
    await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
  });

  it('settles for a discounted amount paid in full', async () => {
    const input = await caseInputNow(h, { amountDueMinor: 3_000_000 });
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    await h.cases.signal(input.loanId, 'settlementOffer', { amountMinor: 2_000_000, validUntil: await inSeconds(10) });
    await waitForStatus(h, input.loanId, (s) => s.promise?.kind === 'settlement');
    await pay(input.loanId, 'S-1', 2_000_000);
    const done = await result(input.loanId);
    expect(done).toMatchObject({ outcome: 'settled', paidMinor: 2_000_000, outstandingMinor: 0 });
    expect(await kinds(input.loanId)).toEqual(expect.arrayContaining(['settlement_made', 'settlement_paid', 'written_down']));
  });

  it('places a small balance with an agency and recalls it when unpaid', async () => {
    const input = await caseInputNow(h, { amountDueMinor: 150_000 });
    await h.cases.open(input);
    const placed = await waitForStatus(h, input.loanId, (s) => s.stage === 'agency', 80_000);
    expect(placed.segment).toBe('small_balance');
    const done = await result(input.loanId);
    expect(done.outcome).toBe('written_off');
    const paths = deliveriesFor(h.sandbox, input.loanId).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['/v1/agency-placements', '/v1/agency-recalls']));
    expect(paths).not.toContain('/v1/litigations');
    expect(await kinds(input.loanId)).toEqual(expect.arrayContaining(['agency_placed', 'agency_recalled']));
  });

  it('pays the agency its commission on what it recovers', async () => {
    const input = await caseInputNow(h, { amountDueMinor: 150_000 });
    await h.cases.open(input);
    const placed = await waitForStatus(h, input.loanId, (s) => s.stage === 'agency', 80_000);
    await pay(input.loanId, 'A-1', 150_000);
    const done = await result(input.loanId);
    expect(done.outcome).toBe('paid_in_full');
    const commissionBps = loadPolicyFile(FAST_POLICY).costs.agencyCommissionBps;
    expect(done.costMinor - placed.costMinor).toBe(Math.round((150_000 * commissionBps) / 10_000) + loadPolicyFile(FAST_POLICY).costs.survey);
  });

  it('rotates the collector on schedule and reacts to call outcomes', async () => {
    const input = await caseInputNow(h, { history: goodHistory });
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'letter', 40_000);
    const timeline = await h.cases.timeline(input.loanId);
    const assignees = new Set(timeline.filter((e) => e.kind === 'call_task_created').map((e) => e.data?.assignee));
    expect(assignees.size).toBeGreaterThan(1);
    expect(timeline.some((e) => e.kind === 'collector_rotated')).toBe(true);
    await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
  });

  it('turns a wrong-number call outcome into a contact refresh, and a promise outcome into a promise', async () => {
    const input = await caseInputNow(h, { history: goodHistory });
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'phone', 20_000);
    await h.cases.signal(input.loanId, 'callOutcome', { outcome: 'wrong_number', note: 'stranger answered' });
    await waitForStatus(h, input.loanId, (s) => (s.awaitingContactRefresh ?? []).includes('phone'));
    await h.cases.signal(input.loanId, 'contactUpdated', { phone: '+8613600000001' });
    await h.cases.signal(input.loanId, 'callOutcome', { outcome: 'promise', promise: { amountMinor: 1_000_000, dueDate: await inSeconds(20) } });
    const promised = await waitForStatus(h, input.loanId, (s) => s.state === 'promised');
    expect(promised.awaitingContactRefresh).toBeUndefined();
    // Paid and closed rather than terminated: a case terminated here held the test server's
    // time skipping back for about 18 s of wall time in the next test.
    await pay(input.loanId, 'W-1', input.amountDueMinor);
    expect((await result(input.loanId)).outcome).toBe('paid_in_full');
  });

  it('asks for satisfaction after a paid case and records the answer', async () => {
    const input = await caseInputNow(h);
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    await pay(input.loanId, 'F-1', input.amountDueMinor);
    await waitForStatus(h, input.loanId, (s) => s.state === 'resolved');
    // The case's own record, not the provider's ledger: the answer is accepted once the case knows the survey went out.
    await waitForTimeline(h, input.loanId, (t) => t.some((e) => e.kind === 'survey_sent'));
    const survey = deliveriesFor(h.sandbox, input.loanId).find((d) => d.idempotencyKey.endsWith('/survey-1'));
    expect((survey!.body as { template: string }).template).toBe('satisfaction_survey');
    await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).signal('surveyResponse', { score: 4, comment: 'fair treatment' });
    await result(input.loanId);
    expect((await h.cases.status(input.loanId)).satisfactionScore).toBe(4);
  });

  it('offers forbearance before the first letter under UK CONC, and escalates only after the offer window', async () => {
    const input = await caseInputNow(h, { policyId: 'fast-uk', currency: 'GBP', amountDueMinor: 900_000, history: goodHistory, debtor: { timezone: 'Europe/London', phone: '+447700900123' } });
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'letter', 60_000);
    const timeline = await h.cases.timeline(input.loanId);
    const offered = timeline.find((e) => e.kind === 'forbearance_offered')!;
    const firstLetter = timeline.find((e) => e.kind === 'letter_sent')!;
    expect(offered).toBeDefined();
    expect(Date.parse(firstLetter.at)).toBeGreaterThanOrEqual(Date.parse(offered.data!.until as string));
    const offer = deliveriesFor(h.sandbox, input.loanId).find((d) => d.idempotencyKey.endsWith('/forbearance-1'));
    expect((offer?.body as { template: string }).template).toBe('forbearance_offer');
    await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
    // The forbearance-before-escalation branch for the replay test (v2: its own marker; v7 and later: implied by the epoch).
    await maybeRecordHistory(caseWorkflowId(input.loanId), 'v8-uk-forbearance', h.client);
  });

  it('keeps the champion/challenger arm across replays of the case history', async () => {
    const policy = loadPolicyFile(FAST_POLICY);
    const input = await caseInputNow(h, { history: goodHistory, amountDueMinor: 3_000_000 });
    await h.cases.open(input);
    const status = await waitForStatus(h, input.loanId, (s) => s.strategy !== undefined);
    if (status.segment === 'standard') expect(status.strategy).toBe(assignArm(input.loanId, policy.experiment, 'standard'));
    await pay(input.loanId, 'C-1', input.amountDueMinor);
    const handle = h.client.workflow.getHandle(caseWorkflowId(input.loanId));
    await handle.signal('surveyResponse', { score: 5 }).catch(() => undefined);
    await handle.result();
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: h.dataConverter }, history, caseWorkflowId(input.loanId));
    expect((await h.cases.status(input.loanId)).strategy).toBe(status.strategy);
  });
});
