/**
 * The case archive (spec section 11) end to end: real cases on the suite's Temporal dev
 * server (fast policy) with a worker writing to a real PostgreSQL (embedded, of this file's
 * own, so it can be stopped), read back through the report, the real CLI and rebuild.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../scripts/tools/embedded-postgres';
import { CaseArchive, inTransaction } from '../src/archive/case-archive';
import { rebuildArchive } from '../src/client/archive-rebuild';
import { listCases } from '../src/client/case-list';
import { buildEvidence, renderEvidenceHtml } from '../src/client/evidence';
import { buildArchiveReport, type Report } from '../src/client/reports';
import { caseWorkflowId } from '../src/shared/ids';
import type { CaseStatus } from '../src/shared/schemas';
import { runCli } from './support/cli';
import { eventually as poll } from './support/eventually';
import { caseInput, FAST_POLICY, startHarness, waitForStatus, type Harness } from './support/harness';
import { derivePolicy, scaleSeconds } from './support/policies';

/**
 * The fast policy four times as fast (a quarter second per day: the mixed run's ladders end
 * within about 20 s of real time, which this file's dev server needs: rebuild and the CLI read
 * visibility, which the time-skipping server does not serve), with every step 2 s later. On a
 * loaded machine the first workflow task (planCase, a local activity) can outlast a very short
 * first step; the archive's checks do not depend on how soon the first step comes.
 */
const FIRST_STEP_LATER = derivePolicy(FAST_POLICY, (p) => {
  scaleSeconds(p, 0.25);
  for (const ladder of Object.values(p.ladders)) for (const step of ladder.steps) step.at = `${Number.parseInt(String(step.at), 10) + 2000}ms`;
});

let h: Harness;
let db: EmbeddedPostgresHandle;
let archive: CaseArchive;
let dataDir: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'archive-test-'));
  db = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), port: await freePort() });
  // Short pool timeouts: the outage test stops the server under the worker.
  archive = await CaseArchive.open(db.url, { pool: { connectionTimeoutMillis: 2_000 } });
  h = await startHarness({ archive, policyFiles: [FIRST_STEP_LATER] });
});

afterAll(async () => {
  await h?.stop();
  await archive?.close();
  await db?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const pay = (loanId: string, paymentId: string, amountMinor: number) =>
  h.cases.recordPayment(loanId, { paymentId, amountMinor, currency: 'CNY', receivedAt: new Date().toISOString() });
const result = (loanId: string) => h.client.workflow.getHandle(caseWorkflowId(loanId)).result();

/** The suite's polling helper, every half second. */
const eventually = <T>(probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> => poll(probe, ok, { timeoutMs, what, intervalMs: 500 });

/** The portfolio figures the report must show, computed from the cases' own `status` answers. */
function figuresFromStatuses(statuses: CaseStatus[]) {
  const count = (key: (s: CaseStatus) => string | undefined) => {
    const out: Record<string, number> = {};
    for (const s of statuses) out[key(s) ?? 'unknown'] = (out[key(s) ?? 'unknown'] ?? 0) + 1;
    return out;
  };
  const sum = (f: (s: CaseStatus) => number) => statuses.reduce((acc, s) => acc + f(s), 0);
  return {
    cases: statuses.length,
    amountDueMinor: sum((s) => s.amountDueMinor),
    outstandingMinor: sum((s) => s.outstandingMinor),
    // No overpayment in these runs: recovered = paid.
    recoveredMinor: sum((s) => s.paidMinor),
    costMinor: sum((s) => s.costMinor),
    paidInFull: statuses.filter((s) => s.outcome === 'paid_in_full').length,
    byStage: count((s) => s.stage),
    byState: count((s) => s.state),
    bySegment: count((s) => s.segment),
    byStrategy: count((s) => s.strategy),
  };
}

function figuresFromReport(r: Report) {
  const nonEmpty = (groups: Record<string, { cases: number }>) => Object.fromEntries(Object.entries(groups).filter(([, g]) => g.cases > 0).map(([k, g]) => [k, g.cases]));
  const total = (field: 'amountDueMinor' | 'outstandingMinor' | 'recoveredMinor' | 'costMinor' | 'paidInFull') => Object.values(r.byStage).reduce((acc, g) => acc + g[field], 0);
  return {
    cases: r.cases,
    amountDueMinor: total('amountDueMinor'),
    outstandingMinor: total('outstandingMinor'),
    recoveredMinor: total('recoveredMinor'),
    costMinor: total('costMinor'),
    paidInFull: total('paidInFull'),
    byStage: nonEmpty(r.byStage),
    byState: nonEmpty(r.byState),
    bySegment: nonEmpty(r.bySegment),
    byStrategy: nonEmpty(r.byStrategy),
  };
}

const loans: string[] = [];
const statusesOf = (ids: string[]) => Promise.all(ids.map((id) => h.cases.status(id)));
const archivedReport = async () => (await buildArchiveReport(archive)).report;

/** `collections --json ...` as an operator runs it: a Node process of its own, which ends with its database connections. */
const cli = (env: NodeJS.ProcessEnv, ...args: string[]) => runCli(env, '--json', ...args);
const cliEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  TEMPORAL_ADDRESS: inject('temporalAddress'),
  TEMPORAL_NAMESPACE: inject('temporalNamespace'),
  TASK_QUEUE: h.taskQueue,
  DATABASE_URL: db.url,
  LOG_LEVEL: 'warn',
});

describe('case archive', () => {
  it('after a mixed run, the report from the archive equals the figures of the cases’ own status', async () => {
    const paths: Array<() => Promise<string>> = [
      async () => {
        const input = caseInput();
        await h.cases.open(input);
        await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
        await pay(input.loanId, 'FULL-1', input.amountDueMinor);
        return input.loanId;
      },
      async () => {
        const input = caseInput({ amountDueMinor: 2_000_000 });
        await h.cases.open(input);
        await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
        await h.cases.signal(input.loanId, 'promiseToPay', { amountMinor: 2_000_000, dueDate: inSeconds(6) });
        await waitForStatus(h, input.loanId, (s) => s.state === 'promised');
        await pay(input.loanId, 'PROMISED-1', 2_000_000);
        return input.loanId;
      },
      async () => {
        const input = caseInput({ amountDueMinor: 3_000_000 });
        await h.cases.open(input);
        await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
        await h.cases.signal(input.loanId, 'settlementOffer', { amountMinor: 2_000_000, validUntil: inSeconds(10) });
        await waitForStatus(h, input.loanId, (s) => s.promise?.kind === 'settlement');
        await pay(input.loanId, 'SETTLE-1', 2_000_000);
        return input.loanId;
      },
      async () => {
        // Small balance: placed with an agency, pays part there, recalled, written off.
        const input = caseInput({ amountDueMinor: 150_000 });
        await h.cases.open(input);
        await waitForStatus(h, input.loanId, (s) => s.stage === 'agency', 80_000);
        await pay(input.loanId, 'AGENCY-1', 50_000);
        return input.loanId;
      },
      async () => {
        // A partial payment, a broken promise, then litigation.
        const input = caseInput({ history: { previousDelinquencies: 3, brokenPromises: 2, monthsOnBook: 6 } });
        await h.cases.open(input);
        await waitForStatus(h, input.loanId, (s) => s.stage === 'sms');
        await pay(input.loanId, 'PART-1', 1_000_000);
        // Due soon, but not so soon that a loaded machine delivers the promise after its due date.
        await h.cases.signal(input.loanId, 'promiseToPay', { amountMinor: 500_000, dueDate: inSeconds(4) });
        return input.loanId;
      },
      async () => {
        const input = caseInput();
        await h.cases.open(input);
        return input.loanId;
      },
    ];
    loans.push(...(await Promise.all(paths.map((p) => p()))));
    const results = await Promise.all(loans.map(result));
    expect(new Set(results.map((r) => r.outcome))).toEqual(new Set(['paid_in_full', 'settled', 'written_off', 'litigation_filed']));

    const expected = figuresFromStatuses(await statusesOf(loans));
    const report = await eventually(archivedReport, (r) => equal(figuresFromReport(r), expected), 30_000, 'the archive to catch up');
    expect(figuresFromReport(report)).toEqual(expected);
    expect(report.cureRate).toBeCloseTo(expected.paidInFull / expected.cases, 10);
    expect(report.recoveryRate).toBeCloseTo(expected.recoveredMinor / expected.amountDueMinor, 10);
    expect(report.promiseKeptRate).toBeCloseTo(2 / 3, 10); // promise kept, settlement paid; one promise broken

    // Every event once: the archive holds each case's whole timeline, in order.
    for (const loanId of loans) {
      const record = await archive.caseRecord(loanId);
      expect(record?.timeline.map(withoutTime)).toEqual((await h.cases.timeline(loanId)).map(withoutTime));
      expect(record?.case.executionStatus).toBe('COMPLETED');
    }

    // The real CLI reads the same report from the archive.
    const fromCli = await cli(cliEnv(), 'report');
    expect(fromCli.stderr).toBe('');
    expect(fromCli.json).toEqual(report);
  });

  it('rebuild refills a lost archive from Temporal and gives the same report', async () => {
    const before = await archivedReport();
    await archive.pool.query('TRUNCATE archive_cases CASCADE');
    expect((await archivedReport()).cases).toBe(0);
    const rebuilt = await rebuildArchive(h.cases, archive, { query: `TaskQueue = '${h.taskQueue}'` });
    expect(rebuilt.failed).toEqual([]);
    expect(rebuilt.cases).toBe(loans.length);
    expect(await archivedReport()).toEqual(before);
    // Idempotent: again through the CLI, nothing changes.
    const again = await cli(cliEnv(), 'archive', 'rebuild', '--query', `TaskQueue = '${h.taskQueue}'`);
    expect(again.code).toBe(0);
    expect(await archivedReport()).toEqual(before);
    const { rows } = await archive.pool.query<{ n: string }>('SELECT count(*) AS n FROM archive_events');
    const timelines = await Promise.all(loans.map((id) => h.cases.timeline(id)));
    expect(Number(rows[0]!.n)).toBe(timelines.reduce((acc, t) => acc + t.length, 0));
  });

  it('lists cases and builds the evidence pack of a case whose history is gone from the archive', async () => {
    const page1 = await listCases(h.client, { pageSize: 4 }, archive);
    expect(page1.cases).toHaveLength(4);
    expect(page1.nextPageToken).toBeDefined();
    const page2 = await listCases(h.client, { pageSize: 4, pageToken: page1.nextPageToken }, archive);
    expect(new Set([...page1.cases, ...page2.cases].map((c) => c.loanId))).toEqual(new Set(loans));
    expect(page2.nextPageToken).toBeUndefined();
    await expect(listCases(h.client, { pageSize: 4, stage: 'litigation', pageToken: page1.nextPageToken }, archive)).rejects.toThrow(/pageToken/);
    const litigation = await listCases(h.client, { stage: 'litigation' }, archive);
    expect(litigation.cases.length).toBeGreaterThan(0);
    expect(litigation.cases.every((c) => c.stage === 'litigation' && c.status === 'COMPLETED')).toBe(true);

    // Temporal's retention deletes the closed case's history; the archive still has its record.
    const loanId = loans[0]!;
    const archivedTimeline = (await archive.caseRecord(loanId))!.timeline;
    await h.client.workflowService.deleteWorkflowExecution({ namespace: inject('temporalNamespace'), workflowExecution: { workflowId: caseWorkflowId(loanId) } });
    const pack = await eventually(() => buildEvidence(h.cases, loanId, 'auditor', archive), (p) => p.source === 'archive', 30_000, 'the history to be deleted');
    expect(pack).toMatchObject({ loanId, exportedBy: 'auditor', source: 'archive', executionStatus: 'COMPLETED', status: { outcome: 'paid_in_full', outstandingMinor: 0 } });
    expect(pack.timeline).toEqual(archivedTimeline);
    expect(pack.payments.map((p) => p.paymentId)).toEqual(['FULL-1']);
    expect(pack.debtor).toEqual({ type: 'individual', timezone: 'Asia/Shanghai' });
    expect(renderEvidenceHtml(pack)).toContain('FULL-1');
  });

  it('a database outage delays the archive and never fails or stalls a case; the archive catches up', async () => {
    const inputs = [caseInput(), caseInput(), caseInput()];
    await Promise.all(inputs.map((input) => h.cases.open(input)));
    await Promise.all(inputs.map((input) => waitForStatus(h, input.loanId, (s) => s.stage === 'sms')));
    await eventually(() => archive.caseRecord(inputs[2]!.loanId), (r) => r !== undefined, 20_000, 'the first write');

    await db.stop();
    // The cases go on without their archive: payments resolve two of them, the third escalates.
    await pay(inputs[0]!.loanId, 'OUTAGE-1', inputs[0]!.amountDueMinor);
    await pay(inputs[1]!.loanId, 'OUTAGE-2', inputs[1]!.amountDueMinor);
    await waitForStatus(h, inputs[0]!.loanId, (s) => s.state === 'resolved', 20_000);
    await waitForStatus(h, inputs[1]!.loanId, (s) => s.state === 'resolved', 20_000);
    // Escalated past its first step (how far depends on the machine's speed).
    await waitForStatus(h, inputs[2]!.loanId, (s) => s.stage !== 'sms', 30_000);
    await db.start();

    const results = await Promise.all([result(inputs[0]!.loanId), result(inputs[1]!.loanId)]);
    expect(results.map((r) => r.outcome)).toEqual(['paid_in_full', 'paid_in_full']);
    for (const input of inputs.slice(0, 2)) {
      const status = await h.cases.status(input.loanId);
      const record = await eventually(() => archive.caseRecord(input.loanId), (r) => r?.case.executionStatus === 'COMPLETED', 120_000, `case ${input.loanId} archived`);
      expect(record!.case).toMatchObject({ state: status.state, stage: status.stage, outstandingMinor: status.outstandingMinor, paidMinor: status.paidMinor, costMinor: status.costMinor, outcome: 'paid_in_full' });
      expect(record!.timeline.map(withoutTime)).toEqual((await h.cases.timeline(input.loanId)).map(withoutTime));
    }
    // The open case catches up at its next wake-ups.
    await eventually(
      async () => [(await archive.caseRecord(inputs[2]!.loanId))?.case.stage, (await h.cases.status(inputs[2]!.loanId)).stage],
      ([archived, live]) => archived === live && live !== 'sms',
      60_000,
      'the open case to catch up',
    );
    // Closed at the end of its ladder, and archived so: the purge below counts closed cases.
    expect((await result(inputs[2]!.loanId)).outcome).toBe('litigation_filed');
    await eventually(() => archive.caseRecord(inputs[2]!.loanId), (r) => r?.case.executionStatus === 'COMPLETED', 60_000, 'the last case archived as closed');
  });

  it('a write whose database connection drops fails that write; the process and the pool go on', async () => {
    // The backend is ended from another connection while the transaction waits in it: the client
    // emits 'error' while checked out, which an unlistened client turns into an uncaught exception.
    const marker = `archive-test-${Date.now()}`;
    const running = inTransaction(archive.pool, (tx) => tx.query(`SELECT pg_sleep(30) /* ${marker} */`));
    const [backend] = await eventually(
      async () => (await archive.pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1", [`%${marker} */`])).rows,
      (rows) => rows.length === 1,
      10_000,
      'the transaction to be waiting',
    );
    await archive.pool.query('SELECT pg_terminate_backend($1)', [backend!.pid]);
    await expect(running).rejects.toThrow(/terminat/);
    expect((await archive.pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
  });

  it('purge removes the cases closed before its date, never open ones', async () => {
    // An open case, archived, then held (paused) so it stays open whatever the machine's speed.
    const held = caseInput();
    await h.cases.open(held);
    await eventually(() => archive.caseRecord(held.loanId), (r) => r !== undefined, 30_000, 'the held case archived');
    await h.cases.signal(held.loanId, 'pause', { reason: 'kept open for the purge' });
    await waitForStatus(h, held.loanId, (s) => s.state === 'paused');
    const env = cliEnv();
    const open = (await archive.pool.query<{ n: string }>("SELECT count(*) AS n FROM archive_cases WHERE closed_at IS NULL")).rows[0]!.n;
    const closed = Number((await archive.pool.query<{ n: string }>('SELECT count(*) AS n FROM archive_cases WHERE closed_at IS NOT NULL')).rows[0]!.n);
    expect(Number(open)).toBeGreaterThan(0);
    expect(closed).toBeGreaterThanOrEqual(loans.length);

    // None of these removes anything: side by side.
    const [old, dry, bad] = await Promise.all([
      cli(env, 'archive', 'purge', '--before', '2020-01-01'),
      cli(env, 'archive', 'purge', '--before', inSeconds(60), '--dry-run'),
      cli(env, 'archive', 'purge', '--before', 'last tuesday'),
    ]);
    expect(old.json).toMatchObject({ cases: 0, dryRun: false });
    expect(dry.json).toMatchObject({ cases: closed, dryRun: true });
    expect(bad.code).toBe(2);
    const purged = await cli(env, 'archive', 'purge', '--before', inSeconds(60));
    expect(purged.json).toMatchObject({ cases: closed, dryRun: false });
    expect((await archivedReport()).cases).toBe(Number(open));
    expect(await archive.caseRecord(loans[0]!)).toBeUndefined();
    expect((await archive.caseRecord(held.loanId))?.case.executionStatus).toBe('RUNNING');
  });
});

/**
 * Timeline events without their instant: a closed case answers queries by replaying its
 * history, and an event noted after a local activity that outlived its workflow task
 * (a loaded machine) gets the replay's clock; the archive keeps the instant it was written with.
 */
function withoutTime(e: { kind: string; detail: string }) {
  return { kind: e.kind, detail: e.detail };
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([x], [y]) => x.localeCompare(y)).map(([k, v]) => [k, sortKeys(v)]));
  return value;
}
