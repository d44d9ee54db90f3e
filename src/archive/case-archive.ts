import { Pool, type PoolClient, type PoolConfig } from 'pg';
import type { ArchiveBatch, ArchivedCase } from '../shared/archive';
import type { TimelineEvent } from '../shared/schemas';
import type { TimelineKind } from '../shared/timeline';
import { migrateArchive } from './migrate';
import { emptyTotals, type GroupTotals, type ReportTotals } from './report-totals';

/**
 * The case archive in PostgreSQL (spec section 11): written by the archive activity,
 * read by reports, the case list and the evidence pack. Schema: migrations/.
 */

/** A WHERE clause over `archive_cases` (column names as in the table) with its `$n` parameters. */
export interface SqlFilter {
  clause: string;
  params: unknown[];
}

export const ALL_CASES: SqlFilter = { clause: 'TRUE', params: [] };

/** Row columns as ArchivedCase fields (bigint sums come back as strings and are converted). */
const CASE_COLUMNS = `case_key AS "caseKey", loan_id AS "loanId", workflow_id AS "workflowId", run_id AS "runId",
  execution_status AS "executionStatus", opened_at AS "openedAt", closed_at AS "closedAt", to_char(overdue_since, 'YYYY-MM-DD') AS "overdueSince",
  product, reason, policy_id AS "policyId", debtor_type AS "debtorType", timezone, currency,
  amount_due_minor::float8 AS "amountDueMinor", outstanding_minor::float8 AS "outstandingMinor", paid_minor::float8 AS "paidMinor",
  recovered_minor::float8 AS "recoveredMinor", cost_minor::float8 AS "costMinor", stage, state, outcome, segment, strategy,
  promises_kept AS "promisesKept", promises_broken AS "promisesBroken", right_party_contact AS "rightPartyContact",
  recovered_by_stage AS "recoveredByStage", version::float8 AS version`;

const UPSERT_CASE = `
INSERT INTO archive_cases (case_key, loan_id, workflow_id, run_id, execution_status, opened_at, closed_at, overdue_since, product, reason,
  policy_id, debtor_type, timezone, currency, amount_due_minor, outstanding_minor, paid_minor, recovered_minor, cost_minor, stage, state,
  outcome, segment, strategy, promises_kept, promises_broken, right_party_contact, recovered_by_stage, version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)
ON CONFLICT (case_key) DO UPDATE SET
  run_id = excluded.run_id, execution_status = excluded.execution_status, opened_at = excluded.opened_at, closed_at = excluded.closed_at,
  policy_id = coalesce(excluded.policy_id, archive_cases.policy_id), product = coalesce(excluded.product, archive_cases.product),
  reason = coalesce(excluded.reason, archive_cases.reason), timezone = coalesce(excluded.timezone, archive_cases.timezone),
  debtor_type = coalesce(excluded.debtor_type, archive_cases.debtor_type), outstanding_minor = excluded.outstanding_minor, paid_minor = excluded.paid_minor,
  recovered_minor = excluded.recovered_minor, cost_minor = excluded.cost_minor, stage = excluded.stage, state = excluded.state,
  outcome = excluded.outcome, segment = excluded.segment, strategy = excluded.strategy, promises_kept = excluded.promises_kept,
  promises_broken = excluded.promises_broken, right_party_contact = excluded.right_party_contact,
  recovered_by_stage = excluded.recovered_by_stage, version = excluded.version, archived_at = now()
WHERE archive_cases.version <= excluded.version`;

const INSERT_EVENTS = `
INSERT INTO archive_events (case_key, seq, at, kind, detail, data)
SELECT $1, e.seq, e.at, e.kind, e.detail, e.data::jsonb
FROM unnest($2::int[], $3::timestamptz[], $4::text[], $5::text[], $6::text[]) AS e(seq, at, kind, detail, data)
ON CONFLICT (case_key, seq) DO NOTHING`;

const withoutNulls = <T extends object>(row: T): T => Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null && v !== undefined)) as T;

function caseFromRow(row: Record<string, unknown>): ArchivedCase {
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v);
  return withoutNulls({ ...row, openedAt: iso(row.openedAt), closedAt: iso(row.closedAt) }) as ArchivedCase;
}

/** `$n` placeholders continue after the filter's own parameters. */
const nextParam = (filter: SqlFilter, offset = 0) => `$${filter.params.length + offset + 1}`;

export class CaseArchive {
  private constructor(readonly pool: Pool) {}

  /** Connects and brings the schema up to date (idempotent; concurrent starts wait on the migration lock). */
  static async open(databaseUrl: string, options: { log?: (message: string) => void; pool?: PoolConfig } = {}): Promise<CaseArchive> {
    await migrateArchive(databaseUrl, options.log);
    const pool = new Pool({ connectionString: databaseUrl, max: 10, connectionTimeoutMillis: 5_000, ...options.pool });
    // An idle client whose server went away must not crash the process; the next query reconnects.
    pool.on('error', (error) => options.log?.(`archive connection lost: ${error.message}`));
    return new CaseArchive(pool);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** One case's new events and current figures, in one transaction. A retry adds nothing; an older write never overwrites a newer one. */
  async write(batch: ArchiveBatch): Promise<void> {
    const c = batch.case;
    await inTransaction(this.pool, async (db) => {
      await db.query(UPSERT_CASE, [
        c.caseKey, c.loanId, c.workflowId, c.runId, c.executionStatus, c.openedAt, c.closedAt ?? null, c.overdueSince ?? null, c.product ?? null,
        c.reason ?? null, c.policyId ?? null, c.debtorType ?? null, c.timezone ?? null, c.currency, c.amountDueMinor, c.outstandingMinor, c.paidMinor,
        c.recoveredMinor, c.costMinor, c.stage ?? null, c.state ?? null, c.outcome ?? null, c.segment ?? null, c.strategy ?? null, c.promisesKept,
        c.promisesBroken, c.rightPartyContact ?? null, c.recoveredByStage ? JSON.stringify(c.recoveredByStage) : null, c.version,
      ]);
      if (batch.events.length === 0) return;
      const e = batch.events;
      await db.query(INSERT_EVENTS, [
        c.caseKey,
        e.map((_, i) => batch.firstSeq + i),
        e.map((x) => x.at),
        e.map((x) => x.kind),
        e.map((x) => x.detail),
        e.map((x) => (x.data === undefined ? null : JSON.stringify(x.data))),
      ]);
    });
  }

  /** How many cases match, per currency. */
  async currencies(filter: SqlFilter): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ currency: string; n: string }>(`SELECT currency, count(*) AS n FROM archive_cases WHERE ${filter.clause} GROUP BY currency`, filter.params);
    return new Map(rows.map((r) => [r.currency, Number(r.n)]));
  }

  /** The report's sums, added up by PostgreSQL in two statements (no row leaves the database). */
  async reportTotals(filter: SqlFilter): Promise<ReportTotals> {
    const sums = `count(*)::float8 AS cases, coalesce(sum(amount_due_minor), 0)::float8 AS "amountDueMinor",
      coalesce(sum(recovered_minor), 0)::float8 AS "recoveredMinor", coalesce(sum(outstanding_minor), 0)::float8 AS "outstandingMinor",
      coalesce(sum(cost_minor), 0)::float8 AS "costMinor", (count(*) FILTER (WHERE outcome = 'paid_in_full'))::float8 AS "paidInFull"`;
    // A closed run without an outcome (terminated, failed...) is reported under its execution status.
    const scoped = `SELECT *, CASE WHEN execution_status <> 'RUNNING' AND outcome IS NULL THEN lower(execution_status) ELSE state END AS reported_state
      FROM archive_cases WHERE ${filter.clause}`;
    const groups = await this.pool.query<GroupTotals & { dim: string; key: string | null; kept: number; broken: number; rpcKnown: number; rpcYes: number }>(
      `WITH c AS (${scoped})
       SELECT CASE WHEN GROUPING(stage) = 0 THEN 'stage' WHEN GROUPING(reported_state) = 0 THEN 'state'
                   WHEN GROUPING(segment) = 0 THEN 'segment' WHEN GROUPING(strategy) = 0 THEN 'strategy' ELSE 'total' END AS dim,
              coalesce(stage, reported_state, segment, strategy) AS key, ${sums},
              coalesce(sum(promises_kept), 0)::float8 AS kept, coalesce(sum(promises_broken), 0)::float8 AS broken,
              count(right_party_contact)::float8 AS "rpcKnown", (count(*) FILTER (WHERE right_party_contact))::float8 AS "rpcYes"
       FROM c GROUP BY GROUPING SETS ((), (stage), (reported_state), (segment), (strategy))`,
      filter.params,
    );
    const funnel = await this.pool.query<{ stage: string; recoveredMinor: number; payingCases: number }>(
      `WITH c AS (SELECT recovered_by_stage, recovered_minor FROM archive_cases WHERE ${filter.clause})
       SELECT s.key AS stage, sum(s.value::bigint)::float8 AS "recoveredMinor", count(*)::float8 AS "payingCases"
         FROM c, jsonb_each_text(c.recovered_by_stage) AS s WHERE s.value::bigint > 0 GROUP BY s.key
       UNION ALL
       SELECT 'unattributed', coalesce(sum(recovered_minor), 0)::float8, count(*)::float8 FROM c WHERE recovered_by_stage IS NULL AND recovered_minor > 0`,
      filter.params,
    );
    const totals: ReportTotals = {
      total: emptyTotals(), promisesKept: 0, promisesBroken: 0, rpcKnown: 0, rpcYes: 0,
      byStage: {}, byState: {}, bySegment: {}, byStrategy: {}, recoveredInStage: {}, unattributed: { recoveredMinor: 0, payingCases: 0 },
    };
    const dims = { stage: totals.byStage, state: totals.byState, segment: totals.bySegment, strategy: totals.byStrategy } as Record<string, Record<string, GroupTotals>>;
    for (const { dim, key, kept, broken, rpcKnown, rpcYes, ...group } of groups.rows) {
      if (dim === 'total') Object.assign(totals, { total: group, promisesKept: kept, promisesBroken: broken, rpcKnown, rpcYes });
      else dims[dim]![key ?? 'unknown'] = group;
    }
    for (const row of funnel.rows) {
      if (row.stage === 'unattributed') totals.unattributed = { recoveredMinor: row.recoveredMinor, payingCases: row.payingCases };
      else totals.recoveredInStage[row.stage] = { recoveredMinor: row.recoveredMinor, payingCases: row.payingCases };
    }
    return totals;
  }

  /** A page of cases, newest first, after the (openedAt, caseKey) of the previous page's last case. */
  async listCases(filter: SqlFilter, limit: number, after?: { openedAt: string; caseKey: string }): Promise<ArchivedCase[]> {
    const params = [...filter.params];
    let clause = filter.clause;
    if (after) {
      clause += ` AND (opened_at, case_key) < (${nextParam(filter)}::timestamptz, ${nextParam(filter, 1)})`;
      params.push(after.openedAt, after.caseKey);
    }
    params.push(limit);
    const { rows } = await this.pool.query(`SELECT ${CASE_COLUMNS} FROM archive_cases WHERE ${clause} ORDER BY opened_at DESC, case_key DESC LIMIT $${params.length}`, params);
    return rows.map(caseFromRow);
  }

  /** The latest case of a loan (its most recent overdue episode) with every archived event, in order. */
  async caseRecord(loanId: string): Promise<{ case: ArchivedCase; timeline: TimelineEvent[] } | undefined> {
    const found = await this.pool.query(`SELECT ${CASE_COLUMNS} FROM archive_cases WHERE loan_id = $1 ORDER BY opened_at DESC LIMIT 1`, [loanId]);
    if (found.rows.length === 0) return undefined;
    const kase = caseFromRow(found.rows[0] as Record<string, unknown>);
    // Only the archiver writes these rows, from the case's typed timeline.
    const events = await this.pool.query<{ at: Date; kind: TimelineKind; detail: string; data: Record<string, unknown> | null }>(
      'SELECT at, kind, detail, data FROM archive_events WHERE case_key = $1 ORDER BY seq',
      [kase.caseKey],
    );
    return { case: kase, timeline: events.rows.map((e) => ({ at: e.at.toISOString(), kind: e.kind, detail: e.detail, ...(e.data ? { data: e.data } : {}) })) };
  }

  /** Deletes the cases closed before `before` with their events; open cases are never purged. */
  async purgeClosedBefore(before: Date, dryRun = false): Promise<{ cases: number; events: number }> {
    return inTransaction(this.pool, async (db) => {
      const counted = await db.query<{ cases: string; events: string }>(
        `SELECT count(*) AS cases, coalesce(sum((SELECT count(*) FROM archive_events e WHERE e.case_key = c.case_key)), 0) AS events
         FROM archive_cases c WHERE closed_at IS NOT NULL AND closed_at < $1`,
        [before],
      );
      if (!dryRun) await db.query('DELETE FROM archive_cases WHERE closed_at IS NOT NULL AND closed_at < $1', [before]);
      return { cases: Number(counted.rows[0]?.cases ?? 0), events: Number(counted.rows[0]?.events ?? 0) };
    });
  }
}

/**
 * Runs `work` in one transaction on a client of `pool`. A checked-out client whose connection
 * drops emits 'error', and the pool listens only while a client is idle: without a listener of
 * our own that is an uncaught exception, and a database outage in the middle of an archive
 * write ended the worker process. The query in flight fails with the error, so `work` fails
 * (the archiver retries it) and the client is discarded, not given back to the pool.
 */
export async function inTransaction<T>(pool: Pool, work: (db: PoolClient) => Promise<T>): Promise<T> {
  const db = await pool.connect();
  let lost: Error | undefined;
  const onLost = (error: Error) => {
    lost = error;
  };
  db.on('error', onLost);
  try {
    await db.query('BEGIN');
    const result = await work(db);
    await db.query('COMMIT');
    return result;
  } catch (error) {
    if (!lost) await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    db.removeListener('error', onLost);
    db.release(lost);
  }
}
