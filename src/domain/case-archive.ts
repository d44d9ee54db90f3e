import type { ArchiveBatch, ExecutionStatus } from '../shared/archive';
import { archiveCaseKey } from '../shared/ids';
import type { TimelineEvent } from '../shared/schemas';
import { stateOf, type CaseData } from './case-state';

/**
 * Which part of a case the archive has not acknowledged yet, and the batch that carries it.
 *
 * Sequence numbers count every timeline event the case ever recorded (`eventsRecorded`),
 * so they stay right when older events are dropped from the state: the events the state
 * still holds are `unarchived` then `timeline`, contiguous, the last of them numbered
 * `eventsRecorded - 1`.
 */

/** At most this many events per write (about 150 KB: one activity's input stays well under Temporal's payload limit). */
export const MAX_EVENTS_PER_BATCH = 500;

/**
 * At most this many unarchived events cross continue-as-new (about 300 KB), should the archive
 * be down when the run ends: the new run's input must stay well under the payload limit.
 */
export const MAX_CARRIED_UNARCHIVED = 1_000;

export function eventsRecorded(data: CaseData): number {
  return data.eventsRecorded ?? data.timeline.length;
}

/** The events the state still holds, oldest first (the unarchived ones, then the window). */
function eventsInState(data: CaseData): TimelineEvent[] {
  return data.unarchived?.length ? data.unarchived.concat(data.timeline) : data.timeline;
}

/** The first sequence number still in the state. */
function firstSeqInState(data: CaseData): number {
  return eventsRecorded(data) - data.timeline.length - (data.unarchived?.length ?? 0);
}

/** From now on, events leaving the timeline window wait in the state until the archive acknowledges them. */
export function keepUnarchived(data: CaseData): void {
  data.unarchived ??= [];
}

/**
 * Bounds what a run hands to the next one: drops the oldest unarchived events past
 * MAX_CARRIED_UNARCHIVED (they stay in the old run's history). Returns how many it dropped.
 */
export function boundUnarchived(data: CaseData): number {
  const excess = (data.unarchived?.length ?? 0) - MAX_CARRIED_UNARCHIVED;
  if (excess <= 0) return 0;
  data.unarchived!.splice(0, excess);
  return excess;
}

export interface BatchContext {
  workflowId: string;
  runId: string;
  executionStatus: ExecutionStatus;
  closedAt?: string;
}

/** The events after the archive's acknowledged sequence number (dropped ones excepted) and the case's figures now. */
export function archiveBatch(data: CaseData, ctx: BatchContext): ArchiveBatch {
  const acknowledged = data.archivedSeq ?? 0;
  const first = firstSeqInState(data);
  const start = Math.max(acknowledged, first);
  const from = start - first;
  const events = eventsInState(data).slice(from, from + MAX_EVENTS_PER_BATCH);
  const input = data.input;
  const plan = data.plan;
  const batch: ArchiveBatch = {
    firstSeq: start,
    events,
    case: {
      caseKey: archiveCaseKey(ctx.workflowId, input.overdueSince),
      loanId: input.loanId,
      workflowId: ctx.workflowId,
      runId: ctx.runId,
      executionStatus: ctx.executionStatus,
      openedAt: data.openedAt,
      closedAt: ctx.closedAt,
      overdueSince: input.overdueSince,
      product: input.product,
      reason: input.reason,
      policyId: plan ? plan.policyId : input.policyId,
      debtorType: input.debtor.type,
      timezone: input.debtor.timezone,
      currency: input.currency,
      amountDueMinor: input.amountDueMinor,
      outstandingMinor: data.outstandingMinor,
      paidMinor: data.paidMinor,
      recoveredMinor: data.paidMinor - data.overpaidMinor,
      costMinor: data.costMinor,
      stage: data.stage,
      state: stateOf(data),
      outcome: data.outcome,
      segment: plan?.segment,
      strategy: plan?.strategy,
      promisesKept: data.keptPromises,
      promisesBroken: data.brokenPromises,
      rightPartyContact: data.rightPartyContact ?? false,
      recoveredByStage: { ...data.recoveredByStage },
      version: eventsRecorded(data),
    },
  };
  return batch;
}

/** Whether anything is new since `lastFigures` (the case part of the last acknowledged batch, as JSON). */
export function hasNews(batch: ArchiveBatch, lastFigures: string | undefined): boolean {
  return batch.events.length > 0 || figuresSnapshot(batch) !== lastFigures;
}

export function figuresSnapshot(batch: ArchiveBatch): string {
  return JSON.stringify(batch.case);
}

/** Records the archive's acknowledgement of a batch: later batches start after its last event, and the state lets go of what it wrote. */
export function acknowledgeBatch(data: CaseData, batch: ArchiveBatch): void {
  data.archivedSeq = Math.max(data.archivedSeq ?? 0, batch.firstSeq + batch.events.length);
  if (data.unarchived?.length) {
    const written = Math.min(data.unarchived.length, data.archivedSeq - firstSeqInState(data));
    if (written > 0) data.unarchived.splice(0, written);
  }
}

/** Whether a write carried a full batch, so more events may be waiting behind it. */
export function batchWasFull(batch: ArchiveBatch): boolean {
  return batch.events.length >= MAX_EVENTS_PER_BATCH;
}
