import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseWorkflowId } from '../../src/shared/ids';
import { caseInputNow, deliveriesFor, startTimeSkippingHarness, waitForStatus, type Harness } from '../support/harness';

/** Provider faults on the time-skipping server: nothing lost, nothing sent twice. A worker restart is in end-to-end.test.ts. */
let h: Harness;
beforeAll(async () => {
  h = await startTimeSkippingHarness();
});
afterAll(async () => {
  await h?.stop();
});

describe('resilience', () => {
  it('delivers once after the provider fails the first two attempts', async () => {
    h.sandbox.setFaults({ failFirstAttempts: 2, paths: ['/v1/sms'] });
    try {
      const input = await caseInputNow(h);
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
});
