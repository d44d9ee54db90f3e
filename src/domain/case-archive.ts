import { archiveCaseKey, type ArchiveBatch, type ExecutionStatus } from '../shared/archive';
import { stateOf, type CaseData } from './case-state';

/**
 * Which part of a case the archive has not acknowledged yet, and the batch that carries it.
 *
 * Sequence numbers count every timeline event the case ever recorded (`eventsRecorded`),
 * so they stay right when older events are dropped from the state: the event at index i
 * of `timeline` has sequence `eventsRecorded - timeline.length + i`.
 */

/** At most this many events per write (keeps one activity's input well under Temporal's payload limit). */
export const MAX_EVENTS_PER_BATCH = 500;

export function eventsRecorded(data: CaseData): number {
  return data.eventsRecorded ?? data.timeline.length;
}

/** The first sequence number still in the state's timeline. */
function firstSeqInState(data: CaseData): number {
  return eventsRecorded(data) - data.timeline.length;
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
  const start = Math.max(acknowledged, firstSeqInState(data));
  const from = start - firstSeqInState(data);
  const events = data.timeline.slice(from, from + MAX_EVENTS_PER_BATCH);
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

/** Records the archive's acknowledgement of a batch: later batches start after its last event. */
export function acknowledgeBatch(data: CaseData, batch: ArchiveBatch): void {
  data.archivedSeq = Math.max(data.archivedSeq ?? 0, batch.firstSeq + batch.events.length);
}
