/**
 * The case archive's database for `npm start`: DATABASE_URL when set, otherwise an embedded
 * PostgreSQL with its data in .data/postgres (cases' records survive a restart), on
 * ARCHIVE_DB_PORT (default 54329, so it never takes a system PostgreSQL's 5432; a free
 * port when that one is busy).
 */
import path from 'node:path';
import { REPO_ROOT } from './dev-server';
import { freePort, startEmbeddedPostgres } from './tools/embedded-postgres';
import { tcpPortOpen } from './tools/tool-cache';

export const ARCHIVE_DATA_DIR = path.join(REPO_ROOT, '.data', 'postgres');
const DEFAULT_PORT = 54329;

export async function startArchiveDatabase(say: (message: string) => void): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  if (process.env['DATABASE_URL']) {
    say('DATABASE_URL is set: the case archive uses that database');
    return undefined;
  }
  const wanted = process.env['ARCHIVE_DB_PORT'] ? Number(process.env['ARCHIVE_DB_PORT']) : DEFAULT_PORT;
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > 65_535) throw new Error(`ARCHIVE_DB_PORT must be a TCP port number, got "${process.env['ARCHIVE_DB_PORT']}"`);
  const port = (await tcpPortOpen(wanted)) ? await freePort() : wanted;
  if (port !== wanted) say(`port ${wanted} is busy: the archive database listens on ${port} instead`);
  say(`starting the case archive (embedded PostgreSQL on 127.0.0.1:${port}, data in ${path.relative(REPO_ROOT, ARCHIVE_DATA_DIR)})`);
  const pg = await startEmbeddedPostgres({ dataDir: ARCHIVE_DATA_DIR, port, log: say });
  return { url: pg.url, stop: () => pg.stop() };
}
