import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CaseService } from '../src/client/case-service';
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
  /** Median over adjacent block pairs (all reps) of open time / raw start time for the same count: 1.00 = no overhead. */
  openCostRatio: number;
  /** Every adjacent block pair's open time / raw start time. */
  blockCostRatios: number[];
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
  await run(caseInputs('in-warm-open', warm), open);

  // The machine is shared: raw starts and opens alternate in small blocks, so a burst of
  // someone else's load falls on both sides rather than on one whole measurement.
  const block = 4 * config.concurrency;
  const samples: IntakeSample[] = [];
  const blockCostRatios: number[] = [];
  for (let rep = 1; rep <= config.repeats; rep++) {
    const rawInputs = caseInputs(`in${rep}-raw`, config.n);
    const openInputs = caseInputs(`in${rep}-open`, config.n);
    let rawMs = 0;
    let openMs = 0;
    for (let from = 0, turn = rep; from < config.n; from += block, turn++) {
      const slice = (inputs: Input[]) => inputs.slice(from, from + block);
      let pairRawMs: number;
      let pairOpenMs: number;
      if (turn % 2 === 1) {
        pairRawMs = await run(slice(rawInputs), rawStart);
        pairOpenMs = await run(slice(openInputs), open);
      } else {
        pairOpenMs = await run(slice(openInputs), open);
        pairRawMs = await run(slice(rawInputs), rawStart);
      }
      rawMs += pairRawMs;
      openMs += pairOpenMs;
      blockCostRatios.push(pairOpenMs / pairRawMs);
    }
    const duplicateMs = await run(openInputs, reopen);
    const sample = { rep, rawStartsPerSec: (config.n / rawMs) * 1000, opensPerSec: (config.n / openMs) * 1000, duplicateOpensPerSec: (config.n / duplicateMs) * 1000 };
    samples.push(sample);
    log(`intake rep ${rep}: raw start ${sample.rawStartsPerSec.toFixed(0)}/s, CaseService.open ${sample.opensPerSec.toFixed(0)}/s, duplicate open ${sample.duplicateOpensPerSec.toFixed(0)}/s`);
  }

  return {
    taskQueue,
    samples,
    rawStartsPerSec: median(samples.map((s) => s.rawStartsPerSec)),
    opensPerSec: median(samples.map((s) => s.opensPerSec)),
    duplicateOpensPerSec: median(samples.map((s) => s.duplicateOpensPerSec)),
    // Pairs of adjacent blocks see the same load; their median shrugs off a burst that hit one pair.
    openCostRatio: median(blockCostRatios),
    blockCostRatios,
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
