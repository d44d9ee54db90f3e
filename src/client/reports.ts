import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { readCaseMemo } from '../shared/case-memo';
import { loanIdFromWorkflowId } from '../shared/ids';
import * as schemas from '../shared/schemas';
import * as keys from '../shared/search-attributes';
import { CaseError } from './case-service';
import { CASE_RUNS_SCOPE, invalidQueryMessage, isInvalidQueryError, scoped } from './visibility-query';

/**
 * Collection KPIs over every case, open and closed, read from Temporal visibility alone:
 * the search attributes each case upserts plus the memo (no query per case, so a report
 * over 10,000 cases costs ten list pages). Rates are fractions 0..1; money is integer
 * minor units of one currency.
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

export type GroupStats = {
  cases: number;
  amountDueMinor: number;
  recoveredMinor: number;
  outstandingMinor: number;
  costMinor: number;
  paidInFull: number;
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
    amountDueMinor: memo.amountDueMinor,
    outstandingMinor: sa.get(keys.OutstandingMinorKey),
    recoveredMinor: sa.get(keys.RecoveredMinorKey),
    costMinor: sa.get(keys.CostMinorKey),
    promisesKept: memo.promisesKept,
    promisesBroken: memo.promisesBroken,
    rightPartyContact: memo.rightPartyContact,
    recoveredByStage: memo.recoveredByStage,
  };
  // Absent keys rather than `undefined` values, so JSON output stays clean.
  for (const key of Object.keys(row) as Array<keyof CaseRow>) if (row[key] === undefined) delete row[key];
  return row;
}

export class ReportError extends Error {
  override readonly name = 'ReportError';
  constructor(
    readonly code: 'mixed_currencies',
    message: string,
  ) {
    super(message);
  }
}

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

class Group {
  cases = 0;
  amountDueMinor = 0;
  recoveredMinor = 0;
  outstandingMinor = 0;
  costMinor = 0;
  paidInFull = 0;

  add(row: CaseRow): void {
    this.cases += 1;
    this.amountDueMinor += row.amountDueMinor ?? 0;
    this.recoveredMinor += row.recoveredMinor ?? 0;
    // Before its first workflow task a case has no OutstandingMinor yet: it owes what it opened with.
    this.outstandingMinor += row.outstandingMinor ?? row.amountDueMinor ?? 0;
    this.costMinor += row.costMinor ?? 0;
    if (row.outcome === 'paid_in_full') this.paidInFull += 1;
  }

  stats(): GroupStats {
    return {
      cases: this.cases,
      amountDueMinor: this.amountDueMinor,
      recoveredMinor: this.recoveredMinor,
      outstandingMinor: this.outstandingMinor,
      costMinor: this.costMinor,
      paidInFull: this.paidInFull,
      recoveryRate: ratio(this.recoveredMinor, this.amountDueMinor),
      costEffectivenessRatio: ratio(this.costMinor, this.recoveredMinor),
      cureRate: ratio(this.paidInFull, this.cases),
    };
  }
}

function grouped(rows: CaseRow[], keyOf: (row: CaseRow) => string | undefined, prefill: readonly string[] = []): Record<string, GroupStats> {
  const groups = new Map<string, Group>(prefill.map((k) => [k, new Group()]));
  for (const row of rows) {
    const key = keyOf(row) ?? 'unknown';
    let group = groups.get(key);
    if (!group) groups.set(key, (group = new Group()));
    group.add(row);
  }
  return Object.fromEntries([...groups].map(([k, g]) => [k, g.stats()]));
}

/** The state a report shows: the case's own state, or how its run ended when it ended without an outcome. */
export function reportedState(row: CaseRow): string | undefined {
  if (row.status !== 'RUNNING' && row.outcome === undefined) return row.status.toLowerCase();
  return row.state;
}

/** Computes the report from case rows (exported for unit tests and the HTTP API). */
export function summarize(rows: CaseRow[]): Report {
  const total = new Group();
  for (const row of rows) total.add(row);
  const overall = total.stats();

  let kept = 0;
  let broken = 0;
  let rpcKnown = 0;
  let rpcYes = 0;
  const byStageRecovered = new Map<string, { recovered: number; paying: number }>();
  let unattributed = 0;
  let unattributedCases = 0;
  for (const row of rows) {
    kept += row.promisesKept ?? 0;
    broken += row.promisesBroken ?? 0;
    if (row.rightPartyContact !== undefined) {
      rpcKnown += 1;
      if (row.rightPartyContact) rpcYes += 1;
    }
    if (row.recoveredByStage) {
      for (const [stage, amount] of Object.entries(row.recoveredByStage)) {
        if (!amount) continue;
        const entry = byStageRecovered.get(stage) ?? { recovered: 0, paying: 0 };
        entry.recovered += amount;
        entry.paying += 1;
        byStageRecovered.set(stage, entry);
      }
    } else if ((row.recoveredMinor ?? 0) > 0) {
      unattributed += row.recoveredMinor ?? 0;
      unattributedCases += 1;
    }
  }

  const casesAt = new Map<string, number>();
  for (const row of rows) if (row.stage) casesAt.set(row.stage, (casesAt.get(row.stage) ?? 0) + 1);
  const funnel: FunnelRow[] = schemas.Stage.options.map((stage) => {
    const entry = byStageRecovered.get(stage) ?? { recovered: 0, paying: 0 };
    return { stage, casesAtStage: casesAt.get(stage) ?? 0, payingCases: entry.paying, recoveredMinor: entry.recovered, share: ratio(entry.recovered, overall.recoveredMinor) };
  });
  if (unattributed > 0) {
    funnel.push({ stage: 'unattributed', casesAtStage: 0, payingCases: unattributedCases, recoveredMinor: unattributed, share: ratio(unattributed, overall.recoveredMinor) });
  }

  return {
    cases: overall.cases,
    recoveryRate: overall.recoveryRate,
    costEffectivenessRatio: overall.costEffectivenessRatio,
    cureRate: overall.cureRate,
    promiseKeptRate: ratio(kept, kept + broken),
    rightPartyContactRate: ratio(rpcYes, rpcKnown),
    byStage: grouped(rows, (r) => r.stage, schemas.Stage.options),
    byState: grouped(rows, reportedState, schemas.CaseState.options),
    funnel,
    bySegment: grouped(rows, (r) => r.segment),
    byStrategy: grouped(rows, (r) => r.strategy),
  };
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
  if (currencies.size > 1) {
    const list = [...currencies].map(([c, n]) => `${c} (${n})`).join(', ');
    throw new ReportError('mixed_currencies', `cases in several currencies: ${list}; report on one at a time (--currency)`);
  }
  return { rows, currency: options.currency ?? [...currencies.keys()][0] };
}

/** Pages through every matching case (open and closed) and computes the KPIs. */
export async function buildReport(client: Client, options: ReportOptions = {}): Promise<Report> {
  const { rows } = await collectCaseRows(client, options);
  return summarize(rows);
}
