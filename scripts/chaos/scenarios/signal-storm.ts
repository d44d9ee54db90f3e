import type { WorkflowHandle } from '@temporalio/client';
import { statusQuery, CASE_SIGNALS } from '../../../src/shared/messages';
import type { CaseInput } from '../../../src/shared/schemas';
import { caseInput, type Payment } from '../http';
import { executionStatuses, judge, waitForCasesToClose } from '../judge';
import { fromVerdict, openCases, payInFull, type ScenarioContext, type ScenarioResult, scaled, type Scenario } from '../scenario';

const CONCURRENCY = 50;
/** PendingWorkflowTaskState, as `temporal workflow describe` names it. */
const TASK_STATES: Record<number, string> = { 1: 'scheduled', 2: 'started' };
/** How long the case may take to apply the whole storm once a worker runs it. */
const SETTLE_TIMEOUT_MS = 180_000;

/** Sends `signals` payment signals, distinct one-fen payments each delivered twice; returns how many the server refused. */
async function storm(handle: WorkflowHandle, signals: number): Promise<number> {
  const distinct = Math.floor(signals / 2);
  const queue = Array.from({ length: signals }, (_, i) => i % distinct);
  let refused = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const payment = { paymentId: `STORM-${next}`, amountMinor: 1, currency: 'CNY', receivedAt: new Date().toISOString() };
        try {
          await handle.signal(CASE_SIGNALS.paymentReceived, payment);
        } catch {
          refused += 1;
        }
      }
    }),
  );
  return refused;
}

/**
 * Polls the case until it has applied every distinct payment. When it does not in time, says
 * why from the server's own record: history length, runs, and the workflow task's attempts
 * (a task failing or timing out over and over is retried with a growing attempt number).
 */
async function settle(handle: WorkflowHandle, distinct: number, problems: string[], notes: string[]): Promise<boolean> {
  const t0 = Date.now();
  let last = 'no answer yet';
  while (Date.now() - t0 < SETTLE_TIMEOUT_MS) {
    try {
      const status = await handle.client.connection.withDeadline(Date.now() + 15_000, () => handle.query(statusQuery));
      if (status.paidMinor === distinct) {
        notes.push(`every distinct payment applied ${((Date.now() - t0) / 1000).toFixed(1)} s after the storm (or the worker's start)`);
        return true;
      }
      last = `paidMinor ${status.paidMinor}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  const description = await handle.describe().catch(() => undefined);
  const task = description?.raw.pendingWorkflowTask;
  problems.push(
    `not settled after ${SETTLE_TIMEOUT_MS / 1000} s (last answer: ${last}); current run: ${description?.historyLength ?? '?'} history events, ` +
      `${description?.historySize ?? '?'} bytes, workflow task ${task ? `attempt ${task.attempt ?? '?'} (${TASK_STATES[Number(task.state)] ?? String(task.state)})` : 'none pending'}`,
  );
  return false;
}

interface StormOptions {
  signals: number;
  /** Storm the case before any worker has run its first workflow task, then start the worker. */
  beforeFirstTask: boolean;
}

async function runStorm(ctx: ScenarioContext, options: StormOptions): Promise<ScenarioResult> {
  const s = await ctx.stack.scenario({ workers: options.beforeFirstTask ? 0 : 1 });
  const problems: string[] = [];
  const notes: string[] = [];
  const accepted: Payment[] = [];
  const signals = options.signals;
  const distinct = Math.floor(signals / 2);
  try {
    const input: CaseInput = caseInput(options.beforeFirstTask ? 'sb' : 'ss');
    await openCases(s, [input], problems);
    const handle = ctx.stack.client.workflow.getHandle(`collection-${input.loanId}`);
    // A running case answers queries once its first workflow task ran.
    if (!options.beforeFirstTask) await handle.query(statusQuery);
    const t0 = Date.now();
    const refused = await storm(handle, signals);
    notes.push(`${signals} signals sent in ${((Date.now() - t0) / 1000).toFixed(1)} s${refused ? `, ${refused} refused` : ''}${options.beforeFirstTask ? ' while no worker ran' : ''}`);
    if (refused > 0) problems.push(`${refused} signal(s) refused by the server`);
    for (let i = 0; i < distinct; i += 1) accepted.push({ loanId: input.loanId, paymentId: `STORM-${i}`, amountMinor: 1, currency: 'CNY', receivedAt: '' });
    if (options.beforeFirstTask) {
      const before = await handle.describe();
      notes.push(`${before.historyLength} history events before the first workflow task`);
      await s.workers.add();
    }

    if (await settle(handle, distinct, problems, notes)) {
      await payInFull(s, [input], accepted, problems);
      const running = await waitForCasesToClose(ctx.stack.client, s.taskQueue, 1, 180_000);
      if (running > 0) notes.push('the case is still running at judgement');
    }
    const runs = (await executionStatuses(ctx.stack.client, s.taskQueue)).get(`collection-${input.loanId}`) ?? [];
    const continued = runs.filter((r) => r === 'ContinuedAsNew').length;
    notes.push(`${runs.length} runs (${continued} continued as new)`);
    if (!options.beforeFirstTask && signals >= 5_000 && continued === 0) problems.push('the storm never crossed continue-as-new');
    const verdict = await judge({ client: ctx.stack.client, taskQueue: s.taskQueue, inputs: [input], ledger: ctx.stack.sandbox.ledger(), accepted, archive: ctx.stack.archive });
    // No history recorded: thousands of events would bloat the repository for little replay value.
    return fromVerdict(verdict, signals, `${signals} payment signals (${distinct} distinct, each twice)`, problems, notes);
  } finally {
    await s.close();
  }
}

/**
 * 10. A storm of signals on a running case: distinct one-fen payments, each delivered twice,
 * far more events than the server lets a run hold before it suggests continue-as-new. Every
 * payment must count once across the runs.
 */
export const signalStorm: Scenario = {
  id: 'signal-storm',
  title: 'Storm of 10,000 signals on one case, across continue-as-new',
  run: (ctx) => runStorm(ctx, { signals: scaled(ctx, 10_000, 20), beforeFirstTask: false }),
};

/**
 * 10b. The same storm reaching a case before its first workflow task: the case is opened while
 * no worker runs, 2,000 signals wait in its history, then a worker starts and must apply them
 * all in its first tasks (one run holds them all: a server takes at most 10,000 signals per run).
 */
export const signalStormBeforeOpen: Scenario = {
  id: 'signal-storm-before-open',
  title: 'Storm of 2,000 signals before the case\'s first workflow task',
  run: (ctx) => runStorm(ctx, { signals: scaled(ctx, 2_000, 20), beforeFirstTask: true }),
};
