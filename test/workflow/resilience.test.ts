import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseWorkflowId } from '../../src/shared/ids';
import { caseInput, deliveriesFor, startHarness, waitForStatus, type Harness } from '../support/harness';

/** Provider faults and worker restarts: nothing lost, nothing sent twice. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

describe('resilience', () => {
  it('delivers once after the provider fails the first two attempts', async () => {
    h.sandbox.setFaults({ failFirstAttempts: 2, paths: ['/v1/sms'] });
    try {
      const input = caseInput();
      await h.cases.open(input);
      await waitForStatus(h, input.loanId, () => deliveriesFor(h.sandbox, input.loanId).some((d) => d.path === '/v1/sms'), 30_000);
      const first = deliveriesFor(h.sandbox, input.loanId).find((d) => d.path === '/v1/sms')!;
      expect(first.attempts).toBe(3);
      const attempts = h.sandbox.ledger().requests.filter((r) => r.idempotencyKey === first.idempotencyKey);
      expect(attempts.map((r) => r.status)).toEqual([503, 503, 200]);
      const timeline = await h.cases.timeline(input.loanId);
      expect(timeline.filter((e) => e.kind === 'sms_sent' && e.data?.step === 'sms-1')).toHaveLength(1);
      await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
    } finally {
      h.sandbox.setFaults({ failFirstAttempts: 0, paths: [] });
    }
  });

  it('continues a case on a new worker after the old one stops, with no step sent twice', async () => {
    const input = caseInput({ history: { previousDelinquencies: 0, brokenPromises: 0, monthsOnBook: 60 } });
    await h.cases.open(input);
    await waitForStatus(h, input.loanId, (s) => s.stage === 'phone');
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
