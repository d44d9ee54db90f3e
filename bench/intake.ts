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
