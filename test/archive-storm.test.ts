/**
 * A storm of payment signals reaching a case in one workflow task, with the case archive on
 * (issue 12, scenario 10, in small): the case records far more events at once than its timeline
 * window (200) and one archive write (500) hold, and the archive must still get every one of
 * them, numbered without a gap, whether the case goes on (the writes chain) or continues as new
 * (settle drains the backlog first). Real dev server, real worker, the suite's real PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CaseArchive } from '../src/archive/case-archive';
import { CaseService } from '../src/client/case-service';
import { TIMELINE_WINDOW } from '../src/domain/case-state';
import { caseWorkflowId } from '../src/shared/ids';
import { paymentReceivedSignal, statusQuery, timelineQuery } from '../src/shared/messages';
import { caseInput, eventually, startHarness, type Harness } from './support/harness';
import { maybeRecordHistory } from './support/record-history';

let h: Harness;
let archive: CaseArchive;

beforeAll(async () => {
  archive = await CaseArchive.open(inject('databaseUrl'));
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
  await archive?.close();
});

/**
 * Opens a case on a task queue no worker polls, sends `distinct` one-fen payments `deliveries`
 * times each (all of them wait for the case's first task), then starts a worker and waits until
 * the archive holds as many events as the case says it recorded, or fails saying what it holds.
 */
async function stormWithArchive(distinct: number, deliveries: number) {
  const taskQueue = `archive-storm-${randomUUID()}`;
  const cases = new CaseService(h.client, taskQueue, h.cases.policies);
  const input = caseInput({ amountDueMinor: 5_000_000 });
  const { runId: firstRunId } = await cases.open(input);
  const handle = h.client.workflow.getHandle(caseWorkflowId(input.loanId));
  const queue = Array.from({ length: distinct * deliveries }, (_, i) => i % distinct);
  await Promise.all(
    Array.from({ length: 25 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        await handle.signal(paymentReceivedSignal, { paymentId: `STORM-${i}`, amountMinor: 1, currency: 'CNY', receivedAt: new Date().toISOString() });
      }
    }),
  );
  return h.withWorker(
    taskQueue,
    async () => {
    await eventually(() => handle.query(statusQuery), (s) => s.paidMinor === distinct, 120_000, 'every payment applied');
    const record = await eventually(
      async () => (await archive.caseRecord(input.loanId)) ?? Promise.reject(new Error('not in the archive yet')),
      (r) => r.case.paidMinor === distinct && r.timeline.length === r.case.version,
      60_000,
      'the archive to hold every event the case recorded',
    ).catch(async (error: unknown) => {
      const held = await archive.caseRecord(input.loanId);
      throw new Error(`${String(error)}: the archive holds ${held?.timeline.length} of ${held?.case.version} events`);
    });
    const { rows } = await archive.pool.query<{ seq: number }>('SELECT seq FROM archive_events WHERE case_key = $1 ORDER BY seq', [record.case.caseKey]);
    const window = await handle.query(timelineQuery);
    const description = await handle.describe();
    await handle.terminate('test done');
    // The run that took the storm replays on the same code: the chain of writes is deterministic.
    const stormed = await h.client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: h.dataConverter }, stormed, handle.workflowId);
    return { input, handle, record, seqs: rows.map((r) => Number(r.seq)), window, runId: description.runId };
    },
    { archive },
  );
}

describe('a storm of payments with the case archive on', () => {
  it('the archive gets every event of a burst far past the window, in chained batches, while the case goes on', { timeout: 300_000 }, async () => {
    const distinct = 800;
    const { record, seqs, window } = await stormWithArchive(distinct, 1);
    expect(record.timeline[0]?.kind).toBe('case_opened');
    expect(record.timeline.filter((e) => e.kind === 'payment_received')).toHaveLength(distinct);
    expect(new Set(record.timeline.flatMap((e) => (e.kind === 'payment_received' ? [String(e.data?.paymentId)] : [])))).toEqual(new Set(Array.from({ length: distinct }, (_, i) => `STORM-${i}`)));
    // The case goes on after the record was read, so the archive may hold later events too: no gap, none missing.
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i));
    expect(seqs.length).toBeGreaterThanOrEqual(record.case.version);
    // The state is back to its window once the archive has it all.
    expect(window.length).toBeLessThanOrEqual(TIMELINE_WINDOW);
  });

  it('a burst that makes the case continue as new reaches the archive whole: the run drains its backlog first', { timeout: 300_000 }, async () => {
    const distinct = 1_000;
    const { record, seqs, handle, runId } = await stormWithArchive(distinct, 2);
    const runs = [];
    for await (const run of h.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs.push(run.runId);
    expect(runs.length, 'the storm crossed continue-as-new').toBeGreaterThan(1);
    expect(runs).toContain(runId);
    expect(record.timeline.filter((e) => e.kind === 'payment_received')).toHaveLength(distinct);
    // The case goes on after the record was read, so the archive may hold later events too: no gap, none missing.
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i));
    expect(seqs.length).toBeGreaterThanOrEqual(record.case.version);
    await maybeRecordHistory(handle.workflowId, 'v6-archive-backlog-storm');
  });
});
