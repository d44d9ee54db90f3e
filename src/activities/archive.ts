import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { CaseArchive } from '../archive/case-archive';
import { ArchiveBatch, type ArchiveBatch as ArchiveBatchType } from '../shared/archive';
import { describeZodError } from '../shared/schemas';

/** The store the archive activity writes to (src/archive/case-archive.ts). */
export type ArchiveWriter = Pick<CaseArchive, 'write'>;

export interface ArchiveActivityDeps {
  /** Absent on a worker without DATABASE_URL: writes are acknowledged and dropped (`archive rebuild` fills the gap later). */
  archive?: ArchiveWriter;
  logger: Logger;
}

export function createArchiveActivities({ archive, logger }: ArchiveActivityDeps) {
  return {
    /**
     * Writes a case's new timeline events and current figures. Idempotent: events are keyed
     * by (case, sequence number) and the case row only moves forward (its version), so a
     * retry or a resend adds nothing. A database error is retried by Temporal.
     */
    async archiveCase(batch: ArchiveBatchType): Promise<{ stored: boolean }> {
      const parsed = ArchiveBatch.safeParse(batch);
      if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid archive batch: ${describeZodError(parsed.error)}`, 'InvalidArchiveBatch');
      if (!archive) return { stored: false };
      await archive.write(parsed.data);
      logger.debug({ caseKey: batch.case.caseKey, firstSeq: batch.firstSeq, events: batch.events.length, version: batch.case.version }, 'case archived');
      return { stored: true };
    },
  };
}

export type ArchiveActivities = ReturnType<typeof createArchiveActivities>;
