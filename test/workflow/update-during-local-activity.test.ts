import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, TypedSearchAttributes } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import pino from 'pino';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { createHttpProviderGateway } from '../../src/activities/http-provider-gateway';
import { toApiError } from '../../src/api/errors';
import { CaseService } from '../../src/client/case-service';
import { loadPolicies } from '../../src/policy/load';
import { caseWorkflowId, WORKFLOW_TYPE } from '../../src/shared/ids';
import { applyPaymentUpdate, surveyResponseSignal } from '../../src/shared/messages';
import { DebtorTypeKey, LoanIdKey } from '../../src/shared/search-attributes';
import { caseInput, FAST_POLICY, startHarness, waitForTimeline, type Harness } from '../support/harness';
import { maybeRecordHistory } from '../support/record-history';

/**
 * A local activity's result can reach the case one workflow task later than replay delivers it
 * (a query answered while it was pending, or a task heartbeat while it ran). An update accepted
 * in between sits in history before the commands that follow the result, where replay cannot
 * put it: the case is stranded (determinism.test.ts hit it under load: TMPRL1100 on the
 * UpdateAccepted event). So the payment update is refused with `CaseBusy` while a local activity
 * runs, and CaseService.recordPayment sends it again.
 *
 * Made deterministic here: the case's planCase local activity waits for the test, and the case
 * runs with a short workflow task timeout, so the worker heartbeats the task while it waits and
 * the server hands it the update in the next task, with the local activity still running.
 */

const { EventType } = temporal.api.enums.v1;

let h: Harness;
let connection: NativeConnection;
beforeAll(async () => {
  h = await startHarness();
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await connection?.close();
  await h?.stop();
});

/** A promise the test resolves by hand. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

it('refuses a payment update while planCase runs, then applies the retry once, and the history replays', async () => {
  const url = h.sandbox.url;
  const policies = loadPolicies([FAST_POLICY], { allowTestPolicies: true });
  const activities = createActivities({ gateway: createHttpProviderGateway({ sms: url, voice: url, letter: url, legal: url, agency: url }, { timeoutMs: 5_000 }), policies, logger: pino({ level: 'silent' }) });
  const planStarted = gate();
  const planMayFinish = gate();
  const taskQueue = `update-during-la-${randomUUID()}`;
  const worker = await Worker.create({
    connection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    dataConverter: h.dataConverter,
    activities: {
      ...activities,
      planCase: async (...args: Parameters<typeof activities.planCase>) => {
        planStarted.open();
        await planMayFinish.promise;
        return activities.planCase(...args);
      },
    },
  });
  const cases = new CaseService(h.client, taskQueue, h.cases.policies);
  const input = caseInput({ amountDueMinor: 3_000_000 });
  const payment = { paymentId: 'LA-1', amountMinor: 3_000_000, currency: 'CNY', receivedAt: new Date().toISOString() };

  await worker.runUntil(async () => {
    const handle = await h.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: caseWorkflowId(input.loanId),
      args: [input],
      memo: { currency: input.currency, amountDueMinor: input.amountDueMinor, overdueSince: input.overdueSince },
      typedSearchAttributes: new TypedSearchAttributes([
        { key: LoanIdKey, value: input.loanId },
        { key: DebtorTypeKey, value: input.debtor.type },
      ]),
      // The worker heartbeats a task at 80% of this while a local activity runs: a new task every 1.6 s.
      workflowTaskTimeout: '2s',
    });
    await planStarted.promise;

    // Delivered in a heartbeat task while planCase still runs: refused, nothing recorded.
    const refused = await handle.executeUpdate(applyPaymentUpdate, { args: [payment] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((refused as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('CaseBusy');

    // CaseService sends it again until its wait runs out: the API then answers 503 (the sender retries).
    const gaveUp = await cases.recordPayment(input.loanId, payment, { waitMs: 4_000 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(toApiError(gaveUp)).toMatchObject({ code: 'temporal_unavailable' });

    // The case opens; the payment lands once and pays the loan off (the last attempt above, which
    // the server had admitted when the wait ran out, may land first: then this is a duplicate).
    planMayFinish.open();
    await expect(cases.recordPayment(input.loanId, payment)).resolves.toMatchObject({ paidMinor: 3_000_000, outstandingMinor: 0 });
    await expect(cases.recordPayment(input.loanId, payment)).resolves.toMatchObject({ duplicate: true, paidMinor: 3_000_000 });
    await waitForTimeline(h, input.loanId, (t) => t.some((e) => e.kind === 'survey_sent'), 60_000);
    await handle.signal(surveyResponseSignal, { score: 5 });
    await expect(handle.result()).resolves.toMatchObject({ outcome: 'paid_in_full', paidMinor: 3_000_000 });

    const history = await handle.fetchHistory();
    const accepted = (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
    expect(accepted).toHaveLength(1);
    // The history replays, and so does every prefix a worker without a cache would rebuild.
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: h.dataConverter }, history, handle.workflowId);
    const events = history.events ?? [];
    const prefixes = events.flatMap((event, i) => (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED ? [{ workflowId: `${handle.workflowId}@${String(event.eventId)}`, history: { events: events.slice(0, i + 1) } }] : []));
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: h.dataConverter }, prefixes)) {
      expect(result.error, result.workflowId).toBeUndefined();
    }
  });
  await maybeRecordHistory(caseWorkflowId(input.loanId), 'v6-payment-refused-while-planning');
});
