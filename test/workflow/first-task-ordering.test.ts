import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CaseService } from '../../src/client/case-service';
import { caseWorkflowId, WORKFLOW_TYPE } from '../../src/shared/ids';
import { applyPaymentUpdate, paymentReceivedSignal, surveyResponseSignal } from '../../src/shared/messages';
import type { CaseStatus, TimelineEvent } from '../../src/shared/schemas';
import { apiEnv, eventually, startApi } from '../support/api';
import { caseInput, startHarness, waitForStatus, waitForTimeline, type Harness } from '../support/harness';
import { maybeRecordHistory } from '../support/record-history';

/**
 * Messages that reach a case in its first workflow task: sent while no worker runs, with
 * signal-with-start, or as an update waiting for a worker. The SDK delivers them when their
 * handler is registered, before the workflow has opened the case. Each case must still open
 * first, count every payment once, and replay: from its own history, and through queries
 * answered by a worker without a cache (every query replays the whole history).
 */

type History = temporal.api.history.v1.IHistory;
const { EventType } = temporal.api.enums.v1;
const ADMITTED = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

/** A task queue no worker polls yet: whatever is sent to its cases waits for their first task. */
function stoppedQueue(): { taskQueue: string; cases: CaseService } {
  const taskQueue = `first-task-${randomUUID()}`;
  return { taskQueue, cases: new CaseService(h.client, taskQueue, h.cases.policies) };
}

const payment = (paymentId: string, amountMinor: number) => ({ paymentId, amountMinor, currency: 'CNY', receivedAt: new Date().toISOString(), channel: 'bank_transfer' });

/** Answers the satisfaction survey as soon as it is sent (a paid case waits for it), then waits for the result. */
async function answerSurveyAndClose(loanId: string) {
  const handle = h.client.workflow.getHandle(caseWorkflowId(loanId));
  await waitForTimeline(h, loanId, (t) => t.some((e) => e.kind === 'survey_sent'), 60_000);
  await handle.signal(surveyResponseSignal, { score: 4 });
  return handle.result();
}

/** Where the first workflow task starts and completes, and where the next one is scheduled. */
function firstTaskEventIds(history: History): { started: number; completed: number; nextScheduled: number } {
  const ids = (type: number) => (history.events ?? []).filter((e) => Number(e.eventType) === type).map((e) => Number(e.eventId));
  return {
    started: ids(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)[0]!,
    completed: ids(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)[0]!,
    nextScheduled: ids(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)[1] ?? Number.POSITIVE_INFINITY,
  };
}

/**
 * After the case closed: a fresh worker without a cache answers the status and timeline
 * queries (each one replays the history), the recorded history replays on the current
 * bundle, and, with RECORD_HISTORIES=1, it is stored under test/histories.
 */
async function readClosedCase(taskQueue: string, cases: CaseService, loanId: string, historyName: string) {
  const { status, timeline } = await h.withWorker(taskQueue, async () => ({ status: await cases.status(loanId), timeline: await cases.timeline(loanId) }), { maxCachedWorkflows: 0 });
  const workflowId = caseWorkflowId(loanId);
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: h.dataConverter }, history, workflowId);
  await maybeRecordHistory(workflowId, historyName);
  return { status, timeline, history };
}

function expectOpenedFirst(timeline: TimelineEvent[]): void {
  expect(timeline[0]?.kind).toBe('case_opened');
  expect(timeline[1]?.kind).toBe('segment_assigned');
}

const kindsOf = (timeline: TimelineEvent[]) => timeline.map((e) => e.kind);
const count = (timeline: TimelineEvent[], kind: string) => timeline.filter((e) => e.kind === kind).length;

function expectPaidInFull(status: CaseStatus, amountMinor: number): void {
  expect(status).toMatchObject({ state: 'resolved', outcome: 'paid_in_full', paidMinor: amountMinor, outstandingMinor: 0, satisfactionScore: 4 });
}

// Each test has a task queue and workers of its own: side by side.
describe.concurrent('messages in a case\'s first workflow task', () => {
  it('a payment signalled while no worker runs is applied after the case opens, once, and the case replays', async () => {
    const { taskQueue, cases } = stoppedQueue();
    const input = caseInput({ amountDueMinor: 300_000 });
    await cases.open(input);
    await cases.signal(input.loanId, 'paymentReceived', payment('PAY-EARLY-1', 300_000));

    const result = await h.withWorker(taskQueue, () => answerSurveyAndClose(input.loanId));
    expect(result).toMatchObject({ outcome: 'paid_in_full', paidMinor: 300_000, outstandingMinor: 0 });

    const { status, timeline, history } = await readClosedCase(taskQueue, cases, input.loanId, 'v8-signal-before-first-task');
    expectPaidInFull(status, 300_000);
    expectOpenedFirst(timeline);
    expect(count(timeline, 'payment_received')).toBe(1);
    expect(kindsOf(timeline)).toEqual(['case_opened', 'segment_assigned', 'payment_received', 'resolved', 'survey_sent', 'survey_answered']);
    // The signal is in history before the first workflow task started: it was in that task.
    const signalled = history.events!.find((e) => e.workflowExecutionSignaledEventAttributes)!;
    const { started, completed } = firstTaskEventIds(history);
    expect(Number(signalled.eventId)).toBeLessThan(started);
    // The opening and the payment reach visibility together (case-code-v7): one upsert of each kind
    // before the survey SMS, the case's first activity. In the first task, unless a loaded machine
    // handed the first decision's local activity result over in a later one.
    const surveyScheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes);
    const opening = history.events!.filter((e) => Number(e.eventId) > completed && Number(e.eventId) < Number(surveyScheduled?.eventId ?? Number.POSITIVE_INFINITY));
    const caseUpserts = opening.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes && !('TemporalChangeVersion' in (e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {})));
    expect(caseUpserts).toHaveLength(1);
    expect(opening.filter((e) => e.workflowPropertiesModifiedEventAttributes)).toHaveLength(1);
  });

  it('signal-with-start: the payment that starts the case is applied after it opens, and a redelivery is counted once', async () => {
    const { taskQueue, cases } = stoppedQueue();
    const input = caseInput({ amountDueMinor: 450_000 });
    const workflowId = caseWorkflowId(input.loanId);

    const result = await h.withWorker(taskQueue, async () => {
      await h.client.workflow.signalWithStart(WORKFLOW_TYPE, {
        taskQueue,
        workflowId,
        args: [input],
        signal: paymentReceivedSignal,
        signalArgs: [payment('PAY-SWS-1', 450_000)],
      });
      await waitForTimeline(h, input.loanId, (t) => t.some((e) => e.kind === 'resolved'));
      // The bank redelivers the same payment to the running case (it waits for its survey).
      await cases.signal(input.loanId, 'paymentReceived', payment('PAY-SWS-1', 450_000));
      await waitForStatus(h, input.loanId, (s) => s.duplicatePayments === 1);
      return answerSurveyAndClose(input.loanId);
    });
    expect(result).toMatchObject({ outcome: 'paid_in_full', paidMinor: 450_000 });

    const { status, timeline } = await readClosedCase(taskQueue, cases, input.loanId, 'v3-signal-with-start');
    expectPaidInFull(status, 450_000);
    expectOpenedFirst(timeline);
    expect(count(timeline, 'payment_received')).toBe(1);
    // The redelivery is counted, not listed on the timeline.
    expect(count(timeline, 'payment_duplicate')).toBe(0);
    expect(status.duplicatePayments).toBe(1);
    expect(kindsOf(timeline).indexOf('payment_received')).toBeLessThan(kindsOf(timeline).indexOf('resolved'));
  });

  it('an update sent while no worker runs waits for one, is applied after the case opens and answers with the balance', async () => {
    const { taskQueue, cases } = stoppedQueue();
    const input = caseInput({ amountDueMinor: 200_000 });
    await cases.open(input);
    const workflowId = caseWorkflowId(input.loanId);
    const handle = h.client.workflow.getHandle(workflowId);
    const updateId = `pay-${randomUUID()}`;
    const answer = handle.executeUpdate(applyPaymentUpdate, { args: [payment('PAY-UPD-1', 200_000)], updateId });
    answer.catch(() => undefined); // awaited below; keeps an early failure from being unhandled meanwhile
    // Start the worker only once the server holds the update, so it is part of the first task.
    await eventually(
      () =>
        h.client.workflowService.pollWorkflowExecutionUpdate({
          namespace: inject('temporalNamespace'),
          updateRef: { workflowExecution: { workflowId }, updateId },
          identity: 'first-task-ordering test',
          waitPolicy: { lifecycleStage: ADMITTED },
        }),
      (response) => Number(response.stage) >= ADMITTED,
      30_000,
      'the update admitted',
    );

    const result = await h.withWorker(taskQueue, async () => {
      expect(await answer).toEqual({ accepted: true, duplicate: false, outstandingMinor: 0, paidMinor: 200_000 });
      return answerSurveyAndClose(input.loanId);
    });
    expect(result).toMatchObject({ outcome: 'paid_in_full', paidMinor: 200_000 });

    const { status, timeline, history } = await readClosedCase(taskQueue, cases, input.loanId, 'v3-update-before-first-task');
    expectPaidInFull(status, 200_000);
    expectOpenedFirst(timeline);
    expect(count(timeline, 'payment_received')).toBe(1);
    // Accepted by the first workflow task: between its completion and the next task.
    const accepted = history.events!.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes)!;
    const first = firstTaskEventIds(history);
    expect(Number(accepted.eventId)).toBeGreaterThan(first.completed);
    expect(Number(accepted.eventId)).toBeLessThan(first.nextScheduled);
  });

  it('several signals in the first task are all applied after the case opens, in the order they came', async () => {
    const { taskQueue, cases } = stoppedQueue();
    const input = caseInput({ amountDueMinor: 500_000 });
    await cases.open(input);
    const handle = h.client.workflow.getHandle(caseWorkflowId(input.loanId));
    await cases.signal(input.loanId, 'paymentReceived', payment('PAY-MANY-1', 100_000));
    await cases.signal(input.loanId, 'contactUpdated', { phone: '+8613800138111' });
    await cases.signal(input.loanId, 'paymentReceived', payment('PAY-MANY-1', 100_000));
    await handle.signal(paymentReceivedSignal, { paymentId: 'PAY-MANY-BAD', amountMinor: -5, currency: 'CNY', receivedAt: 'yesterday' } as never);
    await cases.signal(input.loanId, 'paymentReceived', payment('PAY-MANY-2', 400_000));

    const result = await h.withWorker(taskQueue, () => answerSurveyAndClose(input.loanId));
    expect(result).toMatchObject({ outcome: 'paid_in_full', paidMinor: 500_000 });

    const { status, timeline, history } = await readClosedCase(taskQueue, cases, input.loanId, 'v3-several-signals-first-task');
    expectPaidInFull(status, 500_000);
    expectOpenedFirst(timeline);
    const started = firstTaskEventIds(history).started;
    const inFirstTask = history.events!.filter((e) => e.workflowExecutionSignaledEventAttributes && Number(e.eventId) < started);
    expect(inFirstTask).toHaveLength(5);
    // Payments in the order they came; handlers of other signals take theirs when registered.
    const payments = timeline.filter((e) => e.kind.startsWith('payment_') || e.kind === 'signal_rejected').map((e) => e.kind);
    expect(payments).toEqual(['payment_received', 'signal_rejected', 'payment_received']);
    expect(status.duplicatePayments).toBe(1);
    expect(count(timeline, 'contact_updated')).toBe(1);
    expect(kindsOf(timeline).indexOf('resolved')).toBeGreaterThan(kindsOf(timeline).lastIndexOf('payment_received'));
    // The survey goes to the phone number that arrived with the first task.
    expect(h.sandbox.ledger().deliveries.filter((d) => d.idempotencyKey === `${caseWorkflowId(input.loanId)}/${input.overdueSince}/survey-1`)).toHaveLength(1);
  });
});

describe('the HTTP API for a case paid before its first task', () => {
  it('opens the case and takes the signed payment sent while no worker runs; after close, status and timeline answer 200', async () => {
    const { taskQueue, cases } = stoppedQueue();
    const api = await startApi(h, { cases, env: apiEnv({ TASK_QUEUE: taskQueue }) });
    try {
      const input = caseInput({ amountDueMinor: 120_000 });
      expect((await api.call('POST', '/v1/cases', { body: input })).status).toBe(201);
      const body = JSON.stringify({ loanId: input.loanId, ...payment('PSP-EARLY-1', 120_000) });
      // The webhook applies the payment with the applyPayment update, which waits for a worker.
      const delivery = api.pay(body);
      delivery.catch(() => undefined); // awaited below

      await h.withWorker(taskQueue, async () => {
        expect(await delivery).toEqual({ status: 202, body: { accepted: true } });
        return answerSurveyAndClose(input.loanId);
      });

      // A worker without a cache answers: every GET replays the case's whole history.
      await h.withWorker(
        taskQueue,
        async () => {
          const status = await api.call('GET', `/v1/cases/${input.loanId}`);
          expect(status.status).toBe(200);
          expect(status.body).toMatchObject({ state: 'resolved', outcome: 'paid_in_full', paidMinor: 120_000, outstandingMinor: 0 });
          const timeline = await api.call('GET', `/v1/cases/${input.loanId}/timeline`);
          expect(timeline.status).toBe(200);
          const kinds = (timeline.body as TimelineEvent[]).map((e) => e.kind);
          expect(kinds[0]).toBe('case_opened');
          expect(kinds.filter((k) => k === 'payment_received')).toHaveLength(1);
        },
        { maxCachedWorkflows: 0 },
      );
    } finally {
      await api.close();
    }
  });
});
