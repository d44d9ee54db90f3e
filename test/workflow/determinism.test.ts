import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { caseWorkflowId } from '../../src/shared/ids';
import { caseInput, startHarness, waitForStatus, waitForTimeline, type Harness } from '../support/harness';

/**
 * A worker with no workflow cache replays the whole history on every task and query, so
 * any non-deterministic decision (or a patch consulted at the wrong moment) fails the
 * case. One case goes through payments, a call outcome, a promise and a survey that way.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ maxCachedWorkflows: 0 });
});
afterAll(async () => {
  await h?.stop();
});

/** On failure, the case's history goes to a file (named in the output) to study the event order; `temporal workflow show` reads the same JSON. */
async function keepHistoryOnFailure(loanId: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    const file = path.join(tmpdir(), `determinism-${loanId}.json`);
    writeFileSync(file, historyToJSON(await h.client.workflow.getHandle(caseWorkflowId(loanId)).fetchHistory()));
    console.error(`history of the failed case: ${file}`);
    throw error;
  }
}

it('replays every workflow task of a busy case without a determinism error', async () => {
  const input = caseInput({ amountDueMinor: 3_000_000, history: { previousDelinquencies: 0, brokenPromises: 0, monthsOnBook: 120 } });
  await keepHistoryOnFailure(input.loanId, () => busyCase(input));
});

async function busyCase(input: ReturnType<typeof caseInput>): Promise<void> {
  const payment = (paymentId: string, amountMinor: number) => ({ paymentId, amountMinor, currency: 'CNY', receivedAt: new Date().toISOString() });
  await h.cases.open(input);
  await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
  await h.cases.recordPayment(input.loanId, payment('D-1', 500_000));
  await waitForStatus(h, input.loanId, (s) => s.stage === 'phone', 30_000);
  await h.cases.signal(input.loanId, 'callOutcome', { outcome: 'refused', note: 'will call back' });
  await h.cases.signal(input.loanId, 'promiseToPay', { amountMinor: 2_500_000, dueDate: new Date(Date.now() + 20_000).toISOString() });
  await waitForStatus(h, input.loanId, (s) => s.state === 'promised');
  await h.cases.recordPayment(input.loanId, payment('D-2', 2_500_000));
  await waitForStatus(h, input.loanId, (s) => s.state === 'resolved', 30_000);
  const handle = h.client.workflow.getHandle(caseWorkflowId(input.loanId));
  await waitForTimeline(h, input.loanId, (t) => t.some((e) => e.kind === 'survey_sent'), 30_000);
  await handle.signal('surveyResponse', { score: 5 });
  const result = await handle.result();
  expect(result).toMatchObject({ outcome: 'paid_in_full', paidMinor: 3_000_000, outstandingMinor: 0 });
  const kinds = (await h.cases.timeline(input.loanId)).map((e) => e.kind);
  expect(kinds).toEqual(expect.arrayContaining(['payment_received', 'call_outcome', 'promise_made', 'promise_kept', 'survey_answered', 'resolved']));
  const description = await handle.describe();
  expect(description.memo).toMatchObject({ promisesKept: 1, promisesBroken: 0, rightPartyContact: true, recoveredByStage: { sms: 500_000 } });
  // The second payment counts for the stage the case has reached by then: phone, or on a loaded
  // machine (one day lasts a second on this policy) already a letter.
  const byStage = (description.memo as { recoveredByStage: Record<string, number> }).recoveredByStage;
  expect(Object.values(byStage).reduce((sum, amount) => sum + amount, 0)).toBe(3_000_000);
}
