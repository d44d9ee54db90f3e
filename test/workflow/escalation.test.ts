import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseWorkflowId } from '../../src/shared/ids';
import * as messages from '../../src/shared/messages';
import { caseInput, deliveriesFor, startHarness, waitForStatus, type Harness } from '../support/harness';
import { maybeRecordHistory } from '../support/record-history';

/**
 * The escalation ladder end to end: real Temporal dev server, real HTTP to the provider
 * sandbox, the fast policy (one second per day). Each test drives its own case.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const timelineKinds = async (loanId: string) => (await h.client.workflow.getHandle(caseWorkflowId(loanId)).query(messages.timelineQuery)).map((e) => e.kind);
const payment = (paymentId: string, amountMinor: number, currency = 'CNY') => ({ paymentId, amountMinor, currency, receivedAt: new Date().toISOString() });
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
/** A step already in flight when a hold arrives may still be delivered; let it land before counting. */
const settle = () => new Promise((r) => setTimeout(r, 1500));

describe.concurrent('collection case on the fast policy', () => {
  it('walks the whole ladder without payment and hands the case to litigation, one delivery per step', async () => {
    const input = caseInput({ history: { previousDelinquencies: 0, brokenPromises: 0, monthsOnBook: 60 } });
    await h.cases.open(input);
    const result = await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).result();
    expect(result.outcome).toBe('litigation_filed');
    await maybeRecordHistory(caseWorkflowId(input.loanId), 'v1-full-ladder-litigation');

    const deliveries = deliveriesFor(h.sandbox, input.loanId);
    const keys = deliveries.map((d) => d.idempotencyKey);
    const sent = (await h.cases.timeline(input.loanId)).filter((e) => e.data?.providerRef !== undefined).map((e) => e.data!.step as string);
    expect(new Set(sent).size).toBe(sent.length);
    expect(keys.map((k) => k.split('/').pop()).sort()).toEqual([...sent].sort());
    const paths = deliveries.map((d) => d.path);
    for (const path of ['/v1/sms', '/v1/calls', '/v1/letters', '/v1/lawyer-letters', '/v1/litigations']) expect(paths).toContain(path);
    expect(paths.filter((p) => p === '/v1/litigations')).toHaveLength(1);
    // Demand and lawyer's letters went to the debtor and the guarantor.
    expect(keys.filter((k) => k.endsWith('-g1'))).toHaveLength(2);
    // Every request the sandbox saw for this case carried a key it delivered exactly once.
    const requests = h.sandbox.ledger().requests.filter((r) => r.idempotencyKey?.startsWith(`${caseWorkflowId(input.loanId)}/`) && r.status === 200);
    expect(requests.length).toBe(deliveries.length);

    const status = await h.cases.status(input.loanId);
    expect(status).toMatchObject({ state: 'resolved', stage: 'litigation', outcome: 'litigation_filed', paidMinor: 0 });
    expect(status.costMinor).toBeGreaterThan(0);
    const kinds = await timelineKinds(input.loanId);
    expect(kinds[0]).toBe('case_opened');
    expect(kinds).toEqual(expect.arrayContaining(['sms_sent', 'call_task_created', 'letter_sent', 'lawyer_letter_sent', 'litigation_filed', 'resolved']));
  });

  it('stops escalating when the debt is paid mid-ladder', async () => {
    const input = caseInput();
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'phone');
    await h.cases.recordPayment(input.loanId, payment('P-full', input.amountDueMinor));
    const result = await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).result();
    expect(result).toMatchObject({ outcome: 'paid_in_full', outstandingMinor: 0, paidMinor: input.amountDueMinor });
    const paths = deliveriesFor(h.sandbox, input.loanId).map((d) => d.path);
    expect(paths).not.toContain('/v1/letters');
    expect(paths).not.toContain('/v1/litigations');
  });

  it('reduces the balance on a partial payment and keeps escalating; the same payment twice counts once', async () => {
    const input = caseInput();
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    await h.cases.recordPayment(input.loanId, payment('P-part', 1_000_000));
    await h.cases.recordPayment(input.loanId, payment('P-part', 1_000_000));
    const handle = h.client.workflow.getHandle(caseWorkflowId(input.loanId));
    // The update's validator refuses a payment already applied (no history added); the signal records the duplicate.
    await expect(handle.executeUpdate(messages.applyPaymentUpdate, { args: [payment('P-part', 1_000_000)] })).rejects.toMatchObject({ cause: { type: 'DuplicatePayment' } });
    await handle.signal(messages.paymentReceivedSignal, payment('P-part', 1_000_000));
    const status = await waitForStatus(h, input.loanId, (s) => s.stage === 'letter');
    expect(status.paidMinor).toBe(1_000_000);
    expect(status.outstandingMinor).toBe(input.amountDueMinor - 1_000_000);
    expect((await timelineKinds(input.loanId)).filter((k) => k === 'payment_duplicate')).toHaveLength(1);
    await handle.terminate('test done');
  });

  it('rejects a payment in another currency without touching the balance', async () => {
    const input = caseInput();
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
    const input = caseInput({ debtor: { phone: '+8613700000099' } });
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
    const input = caseInput();
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    await h.cases.signal(input.loanId, 'pause', { reason: 'customer in hospital', actor: 'ops-anna' });
    await waitForStatus(h, input.loanId, (s) => s.state === 'paused');
    await settle();
    const before = deliveriesFor(h.sandbox, input.loanId).length;
    await new Promise((r) => setTimeout(r, 4000));
    expect(deliveriesFor(h.sandbox, input.loanId).length).toBe(before);
    await h.cases.signal(input.loanId, 'resume', { actor: 'ops-anna' });
    await waitForStatus(h, input.loanId, (s) => s.state === 'active' && s.stage === 'phone');
    expect(deliveriesFor(h.sandbox, input.loanId).length).toBeGreaterThan(before);
    const timeline = await h.cases.timeline(input.loanId);
    expect(timeline.find((e) => e.kind === 'paused')?.detail).toMatch(/ops-anna.*hospital/);
    await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
  });

  it('keeps a promise: escalation waits, the payment resolves the case', async () => {
    const input = caseInput();
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    await h.cases.signal(input.loanId, 'promiseToPay', { amountMinor: input.amountDueMinor, dueDate: inSeconds(8) });
    const promised = await waitForStatus(h, input.loanId, (s) => s.state === 'promised');
    expect(promised.promise).toMatchObject({ amountMinor: input.amountDueMinor, kind: 'promise' });
    await h.cases.recordPayment(input.loanId, payment('P-promise', input.amountDueMinor));
    const result = await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).result();
    expect(result.outcome).toBe('paid_in_full');
    expect(await timelineKinds(input.loanId)).toContain('promise_kept');
    await maybeRecordHistory(caseWorkflowId(input.loanId), 'v1-promise-kept-paid');
  });

  it('counts a broken promise and resumes escalation', async () => {
    const input = caseInput();
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    await h.cases.signal(input.loanId, 'promiseToPay', { amountMinor: 2_000_000, dueDate: inSeconds(2) });
    await waitForStatus(h, input.loanId, (s) => s.state === 'promised');
    const after = await waitForStatus(h, input.loanId, (s) => s.state === 'active' && (s.brokenPromises ?? 0) === 1, 20_000);
    expect(after.promise).toBeUndefined();
    expect(await timelineKinds(input.loanId)).toContain('promise_broken');
    await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
  });

  it('stops contact while a dispute is verified and resumes when it is rejected', async () => {
    const input = caseInput();
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
    await h.cases.signal(input.loanId, 'disputeRaised', { reason: 'amount disputed' });
    await waitForStatus(h, input.loanId, (s) => s.state === 'disputed');
    await settle();
    const before = deliveriesFor(h.sandbox, input.loanId).length;
    await new Promise((r) => setTimeout(r, 4000));
    expect(deliveriesFor(h.sandbox, input.loanId).length).toBe(before);
    await h.cases.signal(input.loanId, 'disputeResolved', { upheld: false });
    await waitForStatus(h, input.loanId, (s) => s.state === 'active');
    const kinds = await timelineKinds(input.loanId);
    expect(kinds).toEqual(expect.arrayContaining(['dispute_raised', 'dispute_resolved']));
    await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
  });

  it('cancels the claim when a dispute is upheld', async () => {
    const input = caseInput();
    await h.cases.open(input);
    await h.cases.signal(input.loanId, 'disputeRaised', { reason: 'identity theft' });
    await h.cases.signal(input.loanId, 'disputeResolved', { upheld: true });
    const result = await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).result();
    expect(result.outcome).toBe('cancelled');
  });

  it('rejects an invalid signal payload without crashing the case', async () => {
    const input = caseInput();
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
    const input = caseInput();
    const first = await h.cases.open(input);
    const second = await h.cases.open(input);
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, workflowId: first.workflowId, runId: first.runId });
    await h.client.workflow.getHandle(first.workflowId).terminate('test done');
  });

  it('never reopens a closed case for the same overdue episode, but opens one when the loan defaults again', async () => {
    const input = caseInput();
    const first = await h.cases.open(input);
    await h.cases.signal(input.loanId, 'disputeRaised', { reason: 'paid at the branch' });
    await h.cases.signal(input.loanId, 'disputeResolved', { upheld: true });
    await h.client.workflow.getHandle(first.workflowId).result();
    // Re-importing the same file: the closed case stands, nothing is sent again.
    expect(await h.cases.open(input)).toMatchObject({ created: false, runId: first.runId });
    // A later default of the same loan is a new case.
    const again = await h.cases.open({ ...input, overdueSince: '2026-11-20' });
    expect(again.created).toBe(true);
    expect(again.runId).not.toBe(first.runId);
    await h.client.workflow.getHandle(first.workflowId).terminate('test done');
  });
});
