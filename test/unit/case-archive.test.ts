import { describe, expect, it } from 'vitest';
import { acknowledgeBatch, archiveBatch, batchWasFull, boundUnarchived, keepUnarchived, MAX_CARRIED_UNARCHIVED, MAX_EVENTS_PER_BATCH } from '../../src/domain/case-archive';
import { openCase, record, TIMELINE_WINDOW, type CaseData } from '../../src/domain/case-state';
import type { ArchiveBatch } from '../../src/shared/archive';
import type { CaseInput } from '../../src/shared/schemas';

/**
 * What the archive is sent of a case (issue 12, scenario 10): every event once, in order, in
 * batches of at most MAX_EVENTS_PER_BATCH, however many events one task records.
 */

const T0 = Date.parse('2026-11-10T00:00:00Z');
const input = { loanId: 'L-1', currency: 'CNY', amountDueMinor: 1_000_000, overdueSince: '2026-11-01', debtor: { type: 'individual', timezone: 'Asia/Shanghai' } } as CaseInput;
const ctx = { workflowId: 'collection-L-1', runId: 'r1', executionStatus: 'RUNNING' as const };

function caseWith(events: number, backlog: boolean): CaseData {
  const d = openCase(input, new Date(T0).toISOString());
  if (backlog) keepUnarchived(d);
  recordMany(d, 0, events);
  return d;
}

function recordMany(d: CaseData, from: number, n: number): void {
  for (let i = from; i < from + n; i += 1) record(d, new Date(T0 + i).toISOString(), 'payment_received', `event ${i}`);
}

/** The sequence numbers a batch carries, read back from the event details. */
const seqsOf = (batch: ArchiveBatch) => batch.events.map((e) => Number(e.detail.split(' ')[1]));

/** Writes batches until nothing new is left, as the archiver's chain does; returns them. */
function drain(d: CaseData, between: (written: number) => void = () => undefined): ArchiveBatch[] {
  const batches: ArchiveBatch[] = [];
  for (let batch = archiveBatch(d, ctx); batch.events.length > 0; batch = archiveBatch(d, ctx)) {
    expect(batch.events.length).toBeLessThanOrEqual(MAX_EVENTS_PER_BATCH);
    expect(seqsOf(batch)[0]).toBe(batch.firstSeq);
    acknowledgeBatch(d, batch);
    batches.push(batch);
    between(batches.length);
  }
  return batches;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('the archive backlog', () => {
  it('without it, a burst past the window reaches the archive only as far as the window holds it (cases started before the fix)', () => {
    const d = caseWith(5_005, false);
    const batches = drain(d);
    expect(batches.flatMap(seqsOf)).toEqual(range(5_005 - TIMELINE_WINDOW, 5_005));
  });

  it.each([
    ['a few events', 3],
    ['exactly the window', TIMELINE_WINDOW],
    ['the window and one full batch', TIMELINE_WINDOW + MAX_EVENTS_PER_BATCH],
    ['a storm of 5,005 events in one task', 5_005],
  ])('%s: every event once, in order, then the state shrinks back to its window', (_what, n) => {
    const d = caseWith(n, true);
    const batches = drain(d);
    expect(batches.flatMap(seqsOf)).toEqual(range(0, n));
    expect(batches.slice(0, -1).every(batchWasFull)).toBe(true);
    expect(d.archivedSeq).toBe(n);
    expect(d.unarchived).toEqual([]);
    expect(d.timeline).toHaveLength(Math.min(n, TIMELINE_WINDOW));
  });

  it('events recorded while the backlog drains join it without a gap', () => {
    const d = caseWith(1_200, true);
    let next = 1_200;
    const batches = drain(d, (written) => {
      if (written > 3) return;
      recordMany(d, next, 400);
      next += 400;
    });
    expect(batches.flatMap(seqsOf)).toEqual(range(0, next));
    expect(d.unarchived).toEqual([]);
  });

  it('keeps only what the archive has not acknowledged', () => {
    const d = caseWith(150, true);
    drain(d);
    recordMany(d, 150, 300);
    // 450 recorded, 150 acknowledged: the 100 that left the window unwritten wait in the state.
    expect(d.timeline).toHaveLength(TIMELINE_WINDOW);
    expect(d.unarchived?.map((e) => e.detail)).toEqual(range(150, 250).map((i) => `event ${i}`));
    expect(drain(d).flatMap(seqsOf)).toEqual(range(150, 450));
  });

  it('crosses continue-as-new as plain JSON, bounded: the oldest past the bound are left behind', () => {
    const d = caseWith(3_000, true);
    const first = archiveBatch(d, ctx);
    acknowledgeBatch(d, first);
    expect(boundUnarchived(d)).toBe(3_000 - TIMELINE_WINDOW - MAX_EVENTS_PER_BATCH - MAX_CARRIED_UNARCHIVED);
    const carried = JSON.parse(JSON.stringify(d)) as CaseData;
    expect(carried.unarchived).toHaveLength(MAX_CARRIED_UNARCHIVED);
    const start = 3_000 - TIMELINE_WINDOW - MAX_CARRIED_UNARCHIVED;
    expect(drain(carried).flatMap(seqsOf)).toEqual(range(start, 3_000));
    expect(boundUnarchived(carried)).toBe(0);
  });
});
