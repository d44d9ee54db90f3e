/**
 * The one polling helper of the test suite: reads until a predicate holds or a deadline passes.
 *
 * Visibility, queries and child processes are eventually consistent, so tests poll. On a
 * time-skipping environment (`{ env }`), each round moves the server's clock forward instead of
 * waiting on the wall clock: queries alone never advance workflow time there, and the next
 * timer fires in milliseconds rather than in the policy's seconds.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';

export interface EventuallyOptions {
  /** Wall-clock budget. Default 30 s. */
  timeoutMs?: number;
  /** Wall-clock pause between reads when not time skipping. Default 250 ms. */
  intervalMs?: number;
  /** Named in the timeout error. */
  what?: string;
  /** A time-skipping environment: skip `advance` of server time between reads. */
  env?: TestWorkflowEnvironment;
  /** Server time skipped per round on a time-skipping env. Default 500 ms (half a day on the fast policy). */
  advance?: number | string;
}

export async function eventually<T>(
  read: () => Promise<T> | T,
  predicate: (value: T) => boolean,
  options: EventuallyOptions | number = {},
  what?: string,
): Promise<T> {
  const opts: EventuallyOptions = typeof options === 'number' ? { timeoutMs: options, what } : options;
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const skipping = opts.env?.supportsTimeSkipping === true;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (predicate(last)) return last;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    if (skipping) await opts.env!.sleep(opts.advance ?? 500);
    else await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 250));
  }
  const lastText = JSON.stringify(last)?.slice(0, 2000);
  throw new Error(`timed out waiting for ${opts.what ?? 'condition'}; last value ${lastText}${lastError ? `; last error ${String(lastError)}` : ''}`);
}
