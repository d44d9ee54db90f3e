import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities, type ActivityDeps } from '../../src/activities';
import { createHttpProviderGateway } from '../../src/activities/http-provider-gateway';
import { CaseService } from '../../src/client/case-service';
import { loadPolicies } from '../../src/policy/load';
import { caseWorkflowId } from '../../src/shared/ids';
import { surveyResponseSignal } from '../../src/shared/messages';
import { caseInput, eventually, FAST_POLICY, startHarness, waitForTimeline, type Harness } from '../support/harness';
import { derivePolicy, scaleSeconds } from '../support/policies';
import { maybeRecordHistory } from '../support/record-history';

/**
 * Workflow time right after a local activity is not the same on the original run and on
 * replay when the activity's result crosses a workflow task boundary: here a status query
 * arrives while planCase runs, so the first task ends early and the plan comes back in a
 * later one. The first SMS falls due between that boundary and the plan's return: the case
 * must take the same decision on it live, when its history replays, and when a worker
 * without a cache answers queries on the closed case.
 */

type History = temporal.api.history.v1.IHistory;
const { EventType } = temporal.api.enums.v1;

/**
 * The fast policy ten times slower: the first SMS falls due 10 s after the case opens, after
 * the worker has heartbeated the first workflow task (at 80% of its 10 s timeout) while
 * planCase still runs.
 */
const POLICY = derivePolicy(FAST_POLICY, (p) => scaleSeconds(p, 10));
const FIRST_STEP_DUE_MS = 10_000;

let h: Harness;
let connection: NativeConnection;

beforeAll(async () => {
  h = await startHarness({ policyFiles: [POLICY] });
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
});

afterAll(async () => {
  await connection?.close();
  await h?.stop();
});

/** A promise with its resolve function outside. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

function deps(): ActivityDeps {
  const url = h.sandbox.url;
  return {
    gateway: createHttpProviderGateway({ sms: url, voice: url, letter: url, legal: url, agency: url }, { timeoutMs: 5_000 }),
    policies: loadPolicies([POLICY]),
    logger: pino({ level: 'silent' }),
  };
}

/**
 * A collections worker whose planCase waits for `release` before it plans (the real
 * activity, so the plan records the instant it was made: after the wait, like a slow one).
 */
async function workerWithHeldPlan(taskQueue: string, held: { entered: () => void; release: Promise<void> } | undefined, maxCachedWorkflows?: number): Promise<Worker> {
  const real = createActivities(deps());
  const activities: typeof real = held
    ? {
        ...real,
        async planCase(...args: Parameters<typeof real.planCase>) {
          held.entered();
          await held.release;
          return real.planCase(...args);
        },
      }
    : real;
  return Worker.create({
    connection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    activities,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    dataConverter: h.dataConverter,
    ...(maxCachedWorkflows !== undefined ? { maxCachedWorkflows } : {}),
  });
}

const eventsOf = (history: History, type: number) => (history.events ?? []).filter((e) => Number(e.eventType) === type);
const timeOf = (event: temporal.api.history.v1.IHistoryEvent) => Number(event.eventTime!.seconds) * 1000 + Math.floor(Number(event.eventTime!.nanos ?? 0) / 1e6);

describe('deciding right after a local activity whose result crossed a workflow task boundary', () => {
  it('a step falling due while planCase ran is decided alike live, on replay and by a worker without a cache', async () => {
    const taskQueue = `la-clock-${randomUUID()}`;
    const cases = new CaseService(h.client, taskQueue);
    const input = caseInput({ amountDueMinor: 300_000 });
    const workflowId = caseWorkflowId(input.loanId);
    const handle = h.client.workflow.getHandle(workflowId);

    const entered = gate();
    const release = gate();
    const worker = await workerWithHeldPlan(taskQueue, { entered: entered.open, release: release.opened });
    await worker.runUntil(async () => {
      try {
      await cases.open(input);
      await entered.opened;
      const history = await eventually(
        () => handle.fetchHistory(),
        (hist) => eventsOf(hist, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED).length >= 2,
        { timeoutMs: 30_000, what: 'the first workflow task heartbeated while planCase runs' },
      );
      const [first, second] = eventsOf(history, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
      const openedAt = timeOf(first!);
      // The boundary came before the first step fell due, else this run proves nothing.
      expect(timeOf(second!) - openedAt).toBeLessThan(FIRST_STEP_DUE_MS);
      // Let planCase return only once the first step is due.
      await eventually(
        () => Promise.resolve(Date.now()),
        (now) => now > openedAt + FIRST_STEP_DUE_MS + 500,
        { timeoutMs: 30_000, what: 'the first step falling due' },
      );
      release.open();
      await waitForTimeline(h, input.loanId, (t) => t.some((e) => e.kind === 'sms_sent'), 60_000);
      await cases.recordPayment(input.loanId, { paymentId: 'PAY-CLOCK-1', amountMinor: 300_000, currency: 'CNY', receivedAt: new Date().toISOString(), channel: 'bank_transfer' });
      await waitForTimeline(h, input.loanId, (t) => t.some((e) => e.kind === 'survey_sent'), 60_000);
      await handle.signal(surveyResponseSignal, { score: 5 });
      await handle.result();
      } finally {
        release.open(); // a failure above must not leave planCase (and the worker's shutdown) waiting
      }
    });

    // The plan came back in a later task than the one that asked for it.
    const history = await handle.fetchHistory();
    const marker = history.events!.find((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')!;
    const completedTasks = eventsOf(history, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).filter((e) => Number(e.eventId) < Number(marker.eventId));
    expect(completedTasks.length).toBeGreaterThanOrEqual(2);

    // Every query on a worker without a cache replays the whole history.
    const noCache = await workerWithHeldPlan(taskQueue, undefined, 0);
    const { status, timeline } = await noCache.runUntil(async () => ({ status: await cases.status(input.loanId), timeline: await cases.timeline(input.loanId) }));
    expect(status).toMatchObject({ state: 'resolved', outcome: 'paid_in_full', paidMinor: 300_000, outstandingMinor: 0, satisfactionScore: 5 });
    expect(timeline.map((e) => e.kind).slice(0, 3)).toEqual(['case_opened', 'segment_assigned', 'sms_sent']);

    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: h.dataConverter }, history, workflowId);
    await maybeRecordHistory(workflowId, 'v3-plan-crossing-task-boundary');
  });
});
