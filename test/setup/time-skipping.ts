/**
 * A time-skipping Temporal environment for tests that need days or months of workflow time
 * in well under a second: the Java test server (io.temporal:temporal-test-server from Maven
 * Central, installed once per machine by scripts/tools/java-test-server.ts) run through the
 * SDK's `existing-path` executable. One server per call; call `teardown()` when done.
 *
 *   const env = await createTimeSkippingEnv();
 *   ...Worker.create({ connection: env.nativeConnection, ... }) / env.client / env.sleep('30 days')
 *   await env.teardown();
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';

import { ensureJavaTestServer } from '../../scripts/tools/java-test-server';

export interface TimeSkippingEnvOptions {
  /** Appended after the port: the server accepts only `--enable-time-skipping`. */
  extraArgs?: string[];
}

export async function createTimeSkippingEnv(options: TimeSkippingEnvOptions = {}): Promise<TestWorkflowEnvironment> {
  const path = await ensureJavaTestServer();
  // The SDK's core gives the server 5 s to answer gRPC; a JVM on a busy 2-core machine can miss
  // that now and then, so try again before failing the test.
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path }, ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}) },
      });
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
