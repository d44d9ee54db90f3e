import Table from 'cli-table3';
import type { BulkSignalResult } from '../client/bulk';
import type { ImportSummary } from '../client/intake';
import type { IntakeScheduleResult } from '../client/intake-schedule';
import type { CaseRow, GroupStats, Report } from '../client/reports';
import { formatMajorUnits } from '../shared/money';
import type { CaseStatus, TimelineEvent } from '../shared/schemas';

/** Human output (tables) for the CLI; `--json` bypasses all of this. */

/** 1234567 CNY -> "12,345.67 CNY". */
export function money(minor: number | undefined, currency: string | undefined): string {
  if (minor === undefined) return '';
  if (!currency) return `${minor} (minor units)`;
  const plain = formatMajorUnits(minor, currency);
  const [whole = '', fraction] = plain.replace('-', '').split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${plain.startsWith('-') ? '-' : ''}${grouped}${fraction !== undefined ? `.${fraction}` : ''} ${currency}`;
}

export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return 'n/a';
  return `${(rate * 100).toFixed(1)}%`;
}

function ratioText(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? 'n/a' : rate.toFixed(3);
}

const words = (value: string | undefined) => value?.replace(/_/g, ' ') ?? '';

/** Borders around the table, none between rows: dense enough for a few hundred cases. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function keyValue(pairs: Array<[string, unknown]>): string {
  const table = new Table({ chars: COMPACT, style: { head: [], border: [] } });
  for (const [key, value] of pairs) if (value !== undefined && value !== '') table.push({ [key]: String(value) });
  return table.toString();
}

function grid(head: string[], rows: unknown[][]): string {
  const table = new Table({ head, chars: COMPACT, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map((c) => (c === undefined || c === null ? '' : String(c))));
  return table.toString();
}

export function renderStatus(s: CaseStatus): string {
  return keyValue([
    ['Loan', s.loanId],
    ['State', s.state],
    ['Stage', words(s.stage)],
    ['Outcome', words(s.outcome)],
    ['Amount due at opening', money(s.amountDueMinor, s.currency)],
    ['Outstanding', money(s.outstandingMinor, s.currency)],
    ['Paid', money(s.paidMinor, s.currency)],
    ['Cost of collection', money(s.costMinor, s.currency)],
    ['Next action', s.nextAction],
    ['Next action at', s.nextActionAt],
    ['Paused until', s.pausedUntil],
    ['Promise', s.promise ? `${s.promise.kind}: ${money(s.promise.amountMinor, s.currency)} by ${s.promise.dueDate} (paid ${money(s.promise.paidTowardsMinor, s.currency)})` : undefined],
    ['Collector', s.assignee],
    ['Segment', s.segment],
    ['Strategy', s.strategy],
    ['Risk score', s.riskScore?.toFixed(2)],
    ['Broken promises', s.brokenPromises || undefined],
    ['Contact stopped', s.contactStopped ? 'yes' : undefined],
    ['Awaiting contact refresh', s.awaitingContactRefresh?.join(', ')],
    ['Satisfaction', s.satisfactionScore !== undefined ? `${s.satisfactionScore}/5` : undefined],
  ]);
}

/** One line per event (details are long sentences; a table would only wrap them). */
export function renderTimeline(events: TimelineEvent[]): string {
  if (events.length === 0) return 'No events yet.';
  const width = Math.max(...events.map((e) => words(e.kind).length));
  return events.map((e) => `${e.at.replace('T', ' ').replace(/(\.\d+)?Z$/, 'Z')}  ${words(e.kind).padEnd(width)}  ${e.detail}`).join('\n');
}

export function renderList(rows: CaseRow[]): string {
  if (rows.length === 0) return 'No matching cases.';
  return grid(
    ['Loan', 'Stage', 'State', 'Outstanding', 'Recovered', 'Segment', 'Outcome', 'Opened'],
    rows.map((r) => [r.loanId, words(r.stage), r.status === 'RUNNING' ? r.state : (r.state ?? r.status.toLowerCase()), money(r.outstandingMinor, r.currency), money(r.recoveredMinor, r.currency), r.segment, words(r.outcome), r.startTime.slice(0, 10)]),
  );
}

export function renderImport(summary: ImportSummary, seconds: number): string {
  const lines = [`Opened ${summary.opened}, already open ${summary.alreadyOpen}, rejected ${summary.rejected.length} (${seconds.toFixed(1)} s).`];
  if (summary.rejected.length > 0) lines.push(grid(['Line', 'Loan', 'Reason'], summary.rejected.map((r) => [r.row, r.loanId ?? '', r.reason])));
  return lines.join('\n');
}

function groupTable(title: string, groups: Record<string, GroupStats>, currency: string | undefined): string {
  const rows = Object.entries(groups).filter(([, g]) => g.cases > 0);
  if (rows.length === 0) return `${title}: no cases`;
  return `${title}\n${grid(
    ['', 'Cases', 'Amount due', 'Recovered', 'Outstanding', 'Cost', 'Recovery', 'Cost/recovered', 'Cured'],
    rows.map(([key, g]) => [words(key), g.cases, money(g.amountDueMinor, currency), money(g.recoveredMinor, currency), money(g.outstandingMinor, currency), money(g.costMinor, currency), percent(g.recoveryRate), ratioText(g.costEffectivenessRatio), percent(g.cureRate)]),
  )}`;
}

export function renderReport(report: Report, currency: string | undefined, seconds: number): string {
  const totals = Object.values(report.byState).reduce(
    (t, g) => ({ amountDue: t.amountDue + g.amountDueMinor, recovered: t.recovered + g.recoveredMinor, cost: t.cost + g.costMinor }),
    { amountDue: 0, recovered: 0, cost: 0 },
  );
  const kpis = keyValue([
    ['Cases (open and closed)', report.cases],
    ['Amount due at opening', money(totals.amountDue, currency)],
    ['Recovered', money(totals.recovered, currency)],
    ['Cost of collection', money(totals.cost, currency)],
    ['Recovery rate', percent(report.recoveryRate)],
    ['Cost-effectiveness (cost / recovered)', ratioText(report.costEffectivenessRatio)],
    ['Cure rate (paid in full)', percent(report.cureRate)],
    ['Promise-kept rate', percent(report.promiseKeptRate)],
    ['Right-party contact rate', percent(report.rightPartyContactRate)],
  ]);
  const funnel = `Where payments came in\n${grid(
    ['Stage', 'Cases at stage', 'Paying cases', 'Recovered', 'Share'],
    report.funnel.map((f) => [words(f.stage), f.casesAtStage, f.payingCases, money(f.recoveredMinor, currency), percent(f.share)]),
  )}`;
  return [
    kpis,
    groupTable('By stage', report.byStage, currency),
    groupTable('By state', report.byState, currency),
    funnel,
    groupTable('By segment', report.bySegment, currency),
    groupTable('By strategy', report.byStrategy, currency),
    `(${report.cases} cases read from Temporal visibility in ${seconds.toFixed(2)} s)`,
  ].join('\n\n');
}

export function renderBulk(signal: string, result: BulkSignalResult): string {
  if (result.dryRun) return `Dry run: ${result.matched} open case${result.matched === 1 ? '' : 's'} match; nothing was sent.`;
  if (result.matched === 0) return 'No open case matches; nothing was sent.';
  return `Batch ${result.jobId}: ${signal} sent to ${result.succeeded ?? 0} of ${result.matched} matching cases${result.failed ? ` (${result.failed} failed)` : ''}.`;
}

export function renderSchedule(result: IntakeScheduleResult): string {
  return keyValue([
    ['Schedule', `${result.scheduleId} (${result.created ? 'created' : 'updated'})`],
    ['Folder (on the worker)', result.folder],
    ['Cron', `${result.cron} (${result.timezone})`],
    ['Next runs', result.nextRuns.slice(0, 3).join('\n')],
  ]);
}
