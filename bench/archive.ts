/**
 * The report query over a 100,000-case archive (spec section 11: under a second), against
 * the visibility-paged report measured in the same run on the cases in the dev server (the
 * earlier phases' and VISIBILITY_CASES more opened here on a task queue no worker polls),
 * extrapolated linearly to the archive's size (it pages 1,000 rows at a
 * time and adds them up in Node, so its cost grows with the number of cases).
 *
 * The archive is an embedded PostgreSQL of its own, filled server-side with cases of
 * realistic shape (segments, strategy arms, stages, states, outcomes, partial recoveries,
 * recovery by stage) and eight timeline events per case.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startEmbeddedPostgres } from '../scripts/tools/embedded-postgres';
import { CaseArchive } from '../src/archive/case-archive';
import { CaseService } from '../src/client/case-service';
import { buildArchiveReport, collectCaseRows, summarize } from '../src/client/reports';
import type { BenchConfig } from './config';
import { caseInputs } from './fixtures';
import type { Stack, Teardown } from './stack';
import { mapPool, median } from './stats';

export interface ArchiveResult {
  archivedCases: number;
  archivedEvents: number;
  fillSeconds: number;
  /** Median of the repeats, warm. */
  archiveReportMs: number;
  visibilityCases: number;
  visibilityReportMs: number;
  /** visibilityReportMs scaled to archivedCases. */
  visibilityExtrapolatedMs: number;
  ratio: number;
}

export const ARCHIVE_BENCH_CASES = 100_000;
const VISIBILITY_CASES = 1_000;
const EVENTS_PER_CASE = 8;

/** Cases spread over the dimensions the report groups by; money in the ranges of the sample portfolio. */
const FILL_CASES = `
INSERT INTO archive_cases (case_key, loan_id, workflow_id, run_id, execution_status, opened_at, closed_at, overdue_since, product, reason,
  policy_id, debtor_type, timezone, currency, amount_due_minor, outstanding_minor, paid_minor, recovered_minor, cost_minor, stage, state,
  outcome, segment, strategy, promises_kept, promises_broken, right_party_contact, recovered_by_stage, version)
SELECT 'collection-B' || i || '/2026-10-01', 'B' || i, 'collection-B' || i, md5(i::text), CASE WHEN i % 3 = 0 THEN 'RUNNING' ELSE 'COMPLETED' END,
  now() - (i % 400) * interval '1 day', CASE WHEN i % 3 = 0 THEN NULL ELSE now() - (i % 200) * interval '1 day' END, date '2026-10-01',
  (ARRAY['personal_loan','credit_card','corporate_loan'])[1 + i % 3], 'overdue', 'default', CASE WHEN i % 10 = 0 THEN 'corporate' ELSE 'individual' END,
  'Asia/Shanghai', 'CNY', due, due - paid, paid, paid, 500 + (i % 7) * 1500,
  (ARRAY['sms','phone','letter','lawyer_letter','litigation','agency'])[1 + i % 6],
  CASE WHEN i % 3 = 0 THEN (ARRAY['active','paused','promised','disputed'])[1 + i % 4] ELSE 'resolved' END,
  CASE WHEN i % 3 = 0 THEN NULL ELSE (ARRAY['paid_in_full','settled','litigation_filed','placed_with_agency','written_off'])[1 + i % 5] END,
  (ARRAY['standard','high_risk','small_balance','corporate'])[1 + i % 4], CASE WHEN i % 2 = 0 THEN 'champion' ELSE 'challenger' END,
  i % 3, i % 2, i % 5 <> 0, jsonb_build_object('sms', paid / 2, 'phone', paid - paid / 2), 10
FROM (SELECT i, 100000 + (i * 7919) % 20000000 AS due, ((100000 + (i * 7919) % 20000000) * (i % 4)) / 4 AS paid FROM generate_series(1, $1::int) AS i) AS s`;

const FILL_EVENTS = `
INSERT INTO archive_events (case_key, seq, at, kind, detail, data)
SELECT 'collection-B' || i || '/2026-10-01', e, now() - (i % 400) * interval '1 day' + e * interval '1 hour',
  (ARRAY['case_opened','segment_assigned','sms_sent','sms_sent','call_task_created','call_outcome','letter_sent','payment_received'])[1 + e],
  'SMS reminder sent to +86138****8000 (payment_reminder)', jsonb_build_object('step', 'sms-' || e, 'providerRef', 'sms_' || i || '_' || e)
FROM generate_series(1, $1::int) AS i, generate_series(0, ${EVENTS_PER_CASE - 1}) AS e`;

export async function benchArchive(stack: Stack, config: BenchConfig, teardown: Teardown): Promise<ArchiveResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'collections-bench-archive-'));
  teardown.add('remove the archive database files', () => fs.rm(dir, { recursive: true, force: true }));
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort() });
  teardown.add('stop the archive database', () => pg.stop());
  const archive = await CaseArchive.open(pg.url);
  teardown.add('close the archive pool', () => archive.close());

  // Visibility rows for the baseline: opened with their memo and search attributes, never run.
  const unpolled = new CaseService(stack.client, `bench-archive-${randomUUID()}`, stack.cases.policies);
  await mapPool(caseInputs('ar', VISIBILITY_CASES), config.concurrency, (input) => unpolled.open(input));

  const fillStart = Date.now();
  await archive.pool.query(FILL_CASES, [ARCHIVE_BENCH_CASES]);
  await archive.pool.query(FILL_EVENTS, [ARCHIVE_BENCH_CASES]);
  await archive.pool.query('ANALYZE');
  const fillSeconds = (Date.now() - fillStart) / 1000;

  const timed = async (fn: () => Promise<unknown>): Promise<number> => {
    const start = performance.now();
    await fn();
    return performance.now() - start;
  };
  const archiveTimes: number[] = [];
  const visibilityTimes: number[] = [];
  let visibilityCases = 0;
  let archivedCases = 0;
  await buildArchiveReport(archive); // warm-up: connections, plans
  for (let rep = 0; rep < config.repeats; rep += 1) {
    archiveTimes.push(await timed(async () => void (archivedCases = (await buildArchiveReport(archive)).report.cases)));
    // The baseline pages every case of the namespace (seconds each): once is enough for a ratio near 0.01.
    if (rep === 0) visibilityTimes.push(await timed(async () => void (visibilityCases = summarize((await collectCaseRows(stack.client)).rows).cases)));
  }
  const archiveReportMs = median(archiveTimes);
  const visibilityReportMs = median(visibilityTimes);
  const visibilityExtrapolatedMs = visibilityCases > 0 ? (visibilityReportMs / visibilityCases) * archivedCases : Number.NaN;
  return {
    archivedCases,
    archivedEvents: ARCHIVE_BENCH_CASES * EVENTS_PER_CASE,
    fillSeconds,
    archiveReportMs,
    visibilityCases,
    visibilityReportMs,
    visibilityExtrapolatedMs,
    ratio: archiveReportMs / visibilityExtrapolatedMs,
  };
}
