import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { cachedTemporalCliPath, ensureTemporalCli, TEMPORAL_CLI_VERSION, temporalCliVersion } from '../scripts/tools/temporal-cli';
import { quietBundlerLogger, startEphemeralDevServer } from '../scripts/tools/ephemeral-dev-server';
import { findOnPath, isExecutableFile } from '../scripts/tools/tool-cache';
import { CaseService } from '../src/client/case-service';
import { createDataConverter } from '../src/data-converter';
import { loadPolicies, type PolicyRegistry } from '../src/policy/load';
import { generatePayloadKeysFile, payloadKeysFrom, type PayloadKeysFile } from '../src/payload-codec';
import { workflowBundlerOptions } from '../src/workflow-bundle';
import { BASELINES_ENTRY, BENCH_WORKFLOWS_ENTRY, DEFAULT_POLICY, FAST_POLICY } from './config';
import { log } from './log';
import type { MemoryBundles } from './memory';
import { writeBenchPolicy } from './policy';
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
        `The Temporal CLI ${TEMPORAL_CLI_VERSION} must be built before benchmarking (no \`temporal\` on PATH, no TEMPORAL_CLI_PATH,`,
        `nothing at ${cachedTemporalCliPath()}).`,
        'Build it once (a few minutes, needs Go 1.25+):  npx tsx scripts/tools/temporal-cli.ts',
        'or point TEMPORAL_CLI_PATH at an existing Temporal CLI; then run `npm run bench` again.',
      ].join('\n'),
    );
  }
  // Same resolution as the test global setup; a bad TEMPORAL_CLI_PATH fails here with its own message.
  return ensureTemporalCli((message) => log(`tools: ${message}`));
}



/** Writes the keys where only this user can read them. */
export async function writePayloadKeysFile(dir: string, keys: PayloadKeysFile): Promise<string> {
  const file = path.join(dir, 'payload-keys.json');
  await fs.writeFile(file, JSON.stringify(keys), { mode: 0o600 });
  return file;
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

export interface Stack {
  env: TestWorkflowEnvironment;
  /** host:port of the dev server. */
  address: string;
  namespace: string;
  client: Client;
  cliPath: string;
  /** The bench bundle (collectionCase and the bench-only baselines) and the baselines alone. */
  bundles: MemoryBundles;
  /** A random key made for this run: the bench measures with payload encryption on, as production runs. */
  payloadKeys: PayloadKeysFile;
  /** The same keys as a PAYLOAD_KEYS_FILE, for the child processes that read the environment (CLI, API). */
  payloadKeysFile: string;
  /** The policies clients validate cases against (default, and the test-only fast one). */
  policies: PolicyRegistry;
  /** Client-side case service on a task queue no worker polls (its policies serve the other benchmarks). */
  cases: CaseService;
  /** policies/fast.yaml at one minute per day (bench/policy.ts). */
  benchPolicyFile: string;
  workDir: string;
  timings: { devServerMs: number; bundleMs: number };
}

/**
 * Dev server (CLI resolved like the test global setup, ephemeral port on 127.0.0.1, case
 * search attributes) and the bench's workflow bundles, built while the server starts.
 * Workers are forked per benchmark (bench/worker-handle.ts). Every piece registers its cleanup.
 */
export async function startStack(teardown: Teardown, cliPath: string): Promise<Stack> {
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'collections-bench-'));
  teardown.add('remove the bench work directory', () => fs.rm(workDir, { recursive: true, force: true }));
  const bundleStart = Date.now();
  const bundle = async (file: string, entry: string) => {
    const { code } = await bundleWorkflowCode({ workflowsPath: entry, logger: quietBundlerLogger(log), ...workflowBundlerOptions });
    await fs.writeFile(path.join(workDir, file), code);
    return path.join(workDir, file);
  };
  const bundled = (async () => {
    const bench = await bundle('bench-bundle.js', BENCH_WORKFLOWS_ENTRY);
    const baselines = await bundle('baselines-bundle.js', BASELINES_ENTRY);
    return { bundles: { bench, baselines }, ms: Date.now() - bundleStart };
  })();
  bundled.catch(() => undefined); // awaited below; keeps an early server failure from leaving it unhandled

  const payloadKeys = generatePayloadKeysFile('bench-1');
  const payloadKeysFile = await writePayloadKeysFile(workDir, payloadKeys);
  const serverStart = Date.now();
  const env = await startEphemeralDevServer(cliPath, log, NAMESPACE, [], createDataConverter(payloadKeysFrom(payloadKeys)));
  teardown.add('stop the Temporal dev server', () => env.teardown());
  const devServerMs = Date.now() - serverStart;
  log(`Temporal dev server at ${env.address} in ${devServerMs} ms`);
  const { bundles, ms: bundleMs } = await bundled;
  const policies = loadPolicies([DEFAULT_POLICY, FAST_POLICY], { allowTestPolicies: true });
  log(`workflow bundles in ${bundleMs} ms`);

  return {
    env,
    address: env.address,
    namespace: env.namespace ?? NAMESPACE,
    client: env.client,
    cliPath,
    bundles,
    payloadKeys,
    payloadKeysFile,
    policies,
    cases: new CaseService(env.client, 'bench-unpolled', policies),
    benchPolicyFile: await writeBenchPolicy(workDir),
    workDir,
    timings: { devServerMs, bundleMs },
  };
}
