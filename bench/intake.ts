import { randomUUID } from 'node:crypto';
import { CaseService } from '../src/client/case-service';
import { caseWorkflowId, WORKFLOW_TYPE } from '../src/shared/ids';
import type { BenchConfig } from './config';
import { caseInputs } from './fixtures';
import { log } from './log';
import { mapPool, median, timed } from './stats';
import type { Stack } from './stack';

export interface IntakeSample {
  rep: number;
  rawStartsPerSec: number;
  opensPerSec: number;
  duplicateOpensPerSec: number;
}

export interface IntakeResult {
  /** A task queue no worker polls: only the start path is measured, no workflow execution competes for the CPU. */
  taskQueue: string;
  samples: IntakeSample[];
  rawStartsPerSec: number;
  opensPerSec: number;
  duplicateOpensPerSec: number;
  /** Median over reps of (open time / raw start time) for the same N: 1.00 = no overhead. */
  openCostRatio: number;
  duplicateOpenCostRatio: number;
}

/**
 * Benchmark 1: cases opened per second through CaseService.open (validation, memo, typed
 * search attributes, static summary, conflict policy) against raw
 * `client.workflow.start('collectionCase', { taskQueue, workflowId, args })` with the same
 * inputs. Also the duplicate path: `open` on cases already open (start fails with
 * WorkflowExecutionAlreadyStarted, then a describe) answers `created: false`.
 */
export async function benchIntake(stack: Stack, config: BenchConfig): Promise<IntakeResult> {
  const taskQueue = `bench-intake-${randomUUID()}`;
  const cases = new CaseService(stack.client, taskQueue, stack.cases.policies);
  const rawStart = (input: ReturnType<typeof caseInputs>[number]) =>
    stack.client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId: caseWorkflowId(input.loanId), args: [input] });

  const raw = async (label: string, count: number) => {
    const inputs = caseInputs(label, count);
    const { ms } = await timed(() => mapPool(inputs, config.concurrency, rawStart));
    return (count / ms) * 1000;
  };
  const open = async (label: string, count: number) => {
    const inputs = caseInputs(label, count);
    const first = await timed(() => mapPool(inputs, config.concurrency, (input) => cases.open(input)));
    if (!first.result.every((r) => r.created)) throw new Error('intake: CaseService.open reported created: false for a new case');
    const again = await timed(() => mapPool(inputs, config.concurrency, (input) => cases.open(input)));
    if (again.result.some((r) => r.created)) throw new Error('intake: CaseService.open created a duplicate case');
    return { opens: (count / first.ms) * 1000, duplicates: (count / again.ms) * 1000 };
  };

  // Warm the connection, the JIT and the zod schemas before anything is timed.
  const warm = Math.min(32, config.n);
  await raw('in-warm-raw', warm);
  await open('in-warm-open', warm);

  const samples: IntakeSample[] = [];
  for (let rep = 1; rep <= config.repeats; rep++) {
    // Alternate which side goes first, so a drift in server load does not favour one side.
    let rawRate: number;
    let ours: { opens: number; duplicates: number };
    if (rep % 2 === 1) {
      rawRate = await raw(`in${rep}-raw`, config.n);
      ours = await open(`in${rep}-open`, config.n);
    } else {
      ours = await open(`in${rep}-open`, config.n);
      rawRate = await raw(`in${rep}-raw`, config.n);
    }
    samples.push({ rep, rawStartsPerSec: rawRate, opensPerSec: ours.opens, duplicateOpensPerSec: ours.duplicates });
    log(`intake rep ${rep}: raw start ${rawRate.toFixed(0)}/s, CaseService.open ${ours.opens.toFixed(0)}/s, duplicate open ${ours.duplicates.toFixed(0)}/s`);
  }

  return {
    taskQueue,
    samples,
    rawStartsPerSec: median(samples.map((s) => s.rawStartsPerSec)),
    opensPerSec: median(samples.map((s) => s.opensPerSec)),
    duplicateOpensPerSec: median(samples.map((s) => s.duplicateOpensPerSec)),
    openCostRatio: median(samples.map((s) => s.rawStartsPerSec / s.opensPerSec)),
    duplicateOpenCostRatio: median(samples.map((s) => s.rawStartsPerSec / s.duplicateOpensPerSec)),
  };
}
