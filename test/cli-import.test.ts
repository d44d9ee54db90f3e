import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Report } from '../src/client/reports';
import { generatePortfolio, runCli, todayInShanghai, waitForVisibleCases } from './support/cli';

/**
 * `collections import` of a 1,000-row CSV against the suite's dev server, then again, then
 * `list` and `report` over all 1,000 cases.
 *
 * The cases go to a task queue no worker polls: what this proves (every row accepted, an
 * idempotent re-run, listing and reporting over 1,000 cases from visibility) does not depend
 * on the cases running, and 1,000 first workflow tasks would cost the suite a minute of CPU.
 * Running cases (staging, payments, the report's figures) are test/cli.test.ts, on 20 rows.
 * A file of its own, so it runs beside that one.
 */

const ROWS = 1000;
const run = randomUUID().slice(0, 8).toUpperCase();
const taskQueue = `cli-intake-${run}`;
const scratch = mkdtempSync(path.join(tmpdir(), 'cli-import-test-'));
const env = (): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_') && k !== 'TASK_QUEUE')),
  TEMPORAL_ADDRESS: inject('temporalAddress'),
  TEMPORAL_NAMESPACE: inject('temporalNamespace'),
  TASK_QUEUE: taskQueue,
  PAYLOAD_KEYS_FILE: inject('payloadKeysFile'),
  LOG_LEVEL: 'warn',
});
const cli = (...args: string[]) => runCli(env(), ...args);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('collections import of 1,000 rows', () => {
  it('imports a 1,000-row CSV, then again without opening anything new, and lists and reports all of them', { timeout: 240_000 }, async () => {
    const file = path.join(scratch, 'portfolio.csv');
    const rows = generatePortfolio(file, ROWS, `${run}-L`, todayInShanghai());

    const began = performance.now();
    const first = await cli('import', file, '--policy', 'default', '--json');
    const seconds = (performance.now() - began) / 1000;
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.json).toEqual({ opened: ROWS, alreadyOpen: 0, rejected: [] });
    console.log(`[cli-import.test] import of ${ROWS} rows: ${seconds.toFixed(1)} s (${(ROWS / seconds).toFixed(0)} cases/s, default concurrency, including CLI start-up)`);

    const again = performance.now();
    // At a higher concurrency (an option of the command): what this run proves does not depend on it.
    const second = await cli('import', file, '--policy', 'default', '--concurrency', '32', '--json');
    expect(second.code).toBe(0);
    expect(second.json).toEqual({ opened: 0, alreadyOpen: ROWS, rejected: [] });
    console.log(`[cli-import.test] the same file again: ${((performance.now() - again) / 1000).toFixed(1)} s`);

    // Every case is in visibility once, with the amount of its row (from the memo set at start).
    const scope = `TaskQueue = '${taskQueue}'`;
    const reading = performance.now();
    // Visibility catches up first, counted in this process (listing 1,000 cases costs a CLI process
    // a second of CPU); then the CLI, once.
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      await waitForVisibleCases(new Client({ connection, namespace: inject('temporalNamespace') }), `(${scope})`, ROWS, 'visibility to count the 1,000 imported cases');
    } finally {
      await connection.close();
    }
    const [listed, reported] = await Promise.all([cli('list', '--query', scope, '--limit', '0', '--json'), cli('report', '--query', scope, '--json')]);
    expect(listed.code).toBe(0);
    expect(listed.json).toHaveLength(ROWS);
    expect(listed.json.map((c: { loanId: string }) => c.loanId).sort()).toEqual(rows.map((r) => r.loanId).sort());
    expect(reported.code).toBe(0);
    const report = reported.json as Report;
    expect(report.cases).toBe(ROWS);
    // No first workflow task has run: no stage yet, counted as unknown (reports.ts).
    expect(report.byStage['unknown']).toMatchObject({ cases: ROWS, amountDueMinor: rows.reduce((sum, r) => sum + r.amountDueMinor, 0) });
    console.log(`[cli-import.test] list and report over ${ROWS} cases: ${((performance.now() - reading) / 1000).toFixed(1)} s`);
  });
});
