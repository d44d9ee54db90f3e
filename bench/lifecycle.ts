import type { Client } from '@temporalio/client';
import { CaseService } from '../src/client/case-service';
import type { PolicyRegistry } from '../src/policy/load';
import { caseWorkflowId } from '../src/shared/ids';
import { surveyResponseSignal, paymentReceivedSignal, timelineQuery } from '../src/shared/messages';
import type { CaseResult } from '../src/workflows/collection-case';
import type { BenchConfig } from './config';
import { caseInputs, fullPayment } from './fixtures';
import { log } from './log';
import { mapPool, median, nowMs, pollUntil, quantile, withTimeout } from './stats';
import { cpuSeconds, type BenchWorkerProcess } from './worker-handle';
import { twinStageQuery } from './workflows/shape-twin';

export type Shape = 'case' | 'twin' | 'trivial';

export interface ShapeSample {
  rep: number;
  shape: Shape;
  seconds: number;
  completionsPerSec: number;
  /** Worker process CPU (all threads) over the run, per history event of the runs' workflows. */
  cpuMicrosPerEvent: number;
  cpuSeconds: number;
  eventsPerWorkflow: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
}

export interface ShapeFigures {
  completionsPerSec: number;
  cpuMicrosPerEvent: number;
  eventsPerWorkflow: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
}

export interface LifecycleResult {
  samples: ShapeSample[];
  byShape: Record<Shape, ShapeFigures>;
  /** Median over adjacent blocks (all reps) of case completions/s / twin completions/s (goal >= 0.8). */
  caseVsTwinThroughput: number;
  /** Every block's case / twin throughput ratio. */
  blockCaseVsTwin: number[];
  caseVsTwinCpuPerEvent: number;
  twinVsTrivialThroughput: number;
  twinVsTrivialCpuPerEvent: number;
}

/**
 * One lifecycle, driven the same way for the case and its twin: start (the case through
 * CaseService.open, as production opens it: one start call with its memo and search
 * attributes; the twin with a raw start), pay in full
 * (signal), wait until the survey SMS reached the (no-op) gateway and the workflow says it
 * was sent (a query: an answer that overtook the activity result would be refused), answer
 * the survey (signal), wait for the result. The trivial workflow is started and awaited.
 */
async function drive(client: Client, cases: CaseService, shape: Shape, taskQueue: string, label: string, count: number, concurrency: number, sent: (key: string) => Promise<void>): Promise<number[]> {
  const inputs = caseInputs(label, count);
  const latencies: number[] = [];
  await mapPool(inputs, concurrency, async (input) => {
    const t0 = nowMs();
    const workflowId = shape === 'case' ? caseWorkflowId(input.loanId) : `bench-${shape}-${input.loanId}`;
    if (shape === 'trivial') {
      const handle = await client.workflow.start('trivialWorkflow', { taskQueue, workflowId, args: [] });
      await handle.result();
    } else {
      // The case is opened as production opens it (CaseService.open: its memo and search attributes at start).
      if (shape === 'case') await cases.open(input);
      const handle = shape === 'case' ? client.workflow.getHandle(workflowId) : await client.workflow.start('shapeTwin', { taskQueue, workflowId, args: [] });
      await handle.signal(paymentReceivedSignal, fullPayment(input));
      await sent(shape === 'case' ? `${workflowId}/${input.overdueSince}/survey-1` : `${workflowId}/twin/survey-1`);
      const surveySent = shape === 'case' ? async () => (await handle.query(timelineQuery)).some((e) => e.kind === 'survey_sent') : async () => (await handle.query(twinStageQuery)) === 'survey_sent';
      await pollUntil(async () => ((await surveySent()) ? true : undefined), { timeoutMs: 60_000, intervalMs: 10, backoff: 2, maxIntervalMs: 200, what: `${workflowId}: survey sent` });
      await handle.signal(surveyResponseSignal, { score: 5 });
      const result = await handle.result();
      if (shape === 'case' && (result as CaseResult).outcome !== 'paid_in_full') throw new Error(`${workflowId}: expected paid_in_full, got ${(result as CaseResult).outcome}`);
    }
    latencies.push(nowMs() - t0);
  });
  return latencies;
}

async function historyLengths(client: Client, shape: Shape, label: string, count: number, concurrency: number): Promise<number> {
  const inputs = caseInputs(label, count);
  const lengths = await mapPool(inputs, concurrency, async (input) => {
    const workflowId = shape === 'case' ? caseWorkflowId(input.loanId) : `bench-${shape}-${input.loanId}`;
    return (await client.workflow.getHandle(workflowId).describe()).historyLength;
  });
  return lengths.reduce((a, b) => a + b, 0);
}

/**
 * Benchmarks 1 and 2: the case's paid-in-full lifecycle against its shape twin, and the
 * twin against a trivial workflow, on one forked worker (bench policy, no-op providers),
 * N workflows per run, the three shapes in rotating order within each rep.
 */
export async function benchLifecycle(client: Client, policies: PolicyRegistry, worker: BenchWorkerProcess, taskQueue: string, config: BenchConfig): Promise<LifecycleResult> {
  const cases = new CaseService(client, taskQueue, policies);
  const seen = new Set<string>();
  const waiting = new Map<string, () => void>();
  const stopListening = worker.onSent((key) => {
    seen.add(key);
    waiting.get(key)?.();
    waiting.delete(key);
  });
  const sent = (key: string) => (seen.has(key) ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(key, resolve)));

  const runOnce = async (shape: Shape, label: string, count: number): Promise<Omit<ShapeSample, 'rep'>> => {
    const cpu0 = await worker.cpu();
    const start = nowMs();
    const latencies = await withTimeout(drive(client, cases, shape, taskQueue, label, count, config.concurrency, sent), 180_000, `lifecycle ${shape} ${label}`);
    const seconds = (nowMs() - start) / 1000;
    const cpu = cpuSeconds(cpu0, await worker.cpu());
    const events = await historyLengths(client, shape, label, count, config.concurrency);
    return {
      shape,
      seconds,
      completionsPerSec: count / seconds,
      cpuSeconds: cpu,
      cpuMicrosPerEvent: (cpu * 1e6) / events,
      eventsPerWorkflow: events / count,
      latencyP50Ms: quantile(latencies, 0.5),
      latencyP95Ms: quantile(latencies, 0.95),
    };
  };

  try {
    // Warm-up: the worker's first activations load the bundle into its V8 context and JIT the paths.
    for (const shape of ['case', 'twin', 'trivial'] as const) await runOnce(shape, `lc-warm-${shape}`, Math.min(16, config.n));

    const samples: ShapeSample[] = [];
    const orders: Shape[][] = [
      ['case', 'twin', 'trivial'],
      ['trivial', 'twin', 'case'],
      ['twin', 'case', 'trivial'],
    ];
    // The machine is shared: within a rep the shapes alternate in blocks of about three
    // pools' worth, so a burst of someone else's load falls on every shape rather than on one.
    const blocks = Math.max(1, Math.ceil(config.n / (3 * config.concurrency)));
    const blockCaseVsTwin: number[] = [];
    for (let rep = 1; rep <= config.repeats; rep++) {
      const parts = new Map<Shape, Omit<ShapeSample, 'rep'>[]>();
      for (let b = 0; b < blocks; b++) {
        const size = Math.floor((config.n * (b + 1)) / blocks) - Math.floor((config.n * b) / blocks);
        for (const shape of orders[(rep - 1 + b) % orders.length]!) {
          parts.set(shape, [...(parts.get(shape) ?? []), await runOnce(shape, `lc${rep}-${shape}-${b}`, size)]);
        }
      }
      const caseRuns = parts.get('case') ?? [];
      const twinRuns = parts.get('twin') ?? [];
      caseRuns.forEach((c, b) => blockCaseVsTwin.push(c.completionsPerSec / twinRuns[b]!.completionsPerSec));
      for (const [shape, runs] of parts) {
        const sum = (f: (r: Omit<ShapeSample, 'rep'>) => number) => runs.reduce((total, r) => total + f(r), 0);
        const seconds = sum((r) => r.seconds);
        const cpu = sum((r) => r.cpuSeconds);
        const events = sum((r) => (r.eventsPerWorkflow * r.completionsPerSec * r.seconds));
        const sample: ShapeSample = {
          rep,
          shape,
          seconds,
          completionsPerSec: config.n / seconds,
          cpuSeconds: cpu,
          cpuMicrosPerEvent: (cpu * 1e6) / events,
          eventsPerWorkflow: events / config.n,
          latencyP50Ms: median(runs.map((r) => r.latencyP50Ms)),
          latencyP95Ms: median(runs.map((r) => r.latencyP95Ms)),
        };
        samples.push(sample);
        log(
          `lifecycle rep ${rep} ${shape}: ${sample.completionsPerSec.toFixed(1)}/s, ${sample.cpuMicrosPerEvent.toFixed(0)} µs CPU/event, ` +
            `${sample.eventsPerWorkflow.toFixed(1)} events/workflow, p50 ${sample.latencyP50Ms.toFixed(0)} ms (${blocks} blocks)`,
        );
      }
    }

    const of = (shape: Shape) => samples.filter((s) => s.shape === shape);
    const figures = (shape: Shape): ShapeFigures => ({
      completionsPerSec: median(of(shape).map((s) => s.completionsPerSec)),
      cpuMicrosPerEvent: median(of(shape).map((s) => s.cpuMicrosPerEvent)),
      eventsPerWorkflow: median(of(shape).map((s) => s.eventsPerWorkflow)),
      latencyP50Ms: median(of(shape).map((s) => s.latencyP50Ms)),
      latencyP95Ms: median(of(shape).map((s) => s.latencyP95Ms)),
    });
    const paired = (a: Shape, b: Shape, f: (x: ShapeSample, y: ShapeSample) => number) =>
      median(Array.from({ length: config.repeats }, (_, i) => f(of(a)[i]!, of(b)[i]!)));
    return {
      samples,
      byShape: { case: figures('case'), twin: figures('twin'), trivial: figures('trivial') },
      // Blocks run back to back see the same load; their median shrugs off a burst that hit one block.
      caseVsTwinThroughput: median(blockCaseVsTwin),
      blockCaseVsTwin,
      caseVsTwinCpuPerEvent: paired('case', 'twin', (x, y) => x.cpuMicrosPerEvent / y.cpuMicrosPerEvent),
      twinVsTrivialThroughput: paired('twin', 'trivial', (x, y) => x.completionsPerSec / y.completionsPerSec),
      twinVsTrivialCpuPerEvent: paired('twin', 'trivial', (x, y) => x.cpuMicrosPerEvent / y.cpuMicrosPerEvent),
    };
  } finally {
    stopListening();
  }
}

