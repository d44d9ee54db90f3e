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
}): Promise<Verdict> {
  const { client, taskQueue, inputs, ledger, accepted } = options;
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
    try {
      [status, timeline] = await Promise.all([handle.query(statusQuery), handle.query(timelineQuery)]);
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
    for (const paymentId of acceptedHere.keys()) {
      if (!counted.has(paymentId)) {
        lost += 1;
        problems.push(`${input.loanId}: payment ${paymentId} answered 202 but not counted`);
      }
    }
    if (counted.size > 0 && countedSum > 0 && status.paidMinor !== countedSum) {
      duplicated += status.paidMinor > countedSum ? 1 : 0;
      lost += status.paidMinor < countedSum ? 1 : 0;
      problems.push(`${input.loanId}: paidMinor ${status.paidMinor} but the timeline's payments sum to ${countedSum}`);
    }
  }

  const judged = inputs.filter((i) => statuses.has(`collection-${i.loanId}`)).length;
  return { cases: judged, closed, running: judged - closed, lost, duplicated, failed, unexplained, deliveries, problems };
}
