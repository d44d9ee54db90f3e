import type { Logger } from 'pino';
import { CaseArchive } from './case-archive';

/**
 * The archive named by DATABASE_URL, migrated and connected; undefined (with a warning)
 * when it is unset, so a process without a database still runs (reads fall back to
 * Temporal visibility, writes are dropped until `collections archive rebuild`).
 */
export async function archiveFromEnv(env: { DATABASE_URL?: string }, logger: Pick<Logger, 'info' | 'warn'>): Promise<CaseArchive | undefined> {
  if (!env.DATABASE_URL) {
    logger.warn('DATABASE_URL is not set: the case archive is off (reports and lists read Temporal visibility)');
    return undefined;
  }
  const archive = await CaseArchive.open(env.DATABASE_URL, { log: (message) => logger.warn(message) });
  logger.info('case archive ready (schema migrated)');
  return archive;
}
