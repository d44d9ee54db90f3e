import { caseWorkflowId } from '../src/shared/ids';
import { timelineQuery } from '../src/shared/messages';
import type { CaseResult } from '../src/workflows/collection-case';
import type { BenchConfig } from './config';
import { caseInputs, fullPayment } from './fixtures';
import type { IntakeResult } from './intake';
import { log } from './log';
import { mapPool, median, nowMs, pollUntil, quantile, sleep, withTimeout } from './stats';
import type { Stack } from './stack';

/** Median ms per case of each leg, to show where the time goes. */
export interface LifecycleLegs {
  open: number;
  recordPayment: number;
  paidToSurveySms: number;
  smsToSurveyAnswered: number;
  answeredToCompleted: number;
}

export interface LifecycleSample {
  rep: number;
  seconds: number;
  casesPerSec: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  legsMs: LifecycleLegs;
}

export interface LifecycleResult {
  endpoint: string;
  samples: LifecycleSample[];
  casesPerSec: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  legsMs: LifecycleLegs;
  /** Median over reps of (raw start rate of intake rep i / lifecycle rate of rep i). */
  costRatio: number;
}

const SURVEY_KEY_SUFFIX = '/survey-1';

/**
 * Watches the sandbox ledger for satisfaction-survey SMS (idempotency key
 * `<workflowId>/<overdue date>/survey-1`) and wakes whoever waits for that workflow.
 */
function surveyWatcher(stack: Stack) {
  const waiting = new Map<string, () => void>();
  const seen = new Set<string>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const delivery of stack.sandbox.ledger().deliveries) {
        if (!delivery.idempotencyKey.endsWith(SURVEY_KEY_SUFFIX)) continue;
        const workflowId = delivery.idempotencyKey.split('/')[0]!;
        if (seen.has(workflowId)) continue;
        seen.add(workflowId);
        waiting.get(workflowId)?.();
        waiting.delete(workflowId);
      }
      await sleep(20);
    }
  })();
  return {
    surveySent(workflowId: string): Promise<void> {
      if (seen.has(workflowId)) return Promise.resolve();
      return new Promise((resolve) => waiting.set(workflowId, resolve));
    },
    async stop(): Promise<void> {
      stopped = true;
      await loop;
    },
  };
}

/**
 * Benchmark 2: N cases on the fast policy, each opened with CaseService.open, paid in full
 * at once with CaseService.recordPayment, and run to completion: resolved paid_in_full,
 * survey SMS sent, survey answered with `surveyResponse {score: 5}` (sent once the SMS is in
 * the sandbox ledger and the case's timeline shows `survey_sent`, so the signal cannot
 * overtake the activity result and be rejected), workflow completed. Timed from the first
 * open to the last `result()`. Opens and payments go through a pool of `concurrency`; the
 * wait for the survey holds no slot.
 */
export async function benchLifecycle(stack: Stack, config: BenchConfig, intake: IntakeResult): Promise<LifecycleResult> {
  const { client, cases } = stack;

  const runOnce = async (label: string, count: number) => {
    stack.sandbox.reset();
    const watcher = surveyWatcher(stack);
    try {
      const inputs = caseInputs(label, count);
      const started = nowMs();
      const marks: number[][] = [];
      const completions: Promise<void>[] = [];
      await mapPool(inputs, config.concurrency, async (input) => {
        const t0 = nowMs();
        await cases.open(input);
        const t1 = nowMs();
        await cases.recordPayment(input.loanId, fullPayment(input));
        const t2 = nowMs();
        const workflowId = caseWorkflowId(input.loanId);
        const completion = (async () => {
          await watcher.surveySent(workflowId);
          const t3 = nowMs();
          const handle = client.workflow.getHandle(workflowId);
          await pollUntil(async () => ((await handle.query(timelineQuery)).some((e) => e.kind === 'survey_sent') ? true : undefined), {
            timeoutMs: 60_000,
            intervalMs: 25,
            backoff: 2,
            maxIntervalMs: 250,
            what: `${workflowId}: survey_sent in the timeline`,
          });
          await cases.signal(input.loanId, 'surveyResponse', { score: 5 });
          const t4 = nowMs();
          const result = (await handle.result()) as CaseResult;
          if (result.outcome !== 'paid_in_full') throw new Error(`${workflowId}: expected paid_in_full, got ${result.outcome}`);
          marks.push([t0, t1, t2, t3, t4, nowMs()]);
        })();
        completion.catch(() => undefined); // collected below
        completions.push(completion);
      });
      await withTimeout(Promise.all(completions), 120_000, `lifecycle ${label}: ${count} cases to complete`);
      const seconds = (nowMs() - started) / 1000;
      const leg = (from: number, to: number) => median(marks.map((m) => m[to]! - m[from]!));
      const legsMs: LifecycleLegs = { open: leg(0, 1), recordPayment: leg(1, 2), paidToSurveySms: leg(2, 3), smsToSurveyAnswered: leg(3, 4), answeredToCompleted: leg(4, 5) };
      return { seconds, latencies: marks.map((m) => m[5]! - m[0]!), legsMs };
    } finally {
      await watcher.stop();
    }
  };

  // Warm-up: the worker's first activations load the workflow bundle into its V8 context.
  await runOnce('lc-warm', Math.min(16, config.n));

  const samples: LifecycleSample[] = [];
  for (let rep = 1; rep <= config.repeats; rep++) {
    const { seconds, latencies, legsMs } = await runOnce(`lc${rep}`, config.n);
    const sample = { rep, seconds, casesPerSec: config.n / seconds, latencyP50Ms: quantile(latencies, 0.5), latencyP95Ms: quantile(latencies, 0.95), legsMs };
    samples.push(sample);
    log(`lifecycle rep ${rep}: ${config.n} cases in ${seconds.toFixed(2)} s = ${sample.casesPerSec.toFixed(1)}/s (p50 ${sample.latencyP50Ms.toFixed(0)} ms, p95 ${sample.latencyP95Ms.toFixed(0)} ms; median legs ms: ${Object.entries(legsMs).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')})`);
  }

  return {
    endpoint: 'completed (workflow result paid_in_full, survey answered)',
    samples,
    casesPerSec: median(samples.map((s) => s.casesPerSec)),
    latencyP50Ms: median(samples.map((s) => s.latencyP50Ms)),
    latencyP95Ms: median(samples.map((s) => s.latencyP95Ms)),
    legsMs: {
      open: median(samples.map((s) => s.legsMs.open)),
      recordPayment: median(samples.map((s) => s.legsMs.recordPayment)),
      paidToSurveySms: median(samples.map((s) => s.legsMs.paidToSurveySms)),
      smsToSurveyAnswered: median(samples.map((s) => s.legsMs.smsToSurveyAnswered)),
      answeredToCompleted: median(samples.map((s) => s.legsMs.answeredToCompleted)),
    },
    costRatio: median(samples.map((s, i) => intake.samples[i]!.rawStartsPerSec / s.casesPerSec)),
  };
}
