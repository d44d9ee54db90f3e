import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseWorkflowId } from '../../src/shared/ids';
import * as messages from '../../src/shared/messages';
import { caseInput, deliveriesFor, FAST_POLICY, startHarness, waitForStatus, type Harness } from '../support/harness';
import { derivePolicy, scaleSeconds } from '../support/policies';
import { maybeRecordHistory } from '../support/record-history';

/**
 * The few end-to-end cases on a real Temporal dev server (the suite's, from global setup), real
 * timers of the fast policy run four times as fast (a quarter second per day) and real HTTP to the provider sandbox: the full
 * ladder, and a worker restart mid-case. Behaviour in detail is tested on the time-skipping
 * server (escalation, resilience, strategy).
 */
let h: Harness;
beforeAll(async () => {
  // The fast policy four times as fast (a quarter second per day): the ladder in about 15 s.
  h = await startHarness({ policyFiles: [derivePolicy(FAST_POLICY, (p) => scaleSeconds(p, 0.25))] });
});
afterAll(async () => {
  await h?.stop();
});

const timelineKinds = async (loanId: string) => (await h.client.workflow.getHandle(caseWorkflowId(loanId)).query(messages.timelineQuery)).map((e) => e.kind);

describe.concurrent('collection case end to end on a dev server', () => {
  it('walks the whole ladder without payment and hands the case to litigation, one delivery per step', async () => {
    const input = caseInput({ history: { previousDelinquencies: 0, brokenPromises: 0, monthsOnBook: 60 } });
    await h.cases.open(input);
    const result = await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).result();
    expect(result.outcome).toBe('litigation_filed');
    await maybeRecordHistory(caseWorkflowId(input.loanId), 'v8-full-ladder-litigation');

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

  it('continues a case on a new worker after the old one stops, with no step sent twice', async () => {
    const input = caseInput({ history: { previousDelinquencies: 0, brokenPromises: 0, monthsOnBook: 60 } });
    await h.cases.open(input);
    // Mid-case: past the first step (phone or later, as the machine's speed has it), long before litigation.
    const before = await waitForStatus(h, input.loanId, (s) => s.stage !== 'sms');
    expect(before.state).not.toBe('resolved');
    await h.restartWorker();
    const result = await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).result();
    expect(result.outcome).toBe('litigation_filed');
    // Each step happened once in the case's record, and the providers delivered exactly those.
    const sent = (await h.cases.timeline(input.loanId)).filter((e) => e.data?.providerRef !== undefined).map((e) => e.data!.step as string);
    expect(new Set(sent).size).toBe(sent.length);
    const delivered = deliveriesFor(h.sandbox, input.loanId).map((d) => d.idempotencyKey.split('/').pop());
    expect(delivered.sort()).toEqual([...sent].sort());
  });
});
