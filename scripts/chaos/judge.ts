/**
 * The verdict on one scenario, from two independent records: the provider sandbox's
 * ledger (what really reached the outside world, one delivery per idempotency key) and
 * each case's own state (status and timeline queries; visibility's ExecutionStatus).
 *
 * - lost: an effect one record has and the other lacks: a step the case recorded with a
 *   provider reference the provider never delivered (or delivered with another
 *   reference), a delivery a closed case never recorded, or a payment the API accepted
 *   (202) that the case did not count;
 * - duplicated: a step recorded twice by the case, or a payment counted twice (in the
 *   timeline or in `paidMinor`);
 * - failed: a workflow run that ended Failed, Terminated or TimedOut;
 * - unexplained: a closed case without an outcome.
 */
import type { Client } from '@temporalio/client';
import type { CaseArchive } from '../../src/archive/case-archive';
import { TIMELINE_WINDOW } from '../../src/domain/case-state';
import type { LedgerSnapshot } from '../../src/sandbox/server';
import { statusQuery, timelineQuery } from '../../src/shared/messages';
import type { CaseInput, CaseStatus, TimelineEvent } from '../../src/shared/schemas';
import type { Payment } from './http';

export interface Verdict {
  cases: number;
  closed: number;
  running: number;
  lost: number;
  duplicated: number;
  failed: number;
  unexplained: number;
  deliveries: number;
  /** One line per problem found, for the report. */
  problems: string[];
}

const FAILED_STATUSES = new Set(['Failed', 'Terminated', 'TimedOut', 'Canceled']);

/** Every run ever started on the scenario's task queue, by ExecutionStatus (visibility). */
export async function executionStatuses(client: Client, taskQueue: string): Promise<Map<string, string[]>> {
  const byWorkflow = new Map<string, string[]>();
  for await (const execution of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
    const statuses = byWorkflow.get(execution.workflowId) ?? [];
    statuses.push(visibilityName(execution.status.name));
    byWorkflow.set(execution.workflowId, statuses);
  }
  return byWorkflow;
}

function visibilityName(name: string): string {
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** Waits until every case has closed (or the time is up); returns how many still run. */
export async function waitForCasesToClose(client: Client, taskQueue: string, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let running = count;
  while (Date.now() < deadline) {
    const statuses = await executionStatuses(client, taskQueue).catch(() => undefined);
    if (statuses) {
      running = [...statuses.values()].filter((runs) => runs.includes('Running')).length;
      if (statuses.size >= count && running === 0) return 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return running;
}

const keyPrefix = (input: CaseInput) => `collection-${input.loanId}/${input.overdueSince}/`;

/**
 * The case's whole timeline. The `timeline` query answers the recent window only (spec section 9,
 * bounded state; a run that continued as new carries only that window), so with an archive the
 * judge reads every event from it; the archive catches up a little after the case: wait until
 * it holds the window's last event. `recorded` is how many events the case says it recorded.
 */
async function wholeTimeline(window: TimelineEvent[], loanId: string, archive: CaseArchive | undefined, problems: string[]): Promise<{ timeline: TimelineEvent[]; recorded?: number }> {
  const last = window[window.length - 1];
  if (!archive || !last) return { timeline: window };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const record = await archive.caseRecord(loanId).catch(() => undefined);
    const archived = record?.timeline ?? [];
    const tail = archived[archived.length - 1];
    if (record && archived.length >= window.length && tail?.kind === last.kind && tail.detail === last.detail) return { timeline: archived, recorded: record.case.version };
    if (Date.now() > deadline) {
      problems.push(`${loanId}: the archive holds ${archived.length} events and not yet the timeline's last (${last.kind}); judged on the recent window of ${TIMELINE_WINDOW}`);
      return { timeline: window };
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

function refsOf(body: unknown): Set<string> {
  return new Set(typeof body === 'object' && body !== null ? Object.values(body).filter((v): v is string => typeof v === 'string') : []);
}

export async function judge(options: {
  client: Client;
  taskQueue: string;
  inputs: CaseInput[];
  ledger: LedgerSnapshot;
  /** Payments the API answered 202 (a payment may be listed several times: redeliveries). */
  accepted: Payment[];
  /** Where a case's whole timeline is read when the query's recent window is full. */
  archive?: CaseArchive;
}): Promise<Verdict> {
  const { client, taskQueue, inputs, ledger, accepted, archive } = options;
  const problems: string[] = [];
  const statuses = await executionStatuses(client, taskQueue);
  let failed = 0;
  for (const [workflowId, runs] of statuses) {
    const bad = runs.filter((s) => FAILED_STATUSES.has(s));
    failed += bad.length;
    if (bad.length > 0) problems.push(`${workflowId}: ${bad.join(', ')} run(s)`);
  }

  let lost = 0;
  let duplicated = 0;
  let unexplained = 0;
  let closed = 0;
  let deliveries = 0;
  for (const input of inputs) {
    const workflowId = `collection-${input.loanId}`;
    const isRunning = (statuses.get(workflowId) ?? []).includes('Running');
    if (!statuses.has(workflowId)) {
      // Never opened (e.g. refused while Temporal was down and not retried): nothing to judge.
      continue;
    }
    const handle = client.workflow.getHandle(workflowId);
    let status: CaseStatus;
    let timeline: TimelineEvent[];
    let eventsRecorded: number | undefined;
    try {
      [status, timeline] = await Promise.all([handle.query(statusQuery), handle.query(timelineQuery)]);
      ({ timeline, recorded: eventsRecorded } = await wholeTimeline(timeline, input.loanId, archive, problems));
    } catch (error) {
      unexplained += 1;
      problems.push(`${input.loanId}: status query failed: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    if (!isRunning) closed += 1;
    if (!isRunning && !status.outcome) {
      unexplained += 1;
      problems.push(`${input.loanId}: closed without an outcome (state ${status.state})`);
    }

    // Steps: what the case recorded vs what the provider delivered.
    const prefix = keyPrefix(input);
    const delivered = new Map(ledger.deliveries.filter((d) => d.idempotencyKey.startsWith(prefix)).map((d) => [d.idempotencyKey.slice(prefix.length), d]));
    deliveries += delivered.size;
    const recorded = new Map<string, number>();
    for (const event of timeline) {
      const step = typeof event.data?.step === 'string' ? event.data.step : event.kind === 'survey_sent' ? 'survey-1' : undefined;
      const ref = event.data?.providerRef;
      if (step === undefined || (ref === undefined && event.kind !== 'survey_sent')) continue;
      recorded.set(step, (recorded.get(step) ?? 0) + 1);
      const delivery = delivered.get(step);
      if (!delivery) {
        lost += 1;
        problems.push(`${input.loanId}: ${step} recorded (${String(ref)}) but never delivered`);
      } else if (typeof ref === 'string' && !refsOf(delivery.response.body).has(ref)) {
        lost += 1;
        problems.push(`${input.loanId}: ${step} recorded with ${ref}, delivered as ${JSON.stringify(delivery.response.body)}`);
      }
    }
    for (const [step, count] of recorded) {
      if (count > 1) {
        duplicated += count - 1;
        problems.push(`${input.loanId}: ${step} recorded ${count} times`);
      }
    }
    const recalls = timeline.filter((e) => e.kind === 'agency_recalled').length;
    for (const step of delivered.keys()) {
      const known = recorded.has(step) || (step.startsWith('recall-') && recalls > 0);
      if (!known && !isRunning) {
        lost += 1;
        problems.push(`${input.loanId}: ${step} delivered but the closed case never recorded it`);
      }
    }

    // Payments: every accepted paymentId counted exactly once, and paidMinor their sum.
    const counted = new Map<string, number>();
    let countedSum = 0;
    for (const event of timeline) {
      if (event.kind !== 'payment_received' || typeof event.data?.paymentId !== 'string') continue;
      counted.set(event.data.paymentId, (counted.get(event.data.paymentId) ?? 0) + 1);
      countedSum += typeof event.data.amountMinor === 'number' ? event.data.amountMinor : 0;
    }
    for (const [paymentId, count] of counted) {
      if (count > 1) {
        duplicated += count - 1;
        problems.push(`${input.loanId}: payment ${paymentId} counted ${count} times`);
      }
    }
    const acceptedHere = new Map(accepted.filter((p) => p.loanId === input.loanId).map((p) => [p.paymentId, p]));
    const uncounted = [...acceptedHere.keys()].filter((paymentId) => !counted.has(paymentId));
    const incomplete = eventsRecorded !== undefined && timeline.length < eventsRecorded;
    if (incomplete) {
      // Spec section 11: the archive holds every timeline event. Without them, the case's own sum is the check.
      problems.push(`${input.loanId}: the case archive holds ${timeline.length} of the ${eventsRecorded} timeline events the case recorded`);
      const expected = [...acceptedHere.values()].reduce((sum, p) => sum + p.amountMinor, 0);
      if (status.paidMinor !== expected) {
        duplicated += status.paidMinor > expected ? 1 : 0;
        lost += status.paidMinor < expected ? 1 : 0;
        problems.push(`${input.loanId}: paidMinor ${status.paidMinor}, the accepted payments sum to ${expected}`);
      }
    } else if (uncounted.length > 0) {
      lost += uncounted.length;
      problems.push(`${input.loanId}: ${uncounted.length} payment(s) answered 202 but not counted (${counted.size} in a timeline of ${timeline.length} events; paidMinor ${status.paidMinor}): ${uncounted.slice(0, 5).join(', ')}${uncounted.length > 5 ? ', ...' : ''}`);
    }
    if (!incomplete && counted.size > 0 && countedSum > 0 && status.paidMinor !== countedSum) {
      duplicated += status.paidMinor > countedSum ? 1 : 0;
      lost += status.paidMinor < countedSum ? 1 : 0;
      problems.push(`${input.loanId}: paidMinor ${status.paidMinor} but the timeline's payments sum to ${countedSum}`);
    }
  }

  const judged = inputs.filter((i) => statuses.has(`collection-${i.loanId}`)).length;
  return { cases: judged, closed, running: judged - closed, lost, duplicated, failed, unexplained, deliveries, problems };
}
