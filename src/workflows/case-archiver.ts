import * as wf from '@temporalio/workflow';
import type { CollectionActivities } from '../activities';
import { acknowledgeBatch, archiveBatch, batchWasFull, boundUnarchived, figuresSnapshot, hasNews, keepUnarchived } from '../domain/case-archive';
import type { CaseData } from '../domain/case-state';
import type { ArchiveBatch, ExecutionStatus } from '../shared/archive';

/**
 * Retries last about five minutes (1 s, 2 s, 4 s ... capped at 1 min), then the write is given
 * up; nothing is lost, since the next wake-up resends everything after the last acknowledged
 * event, and `collections archive rebuild` refills the archive from Temporal.
 */
const { archiveCase } = wf.proxyActivities<CollectionActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 },
});

/**
 * Writes the case to the archive once per wake-up (before each wait), only when something is
 * new, without ever putting the database on the case's critical path:
 *
 * - flush() schedules the write and does not wait for it; while one write is in flight the
 *   next wake-ups skip theirs (the one after it carries everything new).
 * - A failed write is logged and swallowed: the acknowledged sequence number stays where it was.
 * - settle() (before continue-as-new and at the end) waits for the write in flight and sends
 *   the rest, because an activity left running would be abandoned with its run.
 *
 * With a backlog (`patched('archive-backlog')`), nothing is lost to the timeline window: events
 * wait in the state until acknowledged (`unarchived`), a full batch is followed at once by the
 * next one, and settle() drains the whole backlog. A storm that records thousands of events in
 * one task reaches the archive in a chain of batches, then the state shrinks back to its window.
 */
export class CaseArchiver {
  /** Cases started before the archive replay without it (`patched('case-archive')`). */
  enabled = false;
  /** Cases started before the backlog replay without it: the archive gets what the window still holds. */
  private drainsBacklog = false;
  private inFlight: Promise<boolean> | undefined;
  /** The figures the archive last acknowledged, so unchanged figures are not sent again. */
  private acknowledgedFigures: string | undefined;

  /** Keeps unarchived events in the state and drains them in chained batches (asked first thing, `patched('archive-backlog')`). */
  keepBacklog(data: CaseData, patched: boolean): void {
    this.drainsBacklog = patched;
    if (patched) keepUnarchived(data);
  }

  /** Schedules a write of what is new; returns at once. */
  flush(data: CaseData, status: ExecutionStatus = 'RUNNING'): void {
    if (!this.enabled || this.inFlight) return;
    const batch = this.batch(data, status);
    if (!hasNews(batch, this.acknowledgedFigures)) return;
    this.inFlight = this.sendAndDrain(data, batch, status).finally(() => {
      this.inFlight = undefined;
    });
  }

  /**
   * Waits for the write in flight, then writes what is still new (bounded by the retry policy;
   * failures are swallowed). With a backlog, events that came in during those writes (a storm
   * still arriving) are sent too, until none is left or a write fails (the archive is down):
   * otherwise they would pile up past what continue-as-new may carry.
   */
  async settle(data: CaseData, status: ExecutionStatus = 'RUNNING'): Promise<void> {
    if (!this.enabled) return;
    if (this.inFlight) await this.inFlight;
    for (;;) {
      const batch = this.batch(data, status);
      if (!hasNews(batch, this.acknowledgedFigures)) return;
      const written = await this.sendAndDrain(data, batch, status);
      if (!written || !this.drainsBacklog || this.batch(data, status).events.length === 0) return;
    }
  }

  /**
   * Before continue-as-new: what the archive still lacks after settle() (it is down) goes along to
   * the next run, bounded so its input stays small; the oldest past the bound stay in this run's history.
   */
  handOver(data: CaseData): void {
    const dropped = boundUnarchived(data);
    if (dropped > 0) wf.log.warn('case archive behind at continue-as-new: oldest unarchived events left to this run\'s history', { loanId: data.input.loanId, dropped });
  }

  /** Sends a batch and, with a backlog, each next one as long as they come full (one write at a time, in order); false when a write failed. */
  private async sendAndDrain(data: CaseData, first: ArchiveBatch, status: ExecutionStatus): Promise<boolean> {
    let batch = first;
    for (;;) {
      if (!(await this.send(data, batch))) return false;
      if (!this.drainsBacklog || !batchWasFull(batch)) return true;
      batch = this.batch(data, status);
      if (!hasNews(batch, this.acknowledgedFigures)) return true;
    }
  }

  private batch(data: CaseData, status: ExecutionStatus): ArchiveBatch {
    const info = wf.workflowInfo();
    return archiveBatch(data, { workflowId: info.workflowId, runId: info.runId, executionStatus: status, closedAt: status === 'RUNNING' ? undefined : new Date(Date.now()).toISOString() });
  }

  /** Writes one batch; true when the archive acknowledged it. */
  private async send(data: CaseData, batch: ArchiveBatch): Promise<boolean> {
    try {
      await archiveCase(batch);
      acknowledgeBatch(data, batch);
      this.acknowledgedFigures = figuresSnapshot(batch);
      return true;
    } catch (error) {
      wf.log.warn('case archive write failed; the next wake-up resends it', { loanId: data.input.loanId, error: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }
}
