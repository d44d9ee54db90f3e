/**
 * The suite's case archive: DATABASE_URL when set, otherwise an embedded PostgreSQL on a
 * free port with its data in a temp dir, removed at the end. Tests that need a database of
 * their own (e.g. to stop it) start one with scripts/tools/embedded-postgres.ts directly.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startEmbeddedPostgres } from '../../scripts/tools/embedded-postgres';

export async function startArchiveDatabase(log: (message: string) => void): Promise<{ url: string; stop(): Promise<void> }> {
  const external = process.env['DATABASE_URL'];
  if (external) return { url: external, stop: () => Promise.resolve() };
  const t0 = Date.now();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'collections-archive-'));
  try {
    const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), log });
    log(`embedded PostgreSQL (case archive) on port ${pg.port} in ${Date.now() - t0} ms`);
    return {
      url: pg.url,
      stop: async () => {
        await pg.stop();
        await fs.rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
}
