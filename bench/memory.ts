import { randomUUID } from 'node:crypto';
import { caseWorkflowId, WORKFLOW_TYPE } from '../src/shared/ids';
import { statusQuery } from '../src/shared/messages';
import { DEFAULT_POLICY, type BenchConfig } from './config';
import type { CaseInput } from '../src/shared/schemas';
import { caseInputs } from './fixtures';
import { log } from './log';
import { mapPool, median, pollUntil, sleep, withTimeout } from './stats';
import type { Stack, Teardown } from './stack';
import { BenchWorkerProcess } from './worker-handle';
import type { MemorySnapshot } from './worker-protocol';
import { twinStageQuery } from './workflows/shape-twin';

const WARM_UP = 8;
/** Workflows of the measured kind opened (and left open) before the idle reading. */
const WARM_UP_SUBJECTS = 5;

/**
 * What a forked worker holds, N of them open:
 *   case                   cases, shipped bundle, workflows on the main thread (live heap is measurable)
 *   twin                   shape twins, a bundle of the baselines only, main thread
 *   twin-in-case-bundle    shape twins in the shipped bundle: every module of the case evaluated, none of its state
 *   case-threaded          cases, shipped bundle, the SDK's default workflow thread (as production runs)
 */
export type MemorySubject = 'case' | 'twin' | 'twin-in-case-bundle' | 'case-threaded';
const SUBJECTS: MemorySubject[] = ['case', 'twin', 'twin-in-case-bundle', 'case-threaded'];

export interface MemorySample {
  rep: number;
  subject: MemorySubject;
  /** After the trivial warm-up only. */
  cold: MemorySnapshot;
  /** After the warm-up workflows of the subject's own kind too (the baseline of the per-workflow figures). */
  idle: MemorySnapshot;
  loaded: MemorySnapshot;
  rssPerWorkflowBytes: number;
  heapPerWorkflowBytes: number;
  /** Live heap the first workflows of this kind cost the worker once (cold -> idle, less the warm-up workflows' own share): code compiled on first use, what shared modules build once. */
  heapOnceBytes: number;
}

export interface MemoryResult {
  workflows: number;
  samples: MemorySample[];
  /** Median RSS growth per open, cached workflow. */
  rssPerWorkflowBytes: Record<MemorySubject, number>;
  /** Median live-heap growth per open, cached workflow after forced GCs (not meaningful for case-threaded: the GC cannot reach the workflow thread). */
  heapPerWorkflowBytes: Record<MemorySubject, number>;
  /** Median live heap the first workflows of each kind cost a worker once (see MemorySample.heapOnceBytes). */
  heapOnceBytes: Record<MemorySubject, number>;
  idleRssBytes: Record<MemorySubject, number>;
  loadedRssBytes: Record<MemorySubject, number>;
  /** Median over reps of case / twin live-heap bytes per cached workflow (goal <= 2). */
  caseVsTwin: number;
  /** Median over reps of twin-in-case-bundle / twin: what evaluating the case's modules costs a workflow. */
  modulesVsTwin: number;
  gcForced: boolean;
}

export interface MemoryBundles {
  /** The bench bundle: collectionCase and the baselines. */
  bench: string;
  /** bench/workflows/baselines.ts alone (twin and trivial, no case code). */
  baselines: string;
}

/**
 * Benchmark 3: memory of a forked worker (`--expose-gc`, default policy) holding N open
 * workflows waiting on a day-long timer, against the same worker idle after a warm-up: a few
 * trivial workflows (the bundle is loaded into the V8 context), then WARM_UP_SUBJECTS open
 * workflows of the measured kind, so what a worker pays once for that kind (code compiled on
 * first use, schemas a shared module builds once) is in both readings and the figure is what
 * one more cached workflow costs. Fresh process and task queue per subject and rep. Per
 * workflow = (loaded - idle) / N, after forced GCs. The SDK runs workflows in a worker thread
 * whose isolate a forced GC in the main thread does not reach, so its RSS includes whatever
 * garbage that isolate has not collected yet; the main-thread subjects (debugMode) give the
 * live heap a workflow holds.
 */
export async function benchMemory(stack: Stack, config: BenchConfig, teardown: Teardown): Promise<MemoryResult> {
  const { client, address, namespace, bundles } = stack;
  const samples: MemorySample[] = [];
  // One rep: a heap reading after forced GCs varies by a few KiB between reps (it is not a rate), and each subject costs a fresh worker.
  for (let rep = 1; rep <= 1; rep++) {
    // The headline pair (case, twin) every rep; the explanatory subjects once, to keep the run short.
    const subjects = rep === 1 ? SUBJECTS : (['case', 'twin'] as MemorySubject[]);
    for (const subject of rep % 2 === 1 ? subjects : [...subjects].reverse()) {
      const taskQueue = `bench-memory-${randomUUID()}`;
      const proc = await BenchWorkerProcess.start({
        address,
        namespace,
        taskQueue,
        workflowBundlePath: subject === 'twin' ? bundles.baselines : bundles.bench,
        policyFile: DEFAULT_POLICY,
        payloadKeys: stack.payloadKeys,
        debugMode: subject !== 'case-threaded',
      });
      teardown.add(`stop memory worker ${subject} ${rep}`, () => proc.stop());
      try {
        await mapPool(
          Array.from({ length: WARM_UP }, (_, i) => i),
          config.concurrency,
          async (i) => {
            const handle = await client.workflow.start('trivialWorkflow', { taskQueue, workflowId: `bench-mem-warm-${randomUUID()}-${i}`, args: [] });
            await withTimeout(handle.result(), 60_000, 'memory warm-up');
          },
        );
        const cold = await proc.measure();
        const open = async (input: CaseInput): Promise<void> => {
          if (subject === 'twin' || subject === 'twin-in-case-bundle') {
            const handle = await client.workflow.start('shapeTwin', { taskQueue, workflowId: `bench-mem-twin-${input.loanId}`, args: [] });
            await pollUntil(async () => ((await handle.query(twinStageQuery)) === 'waiting' ? true : undefined), { timeoutMs: 90_000, intervalMs: 50, backoff: 1.5, maxIntervalMs: 1_000, what: 'twin parked' });
            return;
          }
          const handle = await client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId: caseWorkflowId(input.loanId), args: [input] });
          await pollUntil(
            async () => {
              const status = await handle.query(statusQuery);
              return status.state === 'active' && status.nextActionAt !== undefined && Date.parse(status.nextActionAt) > Date.now() ? true : undefined;
            },
            { timeoutMs: 90_000, intervalMs: 50, backoff: 1.5, maxIntervalMs: 1_000, what: `case ${input.loanId} waiting on its timer` },
          );
        };
        await mapPool(caseInputs(`mem${rep}-${subject}-warm`, WARM_UP_SUBJECTS, { policyId: 'default' }), config.concurrency, open);
        await sleep(300);
        const idle = await proc.measure();
        await mapPool(caseInputs(`mem${rep}-${subject}`, config.memoryN, { policyId: 'default' }), config.concurrency, open);
        await sleep(300); // let the last workflow task completions leave the worker
        const loaded = await proc.measure();
        const heapPerWorkflowBytes = (loaded.heapUsed - idle.heapUsed) / config.memoryN;
        const sample: MemorySample = {
          rep,
          subject,
          cold,
          idle,
          loaded,
          rssPerWorkflowBytes: (loaded.rss - idle.rss) / config.memoryN,
          heapPerWorkflowBytes,
          heapOnceBytes: idle.heapUsed - cold.heapUsed - WARM_UP_SUBJECTS * heapPerWorkflowBytes,
        };
        samples.push(sample);
        const mib = (b: number) => (b / 2 ** 20).toFixed(1);
        log(
          `memory rep ${rep} ${subject}: RSS idle ${mib(idle.rss)} MiB, ${config.memoryN} open ${mib(loaded.rss)} MiB (${(sample.rssPerWorkflowBytes / 1024).toFixed(0)} KiB/workflow); ` +
            `heap ${mib(idle.heapUsed)} -> ${mib(loaded.heapUsed)} MiB (${(sample.heapPerWorkflowBytes / 1024).toFixed(0)} KiB/workflow; ${(sample.heapOnceBytes / 1024).toFixed(0)} KiB once per worker)`,
        );
      } finally {
        await proc.stop();
      }
    }
  }
  const of = (subject: MemorySubject) => samples.filter((s) => s.subject === subject);
  const per = (subject: MemorySubject, f: (s: MemorySample) => number) => median(of(subject).map(f));
  const paired = (a: MemorySubject, b: MemorySubject) => median(of(a).flatMap((s) => of(b).filter((t) => t.rep === s.rep).map((t) => s.heapPerWorkflowBytes / t.heapPerWorkflowBytes)));
  const record = (f: (s: MemorySample) => number) => Object.fromEntries(SUBJECTS.map((subject) => [subject, per(subject, f)])) as Record<MemorySubject, number>;
  return {
    workflows: config.memoryN,
    samples,
    rssPerWorkflowBytes: record((s) => s.rssPerWorkflowBytes),
    heapPerWorkflowBytes: record((s) => s.heapPerWorkflowBytes),
    heapOnceBytes: record((s) => s.heapOnceBytes),
    idleRssBytes: record((s) => s.idle.rss),
    loadedRssBytes: record((s) => s.loaded.rss),
    caseVsTwin: paired('case', 'twin'),
    modulesVsTwin: paired('twin-in-case-bundle', 'twin'),
    gcForced: samples.every((s) => s.idle.gcForced && s.loaded.gcForced),
  };
}
