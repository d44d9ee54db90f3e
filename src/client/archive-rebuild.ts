import type { CaseArchive } from '../archive/case-archive';
import { ExecutionStatus, type ArchiveBatch } from '../shared/archive';
import { archiveCaseKey } from '../shared/ids';
import * as schemas from '../shared/schemas';
import type { CaseService } from './case-service';
import { openingInput } from './evidence';
import { listCaseRows, type CaseRow } from './reports';
import { CASE_RUNS_SCOPE, scoped } from './visibility-query';

/**
 * `collections archive rebuild`: refills the case archive from Temporal, for a database
 * restored from an old backup, a worker that ran without DATABASE_URL, or cases that closed
 * while the archive was down. For every case in visibility it asks the case itself for its
 * `status` and `timeline` (a worker must be running), reads its opening input (the first
 * event of its history: overdue date, product, debtor type and time zone; no personal data
 * is kept) and writes them like the archive
 * activity does: events keyed by (case, sequence number), the case row versioned by its
 * event count, so running it again, or alongside the live cases, changes nothing.
 *
 * The timeline query returns what the case keeps in its state; events it no longer keeps
 * are only in the archive (and the case's history).
 */

export interface RebuildResult {
  cases: number;
  events: number;
  failed: Array<{ loanId: string; reason: string }>;
}

const DEFAULT_CONCURRENCY = 8;

/** The batch the case's own status, timeline and opening input give, with what visibility says of its run. */
export function rebuildBatch(row: CaseRow, status: schemas.CaseStatus, timeline: schemas.TimelineEvent[], input: schemas.CaseInput): ArchiveBatch {
  const opened = timeline.find((e) => e.kind === 'case_opened');
  const segment = timeline.find((e) => e.kind === 'segment_assigned');
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const executionStatus = ExecutionStatus.safeParse(row.status);
  const overdueSince = input.overdueSince;
  return {
    firstSeq: 0,
    events: timeline,
    case: {
      caseKey: archiveCaseKey(row.workflowId, overdueSince),
      loanId: status.loanId,
      workflowId: row.workflowId,
      runId: row.runId,
      executionStatus: executionStatus.success ? executionStatus.data : 'UNKNOWN',
      openedAt: opened?.at ?? row.startTime,
      closedAt: row.closeTime,
      overdueSince,
      product: input.product,
      reason: input.reason,
      policyId: str(segment?.data?.policy)?.split('@')[0] ?? input.policyId,
      debtorType: input.debtor.type,
      timezone: input.debtor.timezone,
      currency: status.currency,
      amountDueMinor: status.amountDueMinor,
      outstandingMinor: status.outstandingMinor,
      paidMinor: status.paidMinor,
      recoveredMinor: row.recoveredMinor ?? Math.min(status.paidMinor, status.amountDueMinor),
      costMinor: status.costMinor,
      stage: status.stage,
      state: status.state,
      outcome: status.outcome,
      segment: status.segment,
      strategy: status.strategy,
      promisesKept: row.promisesKept ?? 0,
      promisesBroken: row.promisesBroken ?? status.brokenPromises ?? 0,
      rightPartyContact: row.rightPartyContact,
      recoveredByStage: row.recoveredByStage,
      version: timeline.length,
    },
  };
}

export async function rebuildArchive(
  cases: CaseService,
  archive: Pick<CaseArchive, 'write'>,
  options: { concurrency?: number; onCase?: (done: number) => void; /** A visibility filter, e.g. "TaskQueue = 'collections'". */ query?: string } = {},
): Promise<RebuildResult> {
  const result: RebuildResult = { cases: 0, events: 0, failed: [] };
  const inFlight = new Set<Promise<void>>();
  let done = 0;
  const rebuildOne = async (row: CaseRow) => {
    try {
      const described = await cases.client.workflow.getHandle(row.workflowId).describe();
      const firstRunId = described.raw.workflowExecutionInfo?.firstRunId || described.runId;
      const [status, timeline, input] = await Promise.all([cases.status(row.loanId), cases.timeline(row.loanId), openingInput(cases, row.workflowId, firstRunId)]);
      const batch = rebuildBatch(row, status, timeline, input);
      await archive.write(batch);
      result.cases += 1;
      result.events += batch.events.length;
    } catch (error) {
      result.failed.push({ loanId: row.loanId, reason: error instanceof Error ? error.message : String(error) });
    } finally {
      options.onCase?.((done += 1));
    }
  };
  for await (const row of listCaseRows(cases.client, scoped(CASE_RUNS_SCOPE, options.query))) {
    const task = rebuildOne(row).finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= (options.concurrency ?? DEFAULT_CONCURRENCY)) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return result;
}
