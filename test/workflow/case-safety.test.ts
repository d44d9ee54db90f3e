import { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TIMELINE_WINDOW } from '../../src/domain/case-state';
import { caseWorkflowId } from '../../src/shared/ids';
import { paymentReceivedSignal, reviewResolvedSignal, timelineQuery } from '../../src/shared/messages';
import type { CaseInput, TimelineEvent } from '../../src/shared/schemas';
import { caseInput, deliveriesFor, FAST_POLICY, startHarness, startTimeSkippingHarness, waitForStatus, waitForTimeline, type Harness } from '../support/harness';
import { derivePolicy } from '../support/policies';
import { maybeRecordHistory } from '../support/record-history';

/** The closed case's history replays on the current bundle (and, with RECORD_HISTORIES=1, is stored for the replay test). */
async function replays(h: Harness, loanId: string, name: string): Promise<void> {
  const workflowId = caseWorkflowId(loanId);
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: h.dataConverter }, history, workflowId);
  await maybeRecordHistory(workflowId, name);
}

/**
 * Case safety (spec section 9) with the fast policy and variants of it: notice periods before
 * legal steps for a case opened at DPD 400 (on the time-skipping server: the notices are 45 s
 * of workflow time), needs_review instead of a failed or written-off case (on the suite's dev
 * server: ops find those cases through visibility), and the timeline window.
 */

const zone = 'Asia/Shanghai';
const daysAgo = (days: number) => DateTime.now().setZone(zone).minus({ days }).toISODate()!;
const at = (t: TimelineEvent[], kind: string, recipient = 'debtor') => t.find((e) => e.kind === kind && (e.data?.recipient === undefined || e.data.recipient === recipient));

/** The fast policy measured from the overdue date, so a case opened at DPD 400 has every step already due. */
const lateFast = (change: Parameters<typeof derivePolicy>[1] = () => undefined) =>
  derivePolicy(FAST_POLICY, (p) => {
    p.id = 'fast';
    p.anchor = 'overdue_since';
    change(p);
  });

describe('notice before legal steps, fast policy end to end (time skipping)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startTimeSkippingHarness({ policyFiles: [lateFast()] });
  });
  afterAll(async () => h?.stop());

  it('a case opened at DPD 400 gets a demand letter, then the lawyer letter, then litigation, each after its notice', async () => {
    const today = DateTime.fromMillis(await h.now()).setZone(zone);
    const input = caseInput({ overdueSince: today.minus({ days: 400 }).toISODate()! });
    await h.cases.open(input);
    // Awaiting the result lets the server skip its timers.
    const done = await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).result();
    expect(done.outcome).toBe('litigation_filed');
    const timeline = await h.cases.timeline(input.loanId);
    expect(timeline.find((e) => e.kind === 'steps_skipped')?.detail).toMatch(/starts at demand_letter \(notices before legal steps are never passed over\)/);
    const letter = Date.parse(at(timeline, 'letter_sent')!.at);
    const lawyer = Date.parse(at(timeline, 'lawyer_letter_sent')!.at);
    const filed = Date.parse(at(timeline, 'litigation_filed')!.at);
    expect(lawyer - letter).toBeGreaterThanOrEqual(15_000);
    expect(filed - lawyer).toBeGreaterThanOrEqual(30_000);
    // The timeline says why each legal step waited.
    const waits = timeline.filter((e) => e.kind === 'notice_period').map((e) => e.detail);
    expect(waits).toEqual([expect.stringMatching(/^lawyer_letter-1: lawyer's letter waits for its notice period: demand letter delivered/), expect.stringMatching(/^litigation-1: litigation waits for its notice period: lawyer's letter delivered/)]);
    // The provider's own ledger agrees: the order and the gaps.
    const ledger = deliveriesFor(h.sandbox, input.loanId).filter((d) => !d.idempotencyKey.includes('-g'));
    expect(ledger.map((d) => d.path)).toEqual(['/v1/letters', '/v1/lawyer-letters', '/v1/litigations']);
    await replays(h, input.loanId, 'v4-dpd400-notices-fast');
  });
});

describe('needs review instead of a failed or written-off case', () => {
  let h: Harness;
  beforeAll(async () => {
    const policy = lateFast((p) => {
      p.legal = { noticeBeforeLawyerLetter: '1s', noticeBeforeLitigation: '1s' };
      p.providers = { timeout: '1s', retry: { initialInterval: '100ms', maximumInterval: '200ms', backoffCoefficient: 2, maximumAttempts: 2 } };
    });
    h = await startHarness({ policyFiles: [policy] });
  });
  afterAll(async () => h?.stop());

  const review = (loanId: string, action: 'retry' | 'skip' | 'close') =>
    h.client.workflow.getHandle(caseWorkflowId(loanId)).signal(reviewResolvedSignal, { action, note: `supervisor chose ${action}`, actor: 'sup-1' });

  it('a litigation filing whose response was lost, then never answered in time, leaves the case in needs_review, still running; retry, skip and close do what they say', async () => {
    // Every litigation answer arrives after the activity's 1 s timeout: the first filing is
    // made (the provider records it) but its response is lost, and the retries time out too.
    h.sandbox.setFaults({ latencyMs: 1_500, paths: ['/v1/litigations'] });
    const inputs: Record<'retry' | 'skip' | 'close', CaseInput> = {
      retry: caseInput({ overdueSince: daysAgo(400) }),
      skip: caseInput({ overdueSince: daysAgo(400) }),
      close: caseInput({ overdueSince: daysAgo(400) }),
    };
    for (const input of Object.values(inputs)) await h.cases.open(input);
    for (const input of Object.values(inputs)) {
      const status = await waitForStatus(h, input.loanId, (s) => s.state === 'needs_review', 60_000);
      expect(status.review).toMatchObject({ cause: 'provider_failed', step: 'litigation-1' });
      expect(status.outcome).toBeUndefined();
      expect((await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).describe()).status.name).toBe('RUNNING');
      const timeline = await h.cases.timeline(input.loanId);
      expect(timeline.find((e) => e.kind === 'needs_review')?.detail).toMatch(/^Needs review: litigation-1 \(litigation filing\) failed after the provider's retries/);
    }
    // Ops find them by state.
    const query = `CollectionState = 'needs_review' AND LoanId = '${inputs.close.loanId}'`;
    await expect.poll(async () => (await h.client.workflow.count(query)).count, { timeout: 15_000 }).toBe(1);

    h.sandbox.setFaults({ latencyMs: 0 });
    await review(inputs.retry.loanId, 'retry');
    await review(inputs.skip.loanId, 'skip');
    await review(inputs.close.loanId, 'close');

    const retried = await waitForStatus(h, inputs.retry.loanId, (s) => s.outcome !== undefined);
    expect(retried.outcome).toBe('litigation_filed');
    // One filing at the provider: the retry carried the same key and got the first answer back.
    const filings = deliveriesFor(h.sandbox, inputs.retry.loanId).filter((d) => d.path === '/v1/litigations');
    expect(filings).toHaveLength(1);
    const retryTimeline = await h.cases.timeline(inputs.retry.loanId);
    expect(retryTimeline.find((e) => e.kind === 'litigation_filed')?.data?.providerRef).toBe((filings[0]!.response.body as { caseNo: string }).caseNo);
    expect(retryTimeline.find((e) => e.kind === 'review_resolved')?.detail).toMatch(/by sup-1 \(retry\).*supervisor chose retry/);

    const skipped = await waitForStatus(h, inputs.skip.loanId, (s) => s.outcome !== undefined);
    const skipTimeline = await h.cases.timeline(inputs.skip.loanId);
    expect(skipTimeline.some((e) => e.kind === 'step_skipped' && e.data?.step === 'litigation-1')).toBe(true);
    // Litigation was the last step: the ladder ends, by the supervisor's decision.
    expect(skipped.outcome).toBe('written_off');

    const closed = await waitForStatus(h, inputs.close.loanId, (s) => s.outcome !== undefined);
    expect(closed.outcome).toBe('cancelled');
    expect(closed.state).toBe('resolved');
    for (const input of Object.values(inputs)) {
      const result = await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).result();
      expect(result.loanId).toBe(input.loanId);
    }
    await replays(h, inputs.retry.loanId, 'v4-litigation-lost-response-review-retry');
  });

  it('a reviewResolved without a review is rejected on the timeline and changes nothing', async () => {
    const input = caseInput();
    await h.cases.open(input);
    await review(input.loanId, 'close');
    const timeline = await waitForTimeline(h, input.loanId, (t) => t.some((e) => e.kind === 'signal_rejected'));
    expect(timeline.find((e) => e.kind === 'signal_rejected')?.detail).toBe('reviewResolved rejected: the case is not in review');
    expect((await h.cases.status(input.loanId)).state).not.toBe('resolved');
    await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
  });
});

describe('a contact for which no allowed instant exists', () => {
  let h: Harness;
  beforeAll(async () => {
    // Every day of the next 401 is a holiday, and SMS and calls wait for a working day.
    const start = DateTime.now().setZone(zone).minus({ days: 1 });
    const holidays = Array.from({ length: 403 }, (_, i) => start.plus({ days: i }).toISODate()!);
    const policy = derivePolicy(FAST_POLICY, (p) => {
      p.profiles = { ...p.profiles, CN: { ...p.profiles?.CN, holidays: { calendar: 'none', behaviour: 'reduced', extraHolidays: holidays } } };
    });
    h = await startHarness({ policyFiles: [policy] });
  });
  afterAll(async () => h?.stop());

  it('puts the case in needs_review, never fails the workflow; close resolves it as cancelled', async () => {
    const input = caseInput();
    await h.cases.open(input);
    const status = await waitForStatus(h, input.loanId, (s) => s.state === 'needs_review', 60_000);
    expect(status.review).toMatchObject({ cause: 'no_allowed_instant', step: 'sms-1' });
    expect(status.review?.reason).toMatch(/^sms-1: no allowed instant for this contact \(no day without a public holiday within 400 days/);
    const handle = h.client.workflow.getHandle(caseWorkflowId(input.loanId));
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(deliveriesFor(h.sandbox, input.loanId)).toHaveLength(0);

    await handle.signal(reviewResolvedSignal, { action: 'close', note: 'no lawful contact possible' });
    expect((await handle.result()).outcome).toBe('cancelled');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    await replays(h, input.loanId, 'v4-no-allowed-instant-review-close');
  });
});

describe('bounded state, workflow level', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ policyFiles: [FAST_POLICY] });
  });
  afterAll(async () => h?.stop());

  it('hundreds of duplicate deliveries: the payment counts once, each redelivery is counted and the timeline stays within its window', async () => {
    const input = caseInput();
    await h.cases.open(input);
    await h.cases.signal(input.loanId, 'pause', { reason: 'hold while the bank re-sends its file' });
    const handle = h.client.workflow.getHandle(caseWorkflowId(input.loanId));
    const payment = { paymentId: 'BANK-DUP-1', amountMinor: 1_000, currency: 'CNY', receivedAt: new Date().toISOString() };
    const deliveries = TIMELINE_WINDOW + 100;
    for (let i = 0; i < deliveries; i += 10) await Promise.all(Array.from({ length: 10 }, () => handle.signal(paymentReceivedSignal, payment)));
    const status = await waitForStatus(h, input.loanId, (s) => s.duplicatePayments === deliveries - 1);
    expect(status.paidMinor).toBe(1_000);
    const timeline = await handle.query(timelineQuery);
    expect(timeline.length).toBeLessThanOrEqual(TIMELINE_WINDOW);
    expect(timeline.filter((e) => e.kind === 'payment_received')).toHaveLength(1);
    const bytes = Buffer.byteLength(JSON.stringify(await handle.query(timelineQuery)));
    expect(bytes).toBeLessThan(256 * 1024);
    await handle.terminate('test done');
  });
});
