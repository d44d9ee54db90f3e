/** What a fault scenario is and the steps most of them share: open cases, inject faults, settle, judge. */
import type { CaseInput } from '../../src/shared/schemas';
import { type Answer, caseInput, deliver, fullPayment, openCase, type Payment } from './http';
import { judge, type Verdict, waitForCasesToClose } from './judge';
import type { Log, ScenarioStack, Stack } from './stack';

export interface ScenarioContext {
  stack: Stack;
  log: Log;
  /** 1 for the full matrix (`npm run chaos`); smaller in the CI subset. */
  scale: number;
}

export interface ScenarioResult {
  cases: number;
  /** Faults injected (kills, dropped responses, refusals...). */
  faults: number;
  /** What the faults were, in a few words, for the report. */
  faultsDescription: string;
  lost: number;
  duplicated: number;
  failed: number;
  /** Everything else that must hold and did not (wrong status codes, half-applied requests...). */
  problems: string[];
  /** Figures worth reporting (latencies, restarts, runs). */
  notes: string[];
  /** A closed case whose history is worth keeping for the replay test. */
  historyWorkflowId?: string;
}

export interface Scenario {
  id: string;
  title: string;
  /** Why the scenario cannot run on this code base yet (a dependency not merged); it is reported as pending. */
  pending?: string;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

export const scaled = (ctx: ScenarioContext, n: number, min = 1) => Math.max(min, Math.round(n * ctx.scale));

/** Answers that must never come back: a 5xx other than the documented 503, or no answer at all. */
export function unexpectedAnswer(answer: Answer): boolean {
  return answer.status === 0 || (answer.status >= 500 && !(answer.status === 503 && answer.code === 'temporal_unavailable'));
}

/** Opens the cases through the API; every one must be answered 201. */
export async function openCases(s: ScenarioStack, inputs: CaseInput[], problems: string[]): Promise<void> {
  const answers = await Promise.all(inputs.map((input) => openCase(s.api.url, input)));
  answers.forEach((a, i) => {
    if (a.status !== 201) problems.push(`opening ${inputs[i]!.loanId} answered ${a.status} ${a.code ?? ''}`);
  });
}

/** Pays each case in full through the signed webhook (retrying a 503 as a sender does), so it closes; a closed case answers 404. */
export async function payInFull(s: ScenarioStack, inputs: CaseInput[], accepted: Payment[], problems: string[]): Promise<void> {
  await Promise.all(
    inputs.map(async (input) => {
      const payment = fullPayment(input, `FULL-${input.loanId}`);
      const answer = await deliver(s.api.url, payment);
      if (answer.status === 202) accepted.push(payment);
      else if (answer.status !== 404) problems.push(`full payment of ${input.loanId} answered ${answer.status} ${answer.code ?? ''}`);
    }),
  );
}

export interface CaseRun {
  count: number;
  workers?: number;
  maxCachedWorkflows?: number;
  /** Injects the faults while the cases run; returns how many it injected and anything that went wrong. */
  faults(s: ScenarioStack & { afterSettle(check: () => Promise<void>): void }, inputs: CaseInput[], problems: string[], notes: string[]): Promise<number>;
  faultsDescription: string;
}

/**
 * The common shape: open `count` cases, inject faults while they escalate, clear the
 * sandbox's faults, pay every case still open in full, wait for all to close, judge.
 */
export async function runCases(ctx: ScenarioContext, id: string, run: CaseRun): Promise<ScenarioResult> {
  const s = await ctx.stack.scenario({ workers: run.workers ?? 1, maxCachedWorkflows: run.maxCachedWorkflows });
  const problems: string[] = [];
  const notes: string[] = [];
  const accepted: Payment[] = [];
  try {
    const inputs = Array.from({ length: run.count }, () => caseInput(id));
    await openCases(s, inputs, problems);
    const afterSettle: (() => Promise<void>)[] = [];
    const faults = await run.faults({ ...s, afterSettle: (check) => void afterSettle.push(check) }, inputs, problems, notes);
    ctx.stack.sandbox.setFaults({ latencyMs: 0, errorRate: 0, failFirstAttempts: 0, rateLimitRate: 0, slowRate: 0, dropResponseRate: 0, dropFirstResponses: 0 });
    await s.workers.ready();
    await payInFull(s, inputs, accepted, problems);
    const running = await waitForCasesToClose(ctx.stack.client, s.taskQueue, inputs.length, 180_000);
    if (running > 0) notes.push(`${running} case(s) still running at judgement`);
    if (s.workers.unexpectedExits > 0) notes.push(`${s.workers.unexpectedExits} worker exit(s) nobody asked for (restarted)`);
    for (const check of afterSettle) await check();
    const verdict = await judge({ client: ctx.stack.client, taskQueue: s.taskQueue, inputs, ledger: ctx.stack.sandbox.ledger(), accepted });
    notes.push(`${verdict.deliveries} deliveries, ${verdict.closed} closed, ${verdict.running} running`);
    return fromVerdict(verdict, faults, run.faultsDescription, problems, notes, `collection-${inputs[0]!.loanId}`);
  } finally {
    await s.close();
  }
}

export function fromVerdict(v: Verdict, faults: number, faultsDescription: string, problems: string[], notes: string[], historyWorkflowId?: string): ScenarioResult {
  return {
    cases: v.cases,
    faults,
    faultsDescription,
    lost: v.lost,
    duplicated: v.duplicated,
    failed: v.failed,
    problems: [...problems, ...v.problems, ...(v.unexplained > 0 ? [`${v.unexplained} case(s) without an explained outcome`] : [])],
    notes,
    historyWorkflowId,
  };
}

/** A random delay in [min, max) ms: kill instants are random, the run is not a fixed rhythm. */
export const randomDelay = (min: number, max: number) => new Promise((resolve) => setTimeout(resolve, min + Math.random() * (max - min)));
