import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter, Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { ArchiveWriter } from '../../src/activities/archive';
import { createHttpProviderGateway } from '../../src/activities/http-provider-gateway';
import { CaseService } from '../../src/client/case-service';
import { loadPolicies } from '../../src/policy/load';
import { startSandbox, type Sandbox } from '../../src/sandbox/server';
import { statusQuery, timelineQuery } from '../../src/shared/messages';
import type { CaseInput, CaseStatus, TimelineEvent } from '../../src/shared/schemas';
import { createLogger } from '../../src/logger';
import { createCollectionWorker } from '../../src/worker';
import { sampleCaseInput } from '../../scripts/sample-case';
import { createTimeSkippingEnv, registerSearchAttributes } from '../setup/time-skipping';
import { eventually } from './eventually';
import { testDataConverter } from './payload-keys';

export { eventually, type EventuallyOptions } from './eventually';

export const FAST_POLICY = path.resolve(__dirname, '../../policies/fast.yaml');
export const DEFAULT_POLICY = path.resolve(__dirname, '../../policies/default.yaml');

/**
 * A real stack for integration tests: the suite's Temporal dev server (global setup),
 * a provider sandbox over real HTTP, and a worker on a task queue of its own.
 */
export interface Harness {
  client: Client;
  /** The suite's data converter (payload encryption), shared by this client and worker. */
  dataConverter: DataConverter;
  cases: CaseService;
  sandbox: Sandbox;
  taskQueue: string;
  worker: Worker;
  /** The environment given in the options (a time-skipping one moves time only when told). */
  env?: TestWorkflowEnvironment;
  /** The server's clock: skipped ahead on a time-skipping server, the wall clock otherwise. */
  now(): Promise<number>;
  /** Lets `duration` of server time pass: skipped on a time-skipping server, waited for otherwise. */
  advance(duration: number | string): Promise<void>;
  /**
   * Stops the worker (as a crash or deploy would) and starts a fresh one on the same task
   * queue; with `dataConverter`, the new worker uses it (a key rotation).
   */
  restartWorker(options?: { dataConverter?: DataConverter }): Promise<void>;
  /**
   * Runs another collections worker (same sandbox, policies, bundle and data converter) on
   * `taskQueue` while `fn` runs: for cases whose messages must wait before any worker polls.
   */
  withWorker<T>(taskQueue: string, fn: () => Promise<T>, options?: Pick<HarnessOptions, 'maxCachedWorkflows' | 'archive'>): Promise<T>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  policyFiles?: string[];
  /** A time-skipping environment to run on instead of the suite's dev server. */
  env?: TestWorkflowEnvironment;
  /** 0 replays every workflow task from history: any non-determinism fails the case. */
  maxCachedWorkflows?: number;
  /** The case archive the worker writes to (test/archive.test.ts); none by default. */
  archive?: ArchiveWriter;
  /** Default: the suite's (testDataConverter()). */
  dataConverter?: DataConverter;
}

/** The SDK logs every worker state change at INFO; tests only want warnings. Call before anything creates the runtime. */
export function quietTemporalRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed in this test process.
  }
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  quietTemporalRuntime();
  const namespace = options.env ? 'default' : inject('temporalNamespace');
  const workflowBundlePath = inject('workflowBundlePath');
  const sandbox = await startSandbox();
  const taskQueue = `test-${randomUUID()}`;
  const policies = loadPolicies(options.policyFiles ?? [FAST_POLICY], { allowTestPolicies: true });
  const gateway = createHttpProviderGateway({ sms: sandbox.url, voice: sandbox.url, letter: sandbox.url, legal: sandbox.url, agency: sandbox.url }, { timeoutMs: 5_000 });
  const logger = createLogger('test', { level: 'silent' });
  // The production codec with the suite's key: every integration test runs encrypted.
  // A time-skipping or own dev-server env must be created with the same converter.
  const dataConverter = options.dataConverter ?? testDataConverter();
  const address = inject('temporalAddress');
  const nativeConnection = options.env ? options.env.nativeConnection : await NativeConnection.connect({ address });
  const connection = options.env ? undefined : await Connection.connect({ address });
  const client = options.env ? options.env.client : new Client({ connection: connection!, namespace, dataConverter });

  const createWorker = (queue: string, workerOptions: Pick<HarnessOptions, 'maxCachedWorkflows' | 'archive'>, workerConverter: DataConverter) =>
    createCollectionWorker({ connection: nativeConnection, namespace, taskQueue: queue, deps: { gateway, policies, logger, archive: workerOptions.archive }, workflowBundlePath, maxCachedWorkflows: workerOptions.maxCachedWorkflows, dataConverter: workerConverter });
  const launch = async (workerConverter: DataConverter = dataConverter) => {
    const worker = await createWorker(taskQueue, options, workerConverter);
    const running = worker.run();
    return { worker, running };
  };
  let current = await launch();

  const harness: Harness = {
    client,
    dataConverter,
    // On a time-skipping server, "today" for the plausible-date check is the server's clock.
    cases: new CaseService(client, taskQueue, policies, options.env ? () => options.env!.currentTimeMs() : Date.now),
    sandbox,
    taskQueue,
    worker: current.worker,
    env: options.env,
    now: () => (options.env?.supportsTimeSkipping ? options.env.currentTimeMs() : Promise.resolve(Date.now())),
    advance: (duration) => (options.env ? options.env.sleep(duration) : new Promise((resolve) => setTimeout(resolve, msToNumber(duration as Duration)))),
    async restartWorker(restart = {}) {
      current.worker.shutdown();
      await current.running;
      current = await launch(restart.dataConverter);
      harness.worker = current.worker;
    },
    async withWorker(queue, fn, workerOptions = {}) {
      const worker = await createWorker(queue, workerOptions, dataConverter);
      return worker.runUntil(fn);
    },
    async stop() {
      current.worker.shutdown();
      await current.running;
      if (!options.env) await nativeConnection.close();
      await connection?.close();
      await sandbox.close();
    },
  };
  return harness;
}

let counter = 0;

/** A valid case input with a unique loan id; override any field. */
export function caseInput(overrides: Partial<Omit<CaseInput, 'debtor'>> & { debtor?: Partial<CaseInput['debtor']> } = {}): CaseInput {
  counter += 1;
  const { debtor, ...rest } = overrides;
  const sample = sampleCaseInput(`T${Date.now().toString(36)}${counter}${Math.floor(Math.random() * 1e6).toString(36)}`, 'D-1');
  return { ...sample, ...rest, debtor: { ...sample.debtor, ...debtor } };
}

/**
 * caseInput() overdue since 27 days before the server's clock (the fixed date of caseInput()
 * as of this writing): a time-skipping server's clock can be years ahead of the wall clock
 * (awaiting a result lets it skip freely), and days past due feed the score and the segment.
 */
export async function caseInputNow(harness: Harness, overrides: Parameters<typeof caseInput>[0] = {}): Promise<CaseInput> {
  const overdueSince = new Date((await harness.now()) - 27 * 86_400_000).toISOString().slice(0, 10);
  return caseInput({ overdueSince, ...overrides });
}

/**
 * A harness on a time-skipping server of its own (search attributes registered), for workflow
 * behaviour tests: the fast policy's seconds pass only when the test skips them. stop() also
 * tears the server down.
 */
export async function startTimeSkippingHarness(options: Omit<HarnessOptions, 'env'> = {}): Promise<Harness> {
  quietTemporalRuntime();
  const env = await createTimeSkippingEnv();
  try {
    await registerSearchAttributes(env);
    const harness = await startHarness({ ...options, env });
    const stopHarness = harness.stop.bind(harness);
    harness.stop = async () => {
      await stopHarness();
      await env.teardown();
    };
    return harness;
  } catch (error) {
    await env.teardown();
    throw error;
  }
}

/**
 * Polls the case's status until `predicate` holds. On a time-skipping server each round skips
 * half a second of server time (half a day on the fast policy); on a dev server real timers drive it.
 */
export async function waitForStatus(harness: Harness, loanId: string, predicate: (s: CaseStatus) => boolean, timeoutMs = 90_000): Promise<CaseStatus> {
  return eventually(() => harness.client.workflow.getHandle(`collection-${loanId}`).query(statusQuery), predicate, { timeoutMs, env: harness.env, what: `a status of case ${loanId}` });
}

/** The sandbox deliveries of one case, recognised by the idempotency key prefix `collection-<loanId>/`. */
export function deliveriesFor(sandbox: Sandbox, loanId: string) {
  return sandbox.ledger().deliveries.filter((d) => d.idempotencyKey.startsWith(`collection-${loanId}/`));
}

/** Polls the case's timeline until `predicate` holds (skipping server time like waitForStatus). */
export async function waitForTimeline(harness: Harness, loanId: string, predicate: (timeline: TimelineEvent[]) => boolean, timeoutMs = 30_000): Promise<TimelineEvent[]> {
  return eventually(() => harness.client.workflow.getHandle(`collection-${loanId}`).query(timelineQuery), predicate, {
    timeoutMs,
    env: harness.env,
    what: `the timeline of case ${loanId}`,
  });
}
