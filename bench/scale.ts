import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { quietBundlerLogger, startEphemeralDevServer } from '../scripts/tools/ephemeral-dev-server';
import { CaseService } from '../src/client/case-service';
import { createDataConverter } from '../src/data-converter';
import { loadPolicies } from '../src/policy/load';
import { generatePayloadKeysFile, payloadKeysFrom } from '../src/payload-codec';
import { workflowBundlerOptions } from '../src/workflow-bundle';
import { BENCH_WORKFLOWS_ENTRY, DEFAULT_POLICY } from './config';
import { caseInputs } from './fixtures';
import { log } from './log';
import { mapPool, nowMs, sleep } from './stats';
import type { Teardown } from './stack';
import { BenchWorkerProcess } from './worker-handle';

export interface ScaleResult {
  cases: number;
  maxCachedWorkflows: number;
  concurrency: number;
  intakeSeconds: number;
  intakePerSec: number;
  /** From the worker's start until every case had taken its first step (opened, plan taken, first timer set). */
  firstStepSeconds: number;
  firstStepPerSec: number;
  /** Cases past their first step at the first RSS reading: 10,000, or N / 2 in a run of fewer than 20,000. */
  rssMilestoneCases: number;
  workerRssAtMilestoneBytes: number;
  workerRssAtEndBytes: number;
  /** RSS at N / RSS at the milestone (goal: flat, <= 1.2, from 10,000 to 100,000). */
  rssGrowth: number;
  dbBytes: number;
  dbBytesPerCase: number;
}

const CACHE = 1_000;
const CONCURRENCY = 32;
const MILESTONE = 10_000;

async function fileBytes(file: string): Promise<number> {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) total += await fs.stat(`${file}${suffix}`).then((s) => s.size, () => 0);
  return total;
}

/**
 * `npm run bench -- --scale N` (bench/README.md; not part of the default run): N cases on
 * one dev server (SQLite file) and one worker whose cache holds 1,000 workflows.
 *   1. intake: N cases opened with CaseService.open (32 in flight) while no worker runs,
 *      default policy (overdue today: the first ladder step is a day or more away);
 *   2. the worker starts, as after a restart with a backlog: timed until every case has
 *      taken its first step (visibility: CollectionState = 'active'), worker RSS read when
 *      10,000 have (N / 2 in a run of fewer than 20,000) and at the end;
 *   3. the server's database size per case.
 */
export async function runScale(n: number, cliPath: string, workDir: string, teardown: Teardown): Promise<ScaleResult> {
  const dbFile = path.join(workDir, 'scale.db');
  const bundleFile = path.join(workDir, 'scale-bundle.js');
  const payloadKeys = generatePayloadKeysFile('bench-scale-1');
  const [env] = await Promise.all([
    startEphemeralDevServer(cliPath, log, 'default', ['--db-filename', dbFile], createDataConverter(payloadKeysFrom(payloadKeys))),
    bundleWorkflowCode({ workflowsPath: BENCH_WORKFLOWS_ENTRY, logger: quietBundlerLogger(log), ...workflowBundlerOptions }).then(({ code }) => fs.writeFile(bundleFile, code)),
  ]);
  teardown.add('stop the scale dev server', () => env.teardown());
  const taskQueue = `bench-scale-${randomUUID()}`;
  const cases = new CaseService(env.client, taskQueue, loadPolicies([DEFAULT_POLICY]));

  log(`scale: opening ${n} cases (no worker yet)`);
  const inputs = caseInputs('scale', n, { policyId: 'default' });
  const intakeStart = nowMs();
  let opened = 0;
  await mapPool(inputs, CONCURRENCY, async (input) => {
    await cases.open(input);
    if (++opened % 5_000 === 0) log(`scale: ${opened} opened, ${((opened / (nowMs() - intakeStart)) * 1000).toFixed(0)}/s`);
  });
  const intakeSeconds = (nowMs() - intakeStart) / 1000;
  log(`scale: ${n} opened in ${intakeSeconds.toFixed(0)} s`);

  const worker = await BenchWorkerProcess.start({ address: env.address, namespace: env.namespace ?? 'default', taskQueue, workflowBundlePath: bundleFile, policyFile: DEFAULT_POLICY, payloadKeys, maxCachedWorkflows: CACHE });
  teardown.add('stop the scale worker', () => worker.stop());
  const firstStart = nowMs();
  // Both readings past the cache's size, so a flat RSS says the cache bounds the worker's memory.
  const milestone = n >= 2 * MILESTONE ? MILESTONE : Math.floor(n / 2);
  let rssAtMilestone: number | undefined;
  const query = `TaskQueue = '${taskQueue}' AND CollectionState = 'active'`;
  for (;;) {
    const { count } = await env.client.workflow.count(query);
    if (rssAtMilestone === undefined && count >= milestone) {
      rssAtMilestone = (await worker.cpu()).rss;
      log(`scale: ${count} cases past their first step, worker RSS ${(rssAtMilestone / 2 ** 20).toFixed(0)} MiB`);
    }
    if (count >= n) break;
    log(`scale: ${count}/${n} past their first step after ${((nowMs() - firstStart) / 1000).toFixed(0)} s`);
    await sleep(2_000);
  }
  const firstStepSeconds = (nowMs() - firstStart) / 1000;
  const rssAtEnd = (await worker.cpu()).rss;
  await worker.stop();
  const dbBytes = await fileBytes(dbFile);
  return {
    cases: n,
    maxCachedWorkflows: CACHE,
    concurrency: CONCURRENCY,
    intakeSeconds,
    intakePerSec: n / intakeSeconds,
    firstStepSeconds,
    firstStepPerSec: n / firstStepSeconds,
    rssMilestoneCases: milestone,
    workerRssAtMilestoneBytes: rssAtMilestone ?? rssAtEnd,
    workerRssAtEndBytes: rssAtEnd,
    rssGrowth: rssAtEnd / (rssAtMilestone ?? rssAtEnd),
    dbBytes,
    dbBytesPerCase: dbBytes / n,
  };
}
