import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Table from 'cli-table3';
import type { ArchiveResult } from './archive';
import type { CalendarResult } from './calendar';
import { REPO_ROOT, type BenchConfig } from './config';
import type { IntakeResult } from './intake';
import type { LifecycleResult } from './lifecycle';
import type { MemoryResult } from './memory';

export interface Figure {
  id: string;
  name: string;
  baseline: { label: string; value: number; unit: string };
  subject: { label: string; value: number; unit: string };
  /** The headline: subject cost in units of baseline cost (1.00 = as cheap as the baseline). */
  ratio: { value: number; meaning: string };
  extra?: Record<string, number | string>;
}

export interface BenchReport {
  schema: 1;
  startedAt: string;
  runSeconds: number;
  host: { node: string; platform: string; cpus: number; cpuModel: string; totalMemoryGiB: number };
  git: { commit?: string; dirty?: boolean };
  config: BenchConfig;
  setup: { temporalCli: string; devServerMs: number; bundleMs: number };
  phaseSeconds: Record<string, number>;
  figures: Figure[];
  details: { intake: IntakeResult; lifecycle: LifecycleResult; memory: MemoryResult; calendar: CalendarResult; archive: ArchiveResult };
}

const KIB = 1024;
const MIB = 1024 * 1024;

export function figures(config: BenchConfig, r: BenchReport['details']): Figure[] {
  const { intake, lifecycle, memory, calendar, archive } = r;
  return [
    {
      id: 'report.archive',
      name: `Portfolio report over ${archive.archivedCases} archived cases (PostgreSQL sums; ${archive.archivedEvents} timeline events in the archive)`,
      baseline: { label: `visibility-paged report, ${archive.visibilityCases} cases measured (${archive.visibilityReportMs.toFixed(0)} ms), extrapolated to ${archive.archivedCases}`, value: archive.visibilityExtrapolatedMs, unit: 'ms' },
      subject: { label: 'report from the archive', value: archive.archiveReportMs, unit: 'ms' },
      ratio: { value: archive.ratio, meaning: 'archive report time / extrapolated visibility report time' },
      extra: { fillSeconds: archive.fillSeconds },
    },
    {
      id: 'intake.open',
      name: `Case intake: CaseService.open, ${config.n} new cases, ${config.concurrency} in flight`,
      baseline: { label: 'raw client.workflow.start', value: intake.rawStartsPerSec, unit: 'cases/s' },
      subject: { label: 'CaseService.open', value: intake.opensPerSec, unit: 'cases/s' },
      ratio: { value: intake.openCostRatio, meaning: 'time per open / time per raw start (1.00 = no overhead)' },
    },
    {
      id: 'intake.open-duplicate',
      name: `Case intake: CaseService.open on ${config.n} already-open cases (created: false)`,
      baseline: { label: 'raw client.workflow.start', value: intake.rawStartsPerSec, unit: 'cases/s' },
      subject: { label: 'CaseService.open (conflict)', value: intake.duplicateOpensPerSec, unit: 'cases/s' },
      ratio: { value: intake.duplicateOpenCostRatio, meaning: 'time per duplicate open / time per raw start' },
    },
    {
      id: 'lifecycle.paid-in-full',
      name: `Lifecycle: ${config.n} cases open -> full payment -> paid_in_full -> survey answered -> completed (fast policy)`,
      baseline: { label: 'raw client.workflow.start (intake)', value: intake.rawStartsPerSec, unit: 'cases/s' },
      subject: { label: 'cases completed', value: lifecycle.casesPerSec, unit: 'cases/s' },
      ratio: { value: lifecycle.costRatio, meaning: 'time per completed case / time per raw start' },
      extra: { latencyP50Ms: lifecycle.latencyP50Ms, latencyP95Ms: lifecycle.latencyP95Ms },
    },
    {
      id: 'memory.rss',
      name: `Worker RSS with ${memory.cases} open cases on timers (default policy), forked worker`,
      baseline: { label: 'same worker idle', value: memory.idleRssBytes, unit: 'bytes' },
      subject: { label: `${memory.cases} cases open`, value: memory.loadedRssBytes, unit: 'bytes' },
      ratio: { value: memory.rssRatio, meaning: 'RSS with the cases open / RSS idle' },
      extra: { perCaseBytes: memory.rssPerCaseBytes },
    },
    {
      id: 'memory.heap',
      name: `Worker main-thread heap used with ${memory.cases} open cases (workflow thread not included)`,
      baseline: { label: 'same worker idle', value: memory.idleHeapBytes, unit: 'bytes' },
      subject: { label: `${memory.cases} cases open`, value: memory.loadedHeapBytes, unit: 'bytes' },
      ratio: { value: memory.heapRatio, meaning: 'heap used with the cases open / heap used idle' },
      extra: { perCaseBytes: memory.heapPerCaseBytes },
    },
    {
      id: 'calendar.next-allowed',
      name: `Compliance calendar: nextAllowedContact, CN profile, ${calendar.requests}-request mix over 2026`,
      baseline: { label: 'luxon DateTime.fromISO().setZone()', value: calendar.luxonPerSec, unit: 'calls/s' },
      subject: { label: 'nextAllowedContact', value: calendar.decisionsPerSec, unit: 'calls/s' },
      ratio: { value: calendar.luxonConversionsPerDecision, meaning: 'luxon conversions one decision costs' },
      extra: { deferredShare: calendar.deferredShare, meanDeferrals: calendar.meanDeferrals },
    },
  ];
}

function amount(value: number, unit: string): string {
  if (unit === 'bytes') return `${(value / MIB).toFixed(1)} MiB`;
  if (unit === 'ms') return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`;
  if (unit === 'calls/s') return value >= 10_000 ? `${(value / 1000).toFixed(0)}k/s` : `${value.toFixed(0)}/s`;
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)}/s`;
}

function detail(f: Figure): string {
  if (f.id === 'report.archive') return `archive filled in ${(f.extra!['fillSeconds'] as number).toFixed(1)} s (generate_series)`;
  if (f.id.startsWith('memory.')) return `${((f.extra!['perCaseBytes'] as number) / KIB).toFixed(1)} KiB per open case`;
  if (f.id === 'lifecycle.paid-in-full') return `p50 ${(f.extra!['latencyP50Ms'] as number).toFixed(0)} ms, p95 ${(f.extra!['latencyP95Ms'] as number).toFixed(0)} ms open->completed`;
  if (f.id === 'calendar.next-allowed') {
    return `${(1e6 / f.subject.value).toFixed(1)} µs/decision; ${((f.extra!['deferredShare'] as number) * 100).toFixed(0)}% deferred, ${(f.extra!['meanDeferrals'] as number).toFixed(2)} deferrals/req`;
  }
  return `${(1000 / f.subject.value).toFixed(2)} ms vs ${(1000 / f.baseline.value).toFixed(2)} ms per case`;
}

export function renderTable(report: BenchReport): string {
  const table = new Table({
    head: ['Benchmark', 'Baseline', 'Measured', 'Ratio', 'Detail'],
    colWidths: [44, 30, 24, 11, 44],
    wordWrap: true,
    style: { head: process.stdout.isTTY ? ['cyan'] : [], border: process.stdout.isTTY ? ['grey'] : [] },
  });
  for (const f of report.figures) {
    table.push([f.name, `${f.baseline.label}: ${amount(f.baseline.value, f.baseline.unit)}`, `${amount(f.subject.value, f.subject.unit)}`, `${f.ratio.value.toFixed(2)}×`, detail(f)]);
  }
  const legs = report.details.lifecycle.legsMs;
  const lines = [
    table.toString(),
    `Lifecycle legs, median ms per case: open ${legs.open.toFixed(0)}, recordPayment ${legs.recordPayment.toFixed(0)}, paid -> survey SMS delivered ${legs.paidToSurveySms.toFixed(0)}, ` +
      `SMS -> survey answered ${legs.smsToSurveyAnswered.toFixed(0)}, answered -> completed ${legs.answeredToCompleted.toFixed(0)}.`,
    `Memory: RSS includes the SDK's workflow thread, where the cases live; heapUsed is the main isolate only (GC forced: ${report.details.memory.gcForced ? 'yes' : 'NO'}).`,
    `Ratio = cost of the measured operation in units of its baseline's cost, median of ${report.config.repeats} paired reps (memory: loaded/idle).`,
    `Intake ran on a task queue no worker polls; the lifecycle on an in-process worker (fast policy); memory on a forked worker (--expose-gc).`,
    `Run: ${report.runSeconds.toFixed(1)} s on ${report.host.cpus} CPU(s) (${report.host.cpuModel}), Node ${report.host.node}; dev server ${(report.setup.devServerMs / 1000).toFixed(1)} s, bundle ${(report.setup.bundleMs / 1000).toFixed(1)} s.`,
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
