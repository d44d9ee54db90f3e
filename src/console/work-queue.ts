import type { Client } from '@temporalio/client';
import type { CaseService } from '../client/case-service';
import { listCaseRows, type CaseRow } from '../client/reports';
import { OPEN_CASE_SCOPE, scoped } from '../client/visibility-query';
import type { CaseStatus, TimelineEvent } from '../shared/schemas';
import { mapLimited } from './map-limited';

/**
 * The work queue: open cases that need a person, largest outstanding first, then oldest.
 *
 * Visibility narrows the candidates (state needs review, disputed or promised, or stage
 * phone); a per-case query then decides the two reasons visibility cannot see: a promise
 * due today (or already past due, still within its grace) and a call task with no outcome
 * recorded yet.
 */

export type QueueReason = 'needs_review' | 'disputed' | 'promise_due' | 'open_call_task';

export interface QueueItem {
  loanId: string;
  reasons: QueueReason[];
  stage?: string;
  state?: string;
  currency?: string;
  outstandingMinor: number;
  openedAt: string;
  promiseDueDate?: string;
}

const CANDIDATES = `CollectionState = 'needs_review' OR CollectionState = 'disputed' OR CollectionState = 'promised' OR CollectionStage = 'phone'`;
const QUERY_CONCURRENCY = 8;
const MAX_CANDIDATES = 1000;

/** A promise is due when its due date (the date part, as the case recorded it) is today or earlier. */
export function promiseDue(status: Pick<CaseStatus, 'promise'>, today: string): boolean {
  const due = status.promise?.dueDate.slice(0, 10);
  return due !== undefined && due <= today;
}

/** The last call task has no outcome after it. */
export function hasOpenCallTask(timeline: readonly TimelineEvent[]): boolean {
  let open = false;
  for (const event of timeline) {
    if (event.kind === 'call_task_created') open = true;
    else if (event.kind === 'call_outcome') open = false;
  }
  return open;
}

/** Largest outstanding first, then the oldest case (pure). */
export function rankQueue(items: QueueItem[]): QueueItem[] {
  return [...items].sort((a, b) => b.outstandingMinor - a.outstandingMinor || a.openedAt.localeCompare(b.openedAt) || a.loanId.localeCompare(b.loanId));
}

async function reasonsFor(row: CaseRow, cases: CaseService, today: string): Promise<{ reasons: QueueReason[]; promiseDueDate?: string }> {
  const reasons: QueueReason[] = [];
  let promiseDueDate: string | undefined;
  if (row.state === 'needs_review') reasons.push('needs_review');
  if (row.state === 'disputed') reasons.push('disputed');
  if (row.state === 'promised') {
    const status = await cases.status(row.loanId).catch(() => undefined);
    if (status && promiseDue(status, today)) {
      reasons.push('promise_due');
      promiseDueDate = status.promise?.dueDate;
    }
  }
  if (row.stage === 'phone') {
    const timeline = await cases.timeline(row.loanId).catch(() => []);
    if (hasOpenCallTask(timeline)) reasons.push('open_call_task');
  }
  return { reasons, promiseDueDate };
}

export async function workQueue(client: Client, cases: CaseService, now: Date = new Date()): Promise<QueueItem[]> {
  const today = now.toISOString().slice(0, 10);
  const candidates: CaseRow[] = [];
  for await (const row of listCaseRows(client, scoped(OPEN_CASE_SCOPE, CANDIDATES))) {
    candidates.push(row);
    if (candidates.length >= MAX_CANDIDATES) break;
  }
  const items = await mapLimited(candidates, QUERY_CONCURRENCY, async (row): Promise<QueueItem | undefined> => {
    const { reasons, promiseDueDate } = await reasonsFor(row, cases, today);
    if (reasons.length === 0) return undefined;
    return {
      loanId: row.loanId,
      reasons,
      stage: row.stage,
      state: row.state,
      currency: row.currency,
      outstandingMinor: row.outstandingMinor ?? row.amountDueMinor ?? 0,
      openedAt: row.startTime,
      promiseDueDate,
    };
  });
  return rankQueue(items.filter((i): i is QueueItem => i !== undefined));
}
