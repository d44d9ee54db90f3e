import path from 'node:path';

/** migrations/ at the repository root (node-pg-migrate files, applied in name order). */
export const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

/**
 * Brings the archive schema up to date with node-pg-migrate. Idempotent: applied migrations
 * are recorded in `pgmigrations`; processes that start together (worker, API, CLI) wait on
 * its advisory lock instead of racing.
 */
export async function migrateArchive(databaseUrl: string, log: (message: string) => void = () => undefined): Promise<void> {
  // node-pg-migrate is an ES module; this package is CommonJS.
  const { runner } = await import('node-pg-migrate');
  await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    advisoryLockMode: 'wait',
    checkOrder: true,
    log: () => undefined,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
  });
}
