import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureTemporalCli } from '../../scripts/tools/temporal-cli';
import { startEphemeralDevServer } from '../../scripts/tools/ephemeral-dev-server';
import { caseWorkflowId } from '../../src/shared/ids';
import { eventually } from '../support/eventually';
import { testDataConverter } from '../support/payload-keys';
import { caseInput, deliveriesFor, FAST_POLICY, quietTemporalRuntime, startHarness, type Harness } from '../support/harness';
import { derivePolicy, scaleSeconds } from '../support/policies';

/**
 * A case that outgrows its history continues as new with its state. A dev server of its
 * own suggests continue-as-new after a few dozen events, so one ladder spans many runs:
 * the case must end the same way, with one delivery per step and its whole timeline.
 */
let server: TestWorkflowEnvironment;
let h: Harness;
beforeAll(async () => {
  quietTemporalRuntime();
  server = await startEphemeralDevServer(await ensureTemporalCli(), () => undefined, 'default', ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=40'], testDataConverter());
  // The fast policy four times faster: the ladder takes about 15 s instead of a minute.
  h = await startHarness({ env: server, policyFiles: [derivePolicy(FAST_POLICY, (p) => scaleSeconds(p, 0.25))] });
});
afterAll(async () => {
  await h?.stop();
  await server?.teardown();
});

it('walks the whole ladder across several runs, carrying its state', { timeout: 120_000 }, async () => {
  const input = caseInput({ history: { previousDelinquencies: 0, brokenPromises: 0, monthsOnBook: 120 } });
  const { runId: firstRunId } = await h.cases.open(input);
  const handle = h.client.workflow.getHandle(caseWorkflowId(input.loanId));
  // Pay once the case has continued as new at least once, so the payment lands in a later run.
  await eventually(() => handle.describe(), (d) => d.runId !== firstRunId, { timeoutMs: 60_000, what: 'a continue-as-new' });
  await h.cases.recordPayment(input.loanId, { paymentId: 'CAN-1', amountMinor: 100_000, currency: 'CNY', receivedAt: new Date().toISOString() });
  const result = await handle.result();
  expect(result).toMatchObject({ outcome: 'litigation_filed', paidMinor: 100_000, outstandingMinor: input.amountDueMinor - 100_000 });

  const last = await handle.describe();
  expect(last.runId).not.toBe(firstRunId);
  expect(last.memo).toMatchObject({ currency: 'CNY', amountDueMinor: input.amountDueMinor, overdueSince: input.overdueSince, recoveredByStage: expect.any(Object) });
  const timeline = await h.cases.timeline(input.loanId);
  expect(timeline[0]?.kind).toBe('case_opened');
  expect(timeline.filter((e) => e.kind === 'payment_received')).toHaveLength(1);
  const sent = timeline.filter((e) => e.data?.providerRef !== undefined).map((e) => e.data!.step as string);
  expect(new Set(sent).size).toBe(sent.length);
  const delivered = deliveriesFor(h.sandbox, input.loanId).map((d) => d.idempotencyKey.split('/').pop());
  expect(delivered.sort()).toEqual([...sent].sort());
});
