import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENING_REPORT_FACTS } from '../../src/shared/case-memo';
import { caseWorkflowId } from '../../src/shared/ids';
import * as messages from '../../src/shared/messages';
import { caseInputNow, deliveriesFor, startTimeSkippingHarness, waitForStatus, type Harness } from '../support/harness';
import { CURRENT_EPOCH } from '../../src/workflows/case-patches';
import { recordedPatches } from '../support/patch-markers';
import { maybeRecordHistory } from '../support/record-history';

/**
 * Escalation behaviour on the fast policy (one second per day) on the time-skipping test
 * server, with real HTTP to the provider sandbox: the policy's seconds pass only when a test
 * skips them, so there are no wall-clock waits. Tests run one after another, because skipping
 * time is global to the server. The full ladder on a real dev server is in end-to-end.test.ts.
 */
let h: Harness;
beforeAll(async () => {
  h = await startTimeSkippingHarness();
});
afterAll(async () => {
  await h?.stop();
});

const timelineKinds = async (loanId: string) => (await h.client.workflow.getHandle(caseWorkflowId(loanId)).query(messages.timelineQuery)).map((e) => e.kind);
const payment = (paymentId: string, amountMinor: number, currency = 'CNY') => ({ paymentId, amountMinor, currency, receivedAt: new Date().toISOString() });
/** An instant `s` seconds of server time from now. */
const inSeconds = async (s: number) => new Date((await h.now()) + s * 1000).toISOString();
/** A step already in flight when a hold arrives may still be delivered; let it land before counting. */
const settle = () => h.advance('1500ms');

describe('collection case on the fast policy (time skipping)', () => {
  it('stops escalating when the debt is paid mid-ladder', async () => {
    const input = await caseInputNow(h);
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'phone');
    await h.cases.recordPayment(input.loanId, payment('P-full', input.amountDueMinor));
    const result = await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).result();
    expect(result).toMatchObject({ outcome: 'paid_in_full', outstandingMinor: 0, paidMinor: input.amountDueMinor });
    const paths = deliveriesFor(h.sandbox, input.loanId).map((d) => d.path);
    expect(paths).not.toContain('/v1/letters');
    expect(paths).not.toContain('/v1/litigations');
  });

  it('reports its opening facts from the start memo, with no memo upsert of its own', async () => {
    const input = await caseInputNow(h);
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    const handle = h.client.workflow.getHandle(caseWorkflowId(input.loanId));
    expect((await handle.describe()).memo).toMatchObject(OPENING_REPORT_FACTS);
    expect((await handle.fetchHistory()).events!.filter((e) => e.workflowPropertiesModifiedEventAttributes)).toHaveLength(0);
    // Paid and closed rather than terminated: a case terminated while its step's activity runs can
    // hold the test server's time skipping back for the tests after it.
    await h.cases.recordPayment(input.loanId, payment('MEMO-1', input.amountDueMinor));
    expect((await handle.result()).outcome).toBe('paid_in_full');
  });

  it('reduces the balance on a partial payment and keeps escalating; the same payment twice counts once', async () => {
    const input = await caseInputNow(h);
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    await h.cases.recordPayment(input.loanId, payment('P-part', 1_000_000));
    await h.cases.recordPayment(input.loanId, payment('P-part', 1_000_000));
    const handle = h.client.workflow.getHandle(caseWorkflowId(input.loanId));
    // The update's validator refuses a payment already applied (no history added); the signal's redelivery is counted.
    await expect(handle.executeUpdate(messages.applyPaymentUpdate, { args: [payment('P-part', 1_000_000)] })).rejects.toMatchObject({ cause: { type: 'DuplicatePayment' } });
    await handle.signal(messages.paymentReceivedSignal, payment('P-part', 1_000_000));
    const status = await waitForStatus(h, input.loanId, (s) => s.stage === 'letter');
    expect(status.paidMinor).toBe(1_000_000);
    expect(status.outstandingMinor).toBe(input.amountDueMinor - 1_000_000);
    expect(status.duplicatePayments).toBe(1);
    // Counted, not listed: a storm of redeliveries must not crowd the timeline.
    expect((await timelineKinds(input.loanId)).filter((k) => k === 'payment_duplicate')).toHaveLength(0);
    await handle.terminate('test done');
  });

  it('rejects a payment in another currency without touching the balance', async () => {
    const input = await caseInputNow(h);
    await h.cases.open(input);
    const handle = h.client.workflow.getHandle(caseWorkflowId(input.loanId));
    await handle.signal(messages.paymentReceivedSignal, payment('P-usd', 500, 'USD'));
    await expect(handle.executeUpdate(messages.applyPaymentUpdate, { args: [payment('P-usd2', 500, 'USD')] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/currency USD does not match the case currency CNY/) },
    });
    await expect(h.cases.recordPayment(input.loanId, payment('P-usd3', 500, 'USD'))).rejects.toMatchObject({ code: 'currency_mismatch' });
    const status = await h.cases.status(input.loanId);
    expect(status.paidMinor).toBe(0);
    expect(await timelineKinds(input.loanId)).toContain('payment_rejected');
    await handle.terminate('test done');
  });

  it('sends to the contact-refresh step on an invalid phone, then uses the new number', async () => {
    const input = await caseInputNow(h, { debtor: { phone: '+8613700000099' } });
    h.sandbox.markInvalid({ phones: ['+8613700000099'] });
    await h.cases.open(input);
    const refreshing = await waitForStatus(h, input.loanId, (s) => (s.awaitingContactRefresh ?? []).includes('phone'));
    expect(refreshing.nextAction).toMatch(/contact refresh/);
    expect(await timelineKinds(input.loanId)).toContain('contact_refresh_requested');
    await h.cases.signal(input.loanId, 'contactUpdated', { phone: '+8613700000100' });
    await waitForStatus(h, input.loanId, (s) => s.awaitingContactRefresh === undefined && s.stage !== 'sms');
    const sms = deliveriesFor(h.sandbox, input.loanId).filter((d) => d.path === '/v1/sms');
    expect(sms.length).toBeGreaterThan(0);
    expect(sms.every((d) => (d.body as { to: string }).to === '+8613700000100')).toBe(true);
    await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
  });

  it('holds on pause and continues on resume', async () => {
    const input = await caseInputNow(h);
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    await h.cases.signal(input.loanId, 'pause', { reason: 'customer in hospital', actor: 'ops-anna' });
    await waitForStatus(h, input.loanId, (s) => s.state === 'paused');
    await settle();
    const before = deliveriesFor(h.sandbox, input.loanId).length;
    await h.advance('4s');
    expect(deliveriesFor(h.sandbox, input.loanId).length).toBe(before);
    await h.cases.signal(input.loanId, 'resume', { actor: 'ops-anna' });
    await waitForStatus(h, input.loanId, (s) => s.state === 'active' && s.stage === 'phone');
    expect(deliveriesFor(h.sandbox, input.loanId).length).toBeGreaterThan(before);
    const timeline = await h.cases.timeline(input.loanId);
    expect(timeline.find((e) => e.kind === 'paused')?.detail).toMatch(/ops-anna.*hospital/);
    await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
  });

  it('keeps a promise: escalation waits, the payment resolves the case', async () => {
    const input = await caseInputNow(h);
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    await h.cases.signal(input.loanId, 'promiseToPay', { amountMinor: input.amountDueMinor, dueDate: await inSeconds(8) });
    const promised = await waitForStatus(h, input.loanId, (s) => s.state === 'promised');
    expect(promised.promise).toMatchObject({ amountMinor: input.amountDueMinor, kind: 'promise' });
    await h.cases.recordPayment(input.loanId, payment('P-promise', input.amountDueMinor));
    const result = await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).result();
    expect(result.outcome).toBe('paid_in_full');
    expect(await timelineKinds(input.loanId)).toContain('promise_kept');
    // A case started on the current code records one patch marker, its epoch, for every version before it (CasePatches).
    expect(await recordedPatches(h.client.workflow.getHandle(caseWorkflowId(input.loanId)))).toEqual([CURRENT_EPOCH]);
    await maybeRecordHistory(caseWorkflowId(input.loanId), 'v8-promise-kept-paid', h.client);
  });

  it('counts a broken promise and resumes escalation', async () => {
    const input = await caseInputNow(h);
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    await h.cases.signal(input.loanId, 'promiseToPay', { amountMinor: 2_000_000, dueDate: await inSeconds(2) });
    await waitForStatus(h, input.loanId, (s) => s.state === 'promised');
    const after = await waitForStatus(h, input.loanId, (s) => s.state === 'active' && (s.brokenPromises ?? 0) === 1, 20_000);
    expect(after.promise).toBeUndefined();
    expect(await timelineKinds(input.loanId)).toContain('promise_broken');
    await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
  });

  it('stops contact while a dispute is verified and resumes when it is rejected', async () => {
    const input = await caseInputNow(h);
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    await h.cases.signal(input.loanId, 'disputeRaised', { reason: 'amount disputed' });
    await waitForStatus(h, input.loanId, (s) => s.state === 'disputed');
    await settle();
    const before = deliveriesFor(h.sandbox, input.loanId).length;
    await h.advance('4s');
    expect(deliveriesFor(h.sandbox, input.loanId).length).toBe(before);
    await h.cases.signal(input.loanId, 'disputeResolved', { upheld: false });
    await waitForStatus(h, input.loanId, (s) => s.state === 'active');
    const kinds = await timelineKinds(input.loanId);
    expect(kinds).toEqual(expect.arrayContaining(['dispute_raised', 'dispute_resolved']));
    await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
  });

  it('cancels the claim when a dispute is upheld', async () => {
    const input = await caseInputNow(h);
    await h.cases.open(input);
    await h.cases.signal(input.loanId, 'disputeRaised', { reason: 'identity theft' });
    await h.cases.signal(input.loanId, 'disputeResolved', { upheld: true });
    const result = await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).result();
    expect(result.outcome).toBe('cancelled');
  });

  it('rejects an invalid signal payload without crashing the case', async () => {
    const input = await caseInputNow(h);
    await h.cases.open(input);
    const handle = h.client.workflow.getHandle(caseWorkflowId(input.loanId));
    await handle.signal('paymentReceived', { paymentId: '', amountMinor: -5 } as never);
    await handle.signal('pause', { nonsense: true } as never);
    const status = await waitForStatus(h, input.loanId, () => true);
    expect(status.state).toBe('active');
    const timeline = await h.cases.timeline(input.loanId);
    expect(timeline.filter((e) => e.kind === 'signal_rejected')).toHaveLength(2);
    await handle.terminate('test done');
  });

  it('opening a case that is already open returns the existing case', async () => {
    const input = await caseInputNow(h);
    const first = await h.cases.open(input);
    const second = await h.cases.open(input);
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, workflowId: first.workflowId, runId: first.runId });
    await h.client.workflow.getHandle(first.workflowId).terminate('test done');
  });

  it('never reopens a closed case for the same overdue episode, but opens one when the loan defaults again', async () => {
    const input = await caseInputNow(h);
    const first = await h.cases.open(input);
    await h.cases.signal(input.loanId, 'disputeRaised', { reason: 'paid at the branch' });
    await h.cases.signal(input.loanId, 'disputeResolved', { upheld: true });
    await h.client.workflow.getHandle(first.workflowId).result();
    // Re-importing the same file: the closed case stands, nothing is sent again.
    expect(await h.cases.open(input)).toMatchObject({ created: false, runId: first.runId });
    // A later default of the same loan is a new case (dated on the server's clock: waiting for the
    // result skipped time, and an overdue date past the policy's maxOverdueAge is refused).
    const laterDefault = new Date((await h.now()) - 86_400_000).toISOString().slice(0, 10);
    expect(laterDefault > input.overdueSince).toBe(true);
    const again = await h.cases.open({ ...input, overdueSince: laterDefault });
    expect(again.created).toBe(true);
    expect(again.runId).not.toBe(first.runId);
    await h.client.workflow.getHandle(first.workflowId).terminate('test done');
  });
});
