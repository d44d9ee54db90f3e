import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { CaseArchive } from '../archive/case-archive';
import { emptyTotals, type GroupTotals, type ReportTotals } from '../archive/report-totals';
import type { ArchivedCase } from '../shared/archive';
import { readCaseMemo } from '../shared/case-memo';
import { loanIdFromWorkflowId } from '../shared/ids';
import * as schemas from '../shared/schemas';
import * as keys from '../shared/search-attributes';
import { CaseError, ReportError } from './errors';
import { sqlFilter } from './case-filter';
import { CASE_RUNS_SCOPE, invalidQueryMessage, isInvalidQueryError, scoped } from './visibility-query';

/**
 * Collection KPIs over every case, open and closed. From the case archive (PostgreSQL adds
 * the figures up: 100,000 cases in well under a second) when there is one; otherwise, or
 * for a raw visibility filter, from Temporal visibility: the search attributes each case
 * upserts plus the memo, paged through (10,000 cases cost ten list pages and several
 * seconds). Both sum the same way (totalsFromRows mirrors the SQL) and share
 * reportFromTotals. Rates are fractions 0..1; money is integer minor units of one currency.
 *
 * Definitions:
 * - recoveryRate = recovered / amount due at opening (overpayments are not recovery).
 * - costEffectivenessRatio = cost of collection / recovered: what each unit recovered
 *   cost. `null` when nothing was recovered (the ratio is undefined, not 0 or infinite).
 * - cureRate = cases paid in full / cases.
 * - promiseKeptRate = promises kept / promises judged (kept + broken); `null` when none
 *   has been judged yet. Needs the workflow's `promisesKept`/`promisesBroken` memo.
 * - rightPartyContactRate = cases where a collector spoke with the debtor / cases that
 *   report the fact (`rightPartyContact` memo); `null` when no case reports it.
 * - funnel: where the money came in, by the stage the case was in when it was paid
 *   (`recoveredByStage` memo). Recovery on cases without that memo is `unattributed`.
 * - byStage/byState: the case's current (open) or final (closed) stage and state; a closed
 *   run without an outcome (terminated, failed, timed out) is counted under its execution
 *   status instead of its last state; a case whose first workflow task has not run yet has
 *   no stage/state and counts as `unknown`.
 */

/** A group's raw sums (the same whichever store added them up) and the rates made from them. */
export type GroupStats = GroupTotals & {
  recoveryRate: number | null;
  costEffectivenessRatio: number | null;
  cureRate: number | null;
};

export type FunnelRow = {
  stage: schemas.Stage | 'unattributed';
  /** Cases whose current or final stage is this one. */
  casesAtStage: number;
  /** Cases that paid something while in this stage. */
  payingCases: number;
  recoveredMinor: number;
  /** recoveredMinor / total recovered; null when nothing was recovered. */
  share: number | null;
};

/** `collections report --json` and `GET /v1/reports/summary` (spec section 6). A type alias, so it is assignable to `Record<string, unknown>`. */
export type Report = {
  cases: number;
  recoveryRate: number | null;
  costEffectivenessRatio: number | null;
  cureRate: number | null;
  promiseKeptRate: number | null;
  rightPartyContactRate: number | null;
  byStage: Record<string, GroupStats>;
  byState: Record<string, GroupStats>;
  funnel: FunnelRow[];
  bySegment: Record<string, GroupStats>;
  byStrategy: Record<string, GroupStats>;
};

/** One case as visibility shows it: search attributes and memo, no worker involved. */
export interface CaseRow {
  loanId: string;
  workflowId: string;
  runId: string;
  /** Execution status: RUNNING, COMPLETED, TERMINATED... */
  status: string;
  startTime: string;
  closeTime?: string;
  stage?: string;
  state?: string;
  outcome?: string;
  segment?: string;
  strategy?: string;
  debtorType?: string;
  currency?: string;
  /** The overdue episode (memo): with the workflow id, the case's key in the archive. */
  overdueSince?: string;
  amountDueMinor?: number;
  outstandingMinor?: number;
  recoveredMinor?: number;
  costMinor?: number;
  promisesKept?: number;
  promisesBroken?: number;
  rightPartyContact?: boolean;
  recoveredByStage?: Partial<Record<schemas.Stage, number>>;
}

export function caseRowFromExecution(info: WorkflowExecutionInfo): CaseRow {
  const sa = info.typedSearchAttributes;
  const memo = readCaseMemo(info.memo);
  const row: CaseRow = {
    loanId: sa.get(keys.LoanIdKey) ?? loanIdFromWorkflowId(info.workflowId) ?? info.workflowId,
    workflowId: info.workflowId,
    runId: info.runId,
    status: info.status.name,
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime?.toISOString(),
    stage: sa.get(keys.CollectionStageKey),
    state: sa.get(keys.CollectionStateKey),
    outcome: sa.get(keys.OutcomeKey),
    segment: sa.get(keys.SegmentKey),
    strategy: sa.get(keys.StrategyKey),
    debtorType: sa.get(keys.DebtorTypeKey),
    currency: memo.currency,
    overdueSince: memo.overdueSince,
    amountDueMinor: memo.amountDueMinor,
    outstandingMinor: sa.get(keys.OutstandingMinorKey),
    recoveredMinor: sa.get(keys.RecoveredMinorKey),
    costMinor: sa.get(keys.CostMinorKey),
    promisesKept: memo.promisesKept,
    promisesBroken: memo.promisesBroken,
    rightPartyContact: memo.rightPartyContact,
    recoveredByStage: memo.recoveredByStage,
  };
  return withoutUndefined(row);
}

/** The same case row from the archive (src/archive): what a report or the case list reads. */
export function caseRowFromArchive(c: ArchivedCase): CaseRow {
  const row: CaseRow = {
    loanId: c.loanId,
    workflowId: c.workflowId,
    runId: c.runId,
    status: c.executionStatus,
    startTime: c.openedAt,
    closeTime: c.closedAt,
    stage: c.stage,
    state: c.state,
    outcome: c.outcome,
    segment: c.segment,
    strategy: c.strategy,
    debtorType: c.debtorType,
    currency: c.currency,
    overdueSince: c.overdueSince,
    amountDueMinor: c.amountDueMinor,
    outstandingMinor: c.outstandingMinor,
    recoveredMinor: c.recoveredMinor,
    costMinor: c.costMinor,
    promisesKept: c.promisesKept,
    promisesBroken: c.promisesBroken,
    rightPartyContact: c.rightPartyContact,
    recoveredByStage: c.recoveredByStage,
  };
  return withoutUndefined(row);
}

/** Absent keys rather than `undefined` values, so JSON output stays clean. */
function withoutUndefined(row: CaseRow): CaseRow {
  for (const key of Object.keys(row) as Array<keyof CaseRow>) if (row[key] === undefined) delete row[key];
  return row;
}

export { ReportError };

/** Pages through visibility (1,000 rows a page) yielding every case run that matches. */
export async function* listCaseRows(client: Client, query: string, pageSize = 1000): AsyncGenerator<CaseRow> {
  try {
    for await (const info of client.workflow.list({ query, pageSize })) yield caseRowFromExecution(info);
  } catch (error) {
    if (isInvalidQueryError(error)) throw new CaseError('invalid_request', invalidQueryMessage(error));
    throw error;
  }
}

const ratio = (numerator: number, denominator: number): number | null => (denominator > 0 ? numerator / denominator : null);

function addRow(group: GroupTotals, row: CaseRow): void {
  group.cases += 1;
  group.amountDueMinor += row.amountDueMinor ?? 0;
  group.recoveredMinor += row.recoveredMinor ?? 0;
  // Before its first workflow task a case has no OutstandingMinor yet: it owes what it opened with.
  group.outstandingMinor += row.outstandingMinor ?? row.amountDueMinor ?? 0;
  group.costMinor += row.costMinor ?? 0;
  if (row.outcome === 'paid_in_full') group.paidInFull += 1;
}

function stats(group: GroupTotals): GroupStats {
  return {
    ...group,
    recoveryRate: ratio(group.recoveredMinor, group.amountDueMinor),
    costEffectivenessRatio: ratio(group.costMinor, group.recoveredMinor),
    cureRate: ratio(group.paidInFull, group.cases),
  };
}

/** The state a report shows: the case's own state, or how its run ended when it ended without an outcome. */
export function reportedState(row: CaseRow): string | undefined {
  if (row.status !== 'RUNNING' && row.outcome === undefined) return row.status.toLowerCase();
  return row.state;
}

/** Adds up case rows the way the archive's SQL does (src/archive/case-archive.ts reportTotals). */
export function totalsFromRows(rows: CaseRow[]): ReportTotals {
  const totals: ReportTotals = {
    total: emptyTotals(), promisesKept: 0, promisesBroken: 0, rpcKnown: 0, rpcYes: 0,
    byStage: {}, byState: {}, bySegment: {}, byStrategy: {}, recoveredInStage: {}, unattributed: { recoveredMinor: 0, payingCases: 0 },
  };
  const addTo = (groups: Record<string, GroupTotals>, key: string | undefined, row: CaseRow) => addRow((groups[key ?? 'unknown'] ??= emptyTotals()), row);
  for (const row of rows) {
    addRow(totals.total, row);
    addTo(totals.byStage, row.stage, row);
    addTo(totals.byState, reportedState(row), row);
    addTo(totals.bySegment, row.segment, row);
    addTo(totals.byStrategy, row.strategy, row);
    totals.promisesKept += row.promisesKept ?? 0;
    totals.promisesBroken += row.promisesBroken ?? 0;
    if (row.rightPartyContact !== undefined) {
      totals.rpcKnown += 1;
      if (row.rightPartyContact) totals.rpcYes += 1;
    }
    if (row.recoveredByStage) {
      for (const [stage, amount] of Object.entries(row.recoveredByStage)) {
        if (!amount || amount <= 0) continue;
        const entry = (totals.recoveredInStage[stage] ??= { recoveredMinor: 0, payingCases: 0 });
        entry.recoveredMinor += amount;
        entry.payingCases += 1;
      }
    } else if ((row.recoveredMinor ?? 0) > 0) {
      totals.unattributed.recoveredMinor += row.recoveredMinor ?? 0;
      totals.unattributed.payingCases += 1;
    }
  }
  return totals;
}

/** Every stage and state is listed, with zeros when no case is there. */
function withKeys(groups: Record<string, GroupTotals>, prefill: readonly string[] = []): Record<string, GroupStats> {
  const keys = [...prefill, ...Object.keys(groups).filter((k) => !prefill.includes(k))];
  return Object.fromEntries(keys.map((k) => [k, stats(groups[k] ?? emptyTotals())]));
}

/** The report (spec section 6) from its sums, whoever added them up. */
export function reportFromTotals(t: ReportTotals): Report {
  const overall = stats(t.total);
  const funnel: FunnelRow[] = schemas.Stage.options.map((stage) => {
    const entry = t.recoveredInStage[stage] ?? { recoveredMinor: 0, payingCases: 0 };
    return { stage, casesAtStage: t.byStage[stage]?.cases ?? 0, payingCases: entry.payingCases, recoveredMinor: entry.recoveredMinor, share: ratio(entry.recoveredMinor, overall.recoveredMinor) };
  });
  if (t.unattributed.recoveredMinor > 0) {
    funnel.push({ stage: 'unattributed', casesAtStage: 0, payingCases: t.unattributed.payingCases, recoveredMinor: t.unattributed.recoveredMinor, share: ratio(t.unattributed.recoveredMinor, overall.recoveredMinor) });
  }
  return {
    cases: overall.cases,
    recoveryRate: overall.recoveryRate,
    costEffectivenessRatio: overall.costEffectivenessRatio,
    cureRate: overall.cureRate,
    promiseKeptRate: ratio(t.promisesKept, t.promisesKept + t.promisesBroken),
    rightPartyContactRate: ratio(t.rpcYes, t.rpcKnown),
    byStage: withKeys(t.byStage, schemas.Stage.options),
    byState: withKeys(t.byState, schemas.CaseState.options),
    funnel,
    bySegment: withKeys(t.bySegment),
    byStrategy: withKeys(t.byStrategy),
  };
}

/** Computes the report from case rows (exported for unit tests and the visibility path). */
export function summarize(rows: CaseRow[]): Report {
  return reportFromTotals(totalsFromRows(rows));
}

export interface ReportOptions {
  /** A visibility filter AND-ed with the case scope, e.g. `Segment = 'corporate'`. */
  query?: string;
  /**
   * Only cases in this currency. Money of different currencies cannot be added up, so a
   * portfolio with several currencies needs this (ReportError 'mixed_currencies' otherwise).
   */
  currency?: string;
}

/**
 * Every matching case run (open and closed), in one currency: `options.currency`, or the
 * only one found (ReportError 'mixed_currencies' when there are several).
 */
export async function collectCaseRows(client: Client, options: ReportOptions = {}): Promise<{ rows: CaseRow[]; currency?: string }> {
  const rows: CaseRow[] = [];
  const currencies = new Map<string, number>();
  for await (const row of listCaseRows(client, scoped(CASE_RUNS_SCOPE, options.query))) {
    if (options.currency !== undefined && row.currency !== undefined && row.currency !== options.currency) continue;
    if (row.currency !== undefined) currencies.set(row.currency, (currencies.get(row.currency) ?? 0) + 1);
    rows.push(row);
  }
  return { rows, currency: options.currency ?? onlyCurrency(currencies) };
}

/** The single currency of the matching cases, or ReportError 'mixed_currencies'. */
function onlyCurrency(currencies: Map<string, number>): string | undefined {
  if (currencies.size > 1) {
    const list = [...currencies].map(([c, n]) => `${c} (${n})`).join(', ');
    throw new ReportError('mixed_currencies', `cases in several currencies: ${list}; report on one at a time (--currency)`);
  }
  return [...currencies.keys()][0];
}

/** The KPIs from the archive, added up by PostgreSQL. */
export async function buildArchiveReport(archive: Pick<CaseArchive, 'currencies' | 'reportTotals'>, options: { currency?: string } = {}): Promise<{ report: Report; currency?: string }> {
  const filter = sqlFilter({ currency: options.currency });
  const currency = options.currency ?? onlyCurrency(await archive.currencies(filter));
  return { report: reportFromTotals(await archive.reportTotals(filter)), currency };
}

/**
 * The KPIs over every matching case (open and closed): from the archive when there is one
 * and no raw visibility filter is given, otherwise paged through visibility.
 */
export async function buildReport(client: Client, options: ReportOptions = {}, archive?: Pick<CaseArchive, 'currencies' | 'reportTotals'>): Promise<Report> {
  return (await buildReportWithCurrency(client, options, archive)).report;
}

export async function buildReportWithCurrency(
  client: Client,
  options: ReportOptions = {},
  archive?: Pick<CaseArchive, 'currencies' | 'reportTotals'>,
): Promise<{ report: Report; currency?: string; source: 'archive' | 'visibility' }> {
  if (archive && !options.query?.trim()) return { ...(await buildArchiveReport(archive, options)), source: 'archive' };
  const { rows, currency } = await collectCaseRows(client, options);
  return { report: summarize(rows), currency, source: 'visibility' };
}
