import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Table from 'cli-table3';
import type { ArchiveResult } from './archive';
import type { CalendarResult } from './calendar';
import { REPO_ROOT, type BenchConfig } from './config';
import type { CsvImportResult, IntakeResult } from './intake';
import type { LifecycleResult } from './lifecycle';
import type { MemoryResult } from './memory';
import type { WebhookResult } from './webhook';

export interface Figure {
  id: string;
  name: string;
  baseline: { label: string; value: number; unit: string };
  subject: { label: string; value: number; unit: string };
  /** The headline: subject against baseline, in the direction `meaning` states. */
  ratio: { value: number; meaning: string };
  /** The goal for this figure, and whether this run met it. */
  goal?: { text: string; met: boolean };
  /** Context: absolute figures behind the ratio. */
  detail: string;
}

export interface BenchReport {
  schema: 2;
  startedAt: string;
  runSeconds: number;
  host: { node: string; platform: string; cpus: number; cpuModel: string; totalMemoryGiB: number };
  /** 1/5/15-minute load averages before and after the run (the machine is shared). */
  load: { before: number[]; after: number[] };
  git: { commit?: string; dirty?: boolean };
  config: BenchConfig;
  setup: { temporalCli: string; devServerMs: number; bundleMs: number };
  phaseSeconds: Record<string, number>;
  figures: Figure[];
  details: {
    intake?: IntakeResult;
    csv?: CsvImportResult;
    lifecycle?: LifecycleResult;
    webhook?: WebhookResult;
    memory?: MemoryResult;
    calendar?: CalendarResult;
    archive?: ArchiveResult;
  };
}

const KIB = 1024;
const MIB = 1024 * 1024;
const perSec = (v: number) => `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}/s`;
const mib = (v: number) => `${(v / MIB).toFixed(2)} MiB`;

export function figures(config: BenchConfig, r: BenchReport['details']): Figure[] {
  const out: Figure[] = [];
  const { intake, csv, lifecycle, webhook, memory, calendar, archive } = r;
  if (lifecycle) {
    const { case: kase, twin, trivial } = lifecycle.byShape;
    out.push({
      id: 'lifecycle.case-vs-twin',
      name: `1. Case lifecycle (open, paid in full, survey answered), ${config.n} per run, bench policy, no-op providers`,
      baseline: { label: 'shape twin (same timers, activities, signals; no logic)', value: twin.completionsPerSec, unit: 'completions/s' },
      subject: { label: 'collectionCase', value: kase.completionsPerSec, unit: 'completions/s' },
      ratio: { value: lifecycle.caseVsTwinThroughput, meaning: 'case throughput / twin throughput' },
      goal: { text: '>= 0.8x', met: lifecycle.caseVsTwinThroughput >= 0.8 },
      detail: `CPU/event ${kase.cpuMicrosPerEvent.toFixed(0)} vs ${twin.cpuMicrosPerEvent.toFixed(0)} µs (${lifecycle.caseVsTwinCpuPerEvent.toFixed(2)}x); events/workflow ${kase.eventsPerWorkflow.toFixed(0)} vs ${twin.eventsPerWorkflow.toFixed(0)}; p50 ${kase.latencyP50Ms.toFixed(0)} vs ${twin.latencyP50Ms.toFixed(0)} ms`,
    });
    out.push({
      id: 'lifecycle.twin-vs-trivial',
      name: `2. Server ceiling: shape twin against a trivial workflow (one no-op activity), same server and worker`,
      baseline: { label: 'trivial workflow', value: trivial.completionsPerSec, unit: 'completions/s' },
      subject: { label: 'shape twin', value: twin.completionsPerSec, unit: 'completions/s' },
      ratio: { value: lifecycle.twinVsTrivialThroughput, meaning: 'twin throughput / trivial throughput' },
      detail: `CPU/event ${twin.cpuMicrosPerEvent.toFixed(0)} vs ${trivial.cpuMicrosPerEvent.toFixed(0)} µs (${lifecycle.twinVsTrivialCpuPerEvent.toFixed(2)}x); events/workflow ${twin.eventsPerWorkflow.toFixed(0)} vs ${trivial.eventsPerWorkflow.toFixed(0)}`,
    });
  }
  if (memory) {
    const heap = memory.heapPerWorkflowBytes;
    const rss = memory.rssPerWorkflowBytes;
    out.push({
      id: 'memory.case-vs-twin',
      name: `3. Live heap per cached case, ${memory.workflows} open on timers (default policy), forked worker, forced GC`,
      baseline: { label: 'per cached shape twin', value: heap.twin, unit: 'bytes' },
      subject: { label: 'per cached case', value: heap.case, unit: 'bytes' },
      ratio: { value: memory.caseVsTwin, meaning: 'case live-heap bytes / twin live-heap bytes' },
      goal: { text: '<= 1 MiB and <= 2x', met: heap.case <= MIB && memory.caseVsTwin <= 2 },
      detail: `RSS growth per workflow: case ${(rss.case / KIB).toFixed(0)} KiB, twin ${(rss.twin / KIB).toFixed(0)} KiB; default workflow thread (production): ${(rss['case-threaded'] / KIB).toFixed(0)} KiB RSS per case; heap paid once per worker by the first cases ${(memory.heapOnceBytes.case / KIB).toFixed(0)} KiB (twins ${(memory.heapOnceBytes.twin / KIB).toFixed(0)} KiB)`,
    });
    out.push({
      id: 'memory.modules',
      name: "3b. Where a cached case's heap goes: a twin in the case's bundle (every module evaluated per workflow, no case state)",
      baseline: { label: 'twin in its own bundle', value: heap.twin, unit: 'bytes' },
      subject: { label: "twin in the case's bundle", value: heap['twin-in-case-bundle'], unit: 'bytes' },
      ratio: { value: memory.modulesVsTwin, meaning: "twin-in-case-bundle bytes / twin bytes" },
      detail: `modules ${(heap['twin-in-case-bundle'] / KIB).toFixed(0)} KiB of the case's ${(heap.case / KIB).toFixed(0)} KiB; the case's own state about ${((heap.case - heap['twin-in-case-bundle']) / KIB).toFixed(0)} KiB`,
    });
  }
  if (webhook) {
    out.push({
      id: 'webhook.throughput',
      name: `5. Payment webhook max rate (autocannon, ${webhook.connections} connections, ${webhook.seconds} s, 127.0.0.1)`,
      baseline: { label: 'minimal handler (HMAC + the same update)', value: webhook.maxMinimal, unit: 'req/s' },
      subject: { label: 'POST /v1/payments', value: webhook.maxApi, unit: 'req/s' },
      ratio: { value: webhook.throughputRatio, meaning: 'API max rate / minimal max rate' },
      goal: { text: '>= 0.8x', met: webhook.throughputRatio >= 0.8 },
      detail: `max ${webhook.maxApi.toFixed(0)} vs ${webhook.maxMinimal.toFixed(0)} req/s`,
    });
    out.push({
      id: 'webhook.p99-at-70',
      name: `5b. Payment webhook p99 at a fixed 70 % of the API's max rate (${(0.7 * webhook.maxApi).toFixed(0)} req/s)`,
      baseline: { label: 'minimal handler p99, same rate', value: webhook.minimalP99AtSameRateMs, unit: 'ms' },
      subject: { label: 'POST /v1/payments p99', value: webhook.p99At70PercentMs, unit: 'ms' },
      ratio: { value: webhook.p99At70PercentMs / Math.max(1, webhook.minimalP99AtSameRateMs), meaning: 'API p99 / minimal p99' },
      goal: { text: 'p99 < 50 ms', met: webhook.p99At70PercentMs < 50 },
      detail: `p99 ${webhook.p99At70PercentMs} ms vs ${webhook.minimalP99AtSameRateMs} ms`,
    });
  }
  if (intake) {
    out.push({
      id: 'intake.open',
      name: `6. Case intake: CaseService.open, ${config.n} new cases, ${config.concurrency} in flight`,
      baseline: { label: 'raw client.workflow.start', value: intake.rawStartsPerSec, unit: 'cases/s' },
      subject: { label: 'CaseService.open', value: intake.opensPerSec, unit: 'cases/s' },
      ratio: { value: 1 / intake.openCostRatio, meaning: 'open rate / raw start rate' },
      goal: { text: '>= 0.9x', met: 1 / intake.openCostRatio >= 0.9 },
      detail: `${(1000 / intake.opensPerSec).toFixed(2)} ms vs ${(1000 / intake.rawStartsPerSec).toFixed(2)} ms per case; duplicate open ${perSec(intake.duplicateOpensPerSec)}`,
    });
    out.push({
      id: 'intake.open-vs-indexed',
      name: '6c. Where intake goes: CaseService.open against a raw start with the same memo, search attributes and summary',
      baseline: { label: "raw start with the case's memo and search attributes", value: intake.indexedStartsPerSec, unit: 'cases/s' },
      subject: { label: 'CaseService.open', value: intake.opensPerSec, unit: 'cases/s' },
      ratio: { value: 1 / intake.openVsIndexedCostRatio, meaning: 'open rate / rate of the same start without our code (validation, admission)' },
      detail: `the memo and search attributes alone: ${(intake.rawStartsPerSec / intake.indexedStartsPerSec).toFixed(2)}x the raw start's time`,
    });
  }
  if (csv) {
    out.push({
      id: 'intake.csv-cli',
      name: `6b. ${csv.rows.toLocaleString('en')}-row CSV through the CLI (collections import --json, ${config.concurrency} in flight)`,
      baseline: { label: 'raw client.workflow.start', value: csv.rawStartsPerSec ?? Number.NaN, unit: 'cases/s' },
      subject: { label: 'rows imported', value: csv.rowsPerSec, unit: 'cases/s' },
      ratio: { value: csv.costRatio ? 1 / csv.costRatio : Number.NaN, meaning: 'CLI rows/s / raw start rate' },
      detail: `${csv.seconds.toFixed(1)} s for ${csv.rows} rows, process start-up included`,
    });
  }
  if (archive) {
    out.push({
      id: 'report.archive',
      name: `Portfolio report over ${archive.archivedCases} archived cases (PostgreSQL sums; ${archive.archivedEvents} timeline events in the archive)`,
      baseline: { label: `visibility-paged report, ${archive.visibilityCases} cases measured (${archive.visibilityReportMs.toFixed(0)} ms), extrapolated to ${archive.archivedCases}`, value: archive.visibilityExtrapolatedMs, unit: 'ms' },
      subject: { label: 'report from the archive', value: archive.archiveReportMs, unit: 'ms' },
      ratio: { value: archive.ratio, meaning: 'archive report time / extrapolated visibility report time' },
      detail: `archive filled in ${archive.fillSeconds.toFixed(1)} s (generate_series)`,
    });
  }
  if (calendar) {
    out.push({
      id: 'calendar.next-allowed',
      name: `Compliance calendar: nextAllowedContact, CN profile, ${calendar.requests}-request mix over 2026`,
      baseline: { label: 'luxon DateTime.fromISO().setZone()', value: calendar.luxonPerSec, unit: 'calls/s' },
      subject: { label: 'nextAllowedContact', value: calendar.decisionsPerSec, unit: 'calls/s' },
      ratio: { value: calendar.luxonConversionsPerDecision, meaning: 'luxon conversions one decision costs' },
      detail: `${(1e6 / calendar.decisionsPerSec).toFixed(1)} µs/decision; ${(calendar.deferredShare * 100).toFixed(0)}% deferred`,
    });
  }
  return out;
}

function amount(value: number, unit: string): string {
  if (Number.isNaN(value)) return 'n/a';
  if (unit === 'bytes') return value >= MIB ? mib(value) : `${(value / KIB).toFixed(0)} KiB`;
  if (unit === 'ms') return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`;
  if (unit === 'calls/s') return value >= 10_000 ? `${(value / 1000).toFixed(0)}k/s` : `${value.toFixed(0)}/s`;
  return perSec(value);
}

export function renderTable(report: BenchReport): string {
  const table = new Table({
    head: ['Benchmark', 'Baseline', 'Measured', 'Ratio', 'Goal', 'Detail'],
    colWidths: [40, 28, 16, 9, 16, 46],
    wordWrap: true,
    style: { head: process.stdout.isTTY ? ['cyan'] : [], border: process.stdout.isTTY ? ['grey'] : [] },
  });
  for (const f of report.figures) {
    table.push([
      f.name,
      `${f.baseline.label}: ${amount(f.baseline.value, f.baseline.unit)}`,
      amount(f.subject.value, f.subject.unit),
      Number.isNaN(f.ratio.value) ? 'n/a' : `${f.ratio.value.toFixed(2)}x`,
      f.goal ? `${f.goal.text}: ${f.goal.met ? 'met' : 'MISSED'}` : '',
      f.detail,
    ]);
  }
  const lines = [
    table.toString(),
    `Ratio: see each figure's meaning in bench/results/latest.json; medians of ${report.config.repeats} paired reps where repeated.`,
    `Run: ${report.runSeconds.toFixed(1)} s on ${report.host.cpus} CPU(s) (${report.host.cpuModel}), Node ${report.host.node}; load average ${report.load.before[0]!.toFixed(1)} before, ${report.load.after[0]!.toFixed(1)} after; dev server ${(report.setup.devServerMs / 1000).toFixed(1)} s, bundles ${(report.setup.bundleMs / 1000).toFixed(1)} s.`,
  ];
  return lines.join('\n');
}

export function hostInfo(): BenchReport['host'] {
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    totalMemoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
  };
}

export function gitInfo(): BenchReport['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return { commit, dirty };
  } catch {
    return {};
  }
}

export async function writeJson(file: string, report: BenchReport): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, `${JSON.stringify(report, null, 2)}\n`);
  await fs.rename(temp, file);
}
