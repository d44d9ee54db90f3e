import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities, type ActivityDeps } from '../../src/activities';
import { createHttpProviderGateway } from '../../src/activities/http-provider-gateway';
import { CaseService } from '../../src/client/case-service';
import { caseWorkflowId } from '../../src/shared/ids';
import { surveyResponseSignal } from '../../src/shared/messages';
import { caseInput, eventually, FAST_POLICY, startHarness, waitForTimeline, type Harness } from '../support/harness';
import { derivePolicy, scaleSeconds } from '../support/policies';
import { maybeRecordHistory } from '../support/record-history';

/**
 * Workflow time right after a local activity whose result crossed a workflow task boundary:
 * planCase is held past the worker's heartbeat of the first workflow task (at 80% of its 10 s
 * timeout), so the plan comes back in a later task than the one that asked for it, and the
 * first SMS falls due between that boundary and the plan's return. The case decides as of the
 * workflow time the plan was asked at (recorded with it), so it takes the same decision live,
 * when its history replays, and when a worker without a cache answers queries on the closed
 * case. The replay race itself (a result applied in a task that started after it came back)
 * could not be produced on demand on this SDK: this test passed on the code before the fix too
 * (152d4dc~1) in its replay checks; the recorded history keeps the decidedAt path replaying.
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
    policies: h.cases.policies,
    logger: pino({ level: 'silent' }),
  };
}

/** Activities held at their start until the test lets them go. */
interface Holds {
  /** planCase, before it plans (the real activity, so the plan records the instant it was made: after the wait, like a slow one). */
  plan: { entered: () => void; release: Promise<void> };
  /** The first SMS, before it reaches the provider: a payment arrives meanwhile and the case closes. */
  sms: { entered: () => void; release: Promise<void> };
}

/** A collections worker on `taskQueue`, its activities held as `holds` says. */
async function collectionsWorker(taskQueue: string, holds: Holds | undefined, maxCachedWorkflows?: number): Promise<Worker> {
  const real = createActivities(deps());
  const activities: typeof real = holds
    ? {
        ...real,
        async planCase(...args: Parameters<typeof real.planCase>) {
          holds.plan.entered();
          await holds.plan.release;
          return real.planCase(...args);
        },
        async sendSms(...args: Parameters<typeof real.sendSms>) {
          holds.sms.entered();
          await holds.sms.release;
          return real.sendSms(...args);
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
    const cases = new CaseService(h.client, taskQueue, h.cases.policies);
    const input = caseInput({ amountDueMinor: 300_000 });
    const workflowId = caseWorkflowId(input.loanId);
    const handle = h.client.workflow.getHandle(workflowId);

    const entered = gate();
    const release = gate();
    const smsEntered = gate();
    const smsRelease = gate();
    const worker = await collectionsWorker(taskQueue, { plan: { entered: entered.open, release: release.opened }, sms: { entered: smsEntered.open, release: smsRelease.opened } });
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
        await smsEntered.opened;
        await cases.recordPayment(input.loanId, { paymentId: 'PAY-CLOCK-1', amountMinor: 300_000, currency: 'CNY', receivedAt: new Date().toISOString(), channel: 'bank_transfer' });
        smsRelease.open();
        await waitForTimeline(h, input.loanId, (t) => t.some((e) => e.kind === 'survey_sent'), 60_000);
        await handle.signal(surveyResponseSignal, { score: 5 });
        await handle.result();
      } finally {
        // A failure above must not leave an activity (and the worker's shutdown) waiting.
        release.open();
        smsRelease.open();
      }
    });

    // The plan came back in a later task than the one that asked for it.
    const history = await handle.fetchHistory();
    const marker = history.events!.find((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')!;
    const completedTasks = eventsOf(history, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).filter((e) => Number(e.eventId) < Number(marker.eventId));
    expect(completedTasks.length).toBeGreaterThanOrEqual(2);

    // Every query on a worker without a cache replays the whole history.
    const noCache = await collectionsWorker(taskQueue, undefined, 0);
    const { status, timeline } = await noCache.runUntil(async () => ({ status: await cases.status(input.loanId), timeline: await cases.timeline(input.loanId) }));
    expect(status).toMatchObject({ state: 'resolved', outcome: 'paid_in_full', paidMinor: 300_000, outstandingMinor: 0, satisfactionScore: 5 });
    const kinds = timeline.map((e) => e.kind);
    expect(kinds.slice(0, 2)).toEqual(['case_opened', 'segment_assigned']);
    // One reminder (the step due while planCase ran), the payment that came while it was on its way.
    expect(kinds.filter((k) => k === 'sms_sent' || k === 'payment_received').sort()).toEqual(['payment_received', 'sms_sent']);

    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: h.dataConverter }, history, workflowId);
    await maybeRecordHistory(workflowId, 'v3-plan-crossing-task-boundary');
  });
});
