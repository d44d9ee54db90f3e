import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CaseService, caseStartOptions } from '../src/client/case-service';
import { caseWorkflowId, WORKFLOW_TYPE } from '../src/shared/ids';
import { REPO_ROOT, type BenchConfig } from './config';
import { caseInputs, overdueToday, RUN_TAG } from './fixtures';
import { log } from './log';
import { mapPool, median, nowMs, timed } from './stats';
import type { Stack } from './stack';

const execFileAsync = promisify(execFile);

export interface IntakeSample {
  rep: number;
  rawStartsPerSec: number;
  indexedStartsPerSec: number;
  opensPerSec: number;
  duplicateOpensPerSec: number;
}

export interface IntakeResult {
  /** A task queue no worker polls: only the start path is measured, no workflow execution competes for the CPU. */
  taskQueue: string;
  samples: IntakeSample[];
  rawStartsPerSec: number;
  /** Raw starts with what CaseService.open sends (memo, search attributes, summary): the server's cost of a case's opening. */
  indexedStartsPerSec: number;
  opensPerSec: number;
  duplicateOpensPerSec: number;
  /** Median over adjacent block pairs (all reps) of open time / raw start time for the same count: 1.00 = no overhead. */
  openCostRatio: number;
  /** Every adjacent block pair's open time / raw start time. */
  blockCostRatios: number[];
  /** Median over blocks of open time / indexed start time: what our code adds to the same start (validation, admission). */
  openVsIndexedCostRatio: number;
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
  const indexedStart = (input: ReturnType<typeof caseInputs>[number]) => stack.client.workflow.start(WORKFLOW_TYPE, caseStartOptions(input, taskQueue, 'REJECT_DUPLICATE'));

  type Input = ReturnType<typeof caseInputs>[number];
  const run = async (inputs: Input[], fn: (input: Input) => Promise<unknown>) => (await timed(() => mapPool(inputs, config.concurrency, fn))).ms;
  const open = (input: Input) =>
    cases.open(input).then((r) => {
      if (!r.created) throw new Error('intake: CaseService.open reported created: false for a new case');
    });
  const reopen = (input: Input) =>
    cases.open(input).then((r) => {
      if (r.created) throw new Error('intake: CaseService.open created a duplicate case');
    });

  const warm = Math.min(32, config.n);
  await run(caseInputs('in-warm-raw', warm), rawStart);
  await run(caseInputs('in-warm-indexed', warm), indexedStart);
  await run(caseInputs('in-warm-open', warm), open);

  // The machine is shared: the three kinds of start take turns in small blocks (in a rotating
  // order), so a burst of someone else's load falls on all of them rather than on one whole measurement.
  const block = 4 * config.concurrency;
  const samples: IntakeSample[] = [];
  const blockCostRatios: number[] = [];
  const indexedBlockRatios: number[] = [];
  for (let rep = 1; rep <= config.repeats; rep++) {
    const inputs = { raw: caseInputs(`in${rep}-raw`, config.n), indexed: caseInputs(`in${rep}-indexed`, config.n), open: caseInputs(`in${rep}-open`, config.n) };
    const starts = { raw: rawStart, indexed: indexedStart, open };
    const totalMs = { raw: 0, indexed: 0, open: 0 };
    for (let from = 0, turn = rep; from < config.n; from += block, turn++) {
      const order = (['raw', 'indexed', 'open'] as const).map((_, i, kinds) => kinds[(i + turn) % kinds.length]!);
      const blockMs = { raw: 0, indexed: 0, open: 0 };
      for (const kind of order) blockMs[kind] = await run(inputs[kind].slice(from, from + block), starts[kind] as (input: Input) => Promise<unknown>);
      for (const kind of order) totalMs[kind] += blockMs[kind];
      blockCostRatios.push(blockMs.open / blockMs.raw);
      indexedBlockRatios.push(blockMs.open / blockMs.indexed);
    }
    const duplicateMs = await run(inputs.open, reopen);
    const perSec = (ms: number) => (config.n / ms) * 1000;
    const sample = { rep, rawStartsPerSec: perSec(totalMs.raw), indexedStartsPerSec: perSec(totalMs.indexed), opensPerSec: perSec(totalMs.open), duplicateOpensPerSec: perSec(duplicateMs) };
    samples.push(sample);
    log(
      `intake rep ${rep}: raw start ${sample.rawStartsPerSec.toFixed(0)}/s, with the case's memo and search attributes ${sample.indexedStartsPerSec.toFixed(0)}/s, ` +
        `CaseService.open ${sample.opensPerSec.toFixed(0)}/s, duplicate open ${sample.duplicateOpensPerSec.toFixed(0)}/s`,
    );
  }

  return {
    taskQueue,
    samples,
    rawStartsPerSec: median(samples.map((s) => s.rawStartsPerSec)),
    indexedStartsPerSec: median(samples.map((s) => s.indexedStartsPerSec)),
    opensPerSec: median(samples.map((s) => s.opensPerSec)),
    duplicateOpensPerSec: median(samples.map((s) => s.duplicateOpensPerSec)),
    // Pairs of adjacent blocks see the same load; their median shrugs off a burst that hit one pair.
    openCostRatio: median(blockCostRatios),
    blockCostRatios,
    openVsIndexedCostRatio: median(indexedBlockRatios),
    duplicateOpenCostRatio: median(samples.map((s) => s.rawStartsPerSec / s.duplicateOpensPerSec)),
  };
}

export interface CsvImportResult {
  rows: number;
  seconds: number;
  rowsPerSec: number;
  opened: number;
  /** raw start rate of the intake benchmark (same run) / CLI rows per second; undefined when intake did not run. */
  costRatio?: number;
  rawStartsPerSec?: number;
}

/** `rows` valid intake rows (spec section 6 columns), loan ids unique to this run. */
function intakeCsv(rows: number): string {
  const header = 'loanId,product,reason,debtorId,debtorType,debtorName,phone,email,addressLine1,city,postalCode,country,timezone,currency,amountDue,overdueSince,guarantorNames,guarantorPhones';
  const overdueSince = overdueToday();
  const lines = Array.from({ length: rows }, (_, i) =>
    [`B${RUN_TAG}-csv-${i}`, 'personal_loan', 'overdue', `D-${i}`, 'individual', 'Wang Fang', '+8613800138000', '', '1 Debtor Street', 'Shanghai', '200001', 'CN', 'Asia/Shanghai', 'CNY', '80000.00', overdueSince, '', ''].join(','),
  );
  return `${[header, ...lines].join('\n')}\n`;
}

/**
 * Benchmark 6b: a CSV (10,000 rows by default) through the real CLI (`bin/collections.js import --json`,
 * a child process: start-up, parsing, validation, CaseService.open per row, summary), on a
 * task queue no worker polls. Baseline: the raw start rate the intake benchmark measured in
 * the same run.
 */
export async function benchCsvImport(stack: Stack, config: BenchConfig, intake: IntakeResult | undefined): Promise<CsvImportResult> {
  const file = path.join(stack.workDir, 'intake.csv');
  const rows = config.csvRows;
  await fs.writeFile(file, intakeCsv(rows));
  const start = nowMs();
  const { stdout } = await execFileAsync(process.execPath, [path.join(REPO_ROOT, 'bin/collections.js'), '--json', 'import', file, '--concurrency', String(config.concurrency)], {
    cwd: REPO_ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: stack.address, TEMPORAL_NAMESPACE: stack.namespace, PAYLOAD_KEYS_FILE: stack.payloadKeysFile, TASK_QUEUE: `bench-csv-${randomUUID()}`, LOG_LEVEL: 'warn' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 240_000,
  });
  const seconds = (nowMs() - start) / 1000;
  const summary = JSON.parse(stdout) as { opened: number; alreadyOpen: number; rejected: unknown[] };
  if (summary.opened !== rows) throw new Error(`CSV import: expected ${rows} cases opened, got ${summary.opened} (rejected ${summary.rejected.length})`);
  const rowsPerSec = rows / seconds;
  log(`CSV import: ${rows} rows in ${seconds.toFixed(1)} s = ${rowsPerSec.toFixed(0)} rows/s`);
  return {
    rows,
    seconds,
    rowsPerSec,
    opened: summary.opened,
    ...(intake ? { rawStartsPerSec: intake.rawStartsPerSec, costRatio: intake.rawStartsPerSec / rowsPerSec } : {}),
  };
}
