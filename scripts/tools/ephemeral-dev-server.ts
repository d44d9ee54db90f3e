/**
 * A throwaway Temporal dev server on free ports, in memory, with the case search
 * attributes registered: what the test suite and the benchmarks run against (never the
 * developer's own server on 7233).
 */
import type { DataConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';

import { SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';

/** The SDK's core gives a starting server only 5 s to answer; on a loaded 2-core machine, try again. */
export async function startEphemeralDevServer(
  cliPath: string,
  log: (message: string) => void,
  namespace = 'default',
  extraArgs: string[] = [],
  /** The data converter of `env.client` (src/data-converter.ts), so it reads encrypted cases. */
  dataConverter?: DataConverter,
): Promise<TestWorkflowEnvironment> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: cliPath },
          namespace,
          ip: '127.0.0.1',
          searchAttributes: [...SEARCH_ATTRIBUTES],
          log: { format: 'pretty', level: 'error' },
          extraArgs,
        },
        ...(dataConverter ? { client: { dataConverter } } : {}),
      });
    } catch (error) {
      lastError = error;
      log(`dev server attempt ${attempt} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw lastError;
}

/** A webpack logger for bundleWorkflowCode that passes on only warnings and errors. */
export function quietBundlerLogger(log: (message: string) => void) {
  return {
    log: () => undefined,
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (message: string) => log(`bundler: ${message}`),
    error: (message: string) => log(`bundler: ${message}`),
  };
}
