import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CaseService } from '../../src/client/case-service';
import { caseWorkflowId } from '../../src/shared/ids';
import { applyPaymentUpdate, surveyResponseSignal } from '../../src/shared/messages';
import { caseInput, startHarness, waitForStatus, waitForTimeline, type Harness } from '../support/harness';
import { maybeRecordHistory } from '../support/record-history';

/**
 * A storm of payment signals (issue 12, scenario 10, in small): distinct payments each
 * delivered twice, all waiting for the case's first workflow task. Every payment counts once,
 * redeliveries are counted rather than listed, and the burst costs the case a bounded number
 * of search-attribute and memo upserts (one per wait, not one per message).
 */

const { EventType } = temporal.api.enums.v1;
const DISTINCT = 40;

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

const payment = (paymentId: string, amountMinor: number) => ({ paymentId, amountMinor, currency: 'CNY', receivedAt: new Date().toISOString() });

describe('a storm of payment signals before the first workflow task', () => {
  it('counts each payment once, lists no redelivery, and upserts visibility a bounded number of times', { timeout: 120_000 }, async () => {
    // A task queue no worker polls yet: the whole storm waits for the case's first task.
    const taskQueue = `storm-${randomUUID()}`;
    const cases = new CaseService(h.client, taskQueue, h.cases.policies);
    const input = caseInput({ amountDueMinor: 500_000 });
    await cases.open(input);
    const handle = h.client.workflow.getHandle(caseWorkflowId(input.loanId));
    for (let round = 0; round < 2; round += 1) {
      await Promise.all(Array.from({ length: DISTINCT }, (_, i) => cases.signal(input.loanId, 'paymentReceived', payment(` STORM-${i}`, 1))));
    }

    const { result, timeline, status } = await h.withWorker(taskQueue, async () => {
      const stormed = await waitForStatus(h, input.loanId, (s) => s.paidMinor === DISTINCT && s.duplicatePayments === DISTINCT, 60_000);
      expect(stormed).toMatchObject({ state: 'active', outstandingMinor: 500_000 - DISTINCT });
      // A redelivery through the update is refused by its validator, whatever the storm did.
      await expect(handle.executeUpdate(applyPaymentUpdate, { args: [payment('STORM-0', 1)] })).rejects.toMatchObject({ cause: { type: 'DuplicatePayment' } });
      expect(await handle.executeUpdate(applyPaymentUpdate, { args: [payment('STORM-REST', 500_000 - DISTINCT)] })).toMatchObject({ accepted: true, outstandingMinor: 0 });
      await waitForTimeline(h, input.loanId, (t) => t.some((e) => e.kind === 'survey_sent'), 60_000);
      await handle.signal(surveyResponseSignal, { score: 5 });
      // Queries of a closed case still need a worker on its task queue.
      return { result: await handle.result(), timeline: await cases.timeline(input.loanId), status: await cases.status(input.loanId) };
    });
    expect(result).toMatchObject({ outcome: 'paid_in_full', paidMinor: 500_000, outstandingMinor: 0 });

    expect(timeline[0]?.kind).toBe('case_opened');
    expect(timeline.filter((e) => e.kind === 'payment_received')).toHaveLength(DISTINCT + 1);
    expect(timeline.filter((e) => e.kind === 'payment_duplicate')).toHaveLength(0);
    expect(status).toMatchObject({ outcome: 'paid_in_full', duplicatePayments: DISTINCT });

    const history = await handle.fetchHistory();
    const count = (type: number) => (history.events ?? []).filter((e) => Number(e.eventType) === type).length;
    expect(count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).toBe(2 * DISTINCT + 1);
    // One sync per wait, however many messages: the 80 signals of the first task bring none of their own.
    expect(count(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)).toBeLessThan(DISTINCT / 2);
    expect(count(EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED)).toBeLessThan(DISTINCT / 2);
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: h.dataConverter }, history, handle.workflowId);
    await maybeRecordHistory(handle.workflowId, 'v5-signal-storm-first-task');
  });
});
