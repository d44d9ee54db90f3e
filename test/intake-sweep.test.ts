import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createIntakeActivities } from '../src/activities/intake';
import { INTAKE_SWEEP_WORKFLOW_TYPE, type IntakeSweepResult } from '../src/shared/intake';
import { runCli, runCliInProcess } from './support/cli';
import { eventually } from './support/eventually';
import { FAST_POLICY, startHarness, type Harness } from './support/harness';

/**
 * The daily intake: the `intakeSweep` workflow and its activity against the suite's dev
 * server (a worker of its own on a separate task queue), and the schedule the CLI creates.
 */

const REPO = path.resolve(__dirname, '..');
const HEADER =
  'loanId,product,reason,debtorId,debtorType,debtorName,phone,email,addressLine1,city,postalCode,country,timezone,currency,amountDue,overdueSince,guarantorNames,guarantorPhones';
const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
const run = randomUUID().slice(0, 8).toUpperCase();

let harness: Harness;
let worker: Worker;
let running: Promise<void>;
let connection: NativeConnection;
let intakeQueue: string;
let root: string;

function csvFor(prefix: string, count: number): string {
  const rows = Array.from({ length: count }, (_, i) => `${prefix}-${i},personal_loan,overdue,C-${i},individual,Debtor ${i},+86138${String(i).padStart(8, '0')},,${i} Road,Shanghai,200000,CN,Asia/Shanghai,CNY,${1000 + i}.50,${today},,`);
  return `${[HEADER, ...rows].join('\r\n')}\r\n`;
}

async function sweep(folder: string): Promise<IntakeSweepResult> {
  return harness.client.workflow.execute(INTAKE_SWEEP_WORKFLOW_TYPE, { taskQueue: intakeQueue, workflowId: `intake-test-${randomUUID()}`, args: [{ folder, policyId: 'default' }] });
}

beforeAll(async () => {
  harness = await startHarness({ policyFiles: [FAST_POLICY, path.join(REPO, 'policies/default.yaml')] });
  intakeQueue = `intake-${randomUUID()}`;
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  worker = await Worker.create({
    connection,
    namespace: inject('temporalNamespace'),
    taskQueue: intakeQueue,
    workflowsPath: path.join(REPO, 'src/workflows/intake-sweep.ts'),
    activities: createIntakeActivities({ cases: harness.cases, logger: pino({ level: 'silent' }) }),
    dataConverter: harness.dataConverter,
  });
  running = worker.run();
  root = mkdtempSync(path.join(tmpdir(), 'intake-test-'));
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
  await harness?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('intakeSweep', () => {
  it('imports waiting files, moves them to processed/ and skips what was already processed', async () => {
    const folder = path.join(root, 'inbox-1');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'overdue-2026-11-28.csv'), csvFor(`${run}-A`, 25));
    writeFileSync(path.join(folder, 'notes.txt'), 'not a CSV');

    const first = await sweep(folder);
    expect(first.files).toEqual([
      { file: 'overdue-2026-11-28.csv', status: 'imported', movedTo: 'processed/overdue-2026-11-28.csv', opened: 25, alreadyOpen: 0, rejectedCount: 0, rejected: [] },
    ]);
    expect(readdirSync(folder).sort()).toEqual(['notes.txt', 'processed']);
    const summary = JSON.parse(readFileSync(path.join(folder, 'processed/overdue-2026-11-28.csv.result.json'), 'utf8'));
    expect(summary).toMatchObject({ file: 'overdue-2026-11-28.csv', opened: 25, alreadyOpen: 0, rejected: [] });
    expect((await harness.cases.status(`${run}-A-7`)).amountDueMinor).toBe(100_750);

    // Same name, new content (a corrected file): imported beside the first one.
    writeFileSync(path.join(folder, 'overdue-2026-11-28.csv'), csvFor(`${run}-A`, 27));
    writeFileSync(path.join(folder, 'broken.csv'), 'no,header,here\r\n1,2,3\r\n');
    writeFileSync(path.join(folder, 'partly-bad.csv'), `${csvFor(`${run}-B`, 3)}${run}-B-9,personal_loan,overdue,C-9,individual,X,,,,,,,Mars/Base,CNY,1.00,${today},,\r\n`);
    const second = await sweep(folder);
    const byFile = Object.fromEntries(second.files.map((f) => [f.file, f]));
    expect(byFile['overdue-2026-11-28.csv']).toMatchObject({ status: 'imported', opened: 2, alreadyOpen: 25, movedTo: expect.stringMatching(/^processed\/overdue-2026-11-28-[0-9a-f]{12}\.csv$/) });
    expect(byFile['broken.csv']).toMatchObject({ status: 'failed', movedTo: 'failed/broken.csv', error: expect.stringMatching(/lacks required columns/) });
    expect(byFile['partly-bad.csv']).toMatchObject({ status: 'imported', opened: 3, rejectedCount: 1, rejected: [{ row: 5, loanId: `${run}-B-9`, reason: expect.stringMatching(/^timezone "Mars\/Base"/) }] });
    expect(readdirSync(folder).sort()).toEqual(['failed', 'notes.txt', 'processed']);
    expect(readFileSync(path.join(folder, 'failed/broken.csv.error.txt'), 'utf8')).toMatch(/lacks required columns/);

    // The first file delivered again: skipped, and the duplicate leaves the inbox.
    writeFileSync(path.join(folder, 'overdue-2026-11-28.csv'), csvFor(`${run}-A`, 25));
    const third = await sweep(folder);
    expect(third.files).toEqual([{ file: 'overdue-2026-11-28.csv', status: 'skipped', opened: 0, alreadyOpen: 0, rejectedCount: 0, rejected: [] }]);
    expect(existsSync(path.join(folder, 'overdue-2026-11-28.csv'))).toBe(false);
  });

  it('fails for good on a folder that does not exist', async () => {
    await expect(sweep(path.join(root, 'no-such-folder'))).rejects.toThrow(/Workflow execution failed/);
  });
});

describe('collections schedule-intake', () => {
  it('creates the daily schedule (06:00 Asia/Shanghai, overlap skip), updates it in place and can run it now', { timeout: 120_000 }, async () => {
    const folder = path.join(root, 'inbox-scheduled');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'daily.csv'), csvFor(`${run}-S`, 5));
    const scheduleId = `daily-intake-test-${run}`;
    const env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_') && k !== 'TASK_QUEUE')),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      TASK_QUEUE: intakeQueue,
    };
    // The first run as a Node process of its own, the others in this process (test/support/cli.ts).
    const cliProcess = (...args: string[]) => runCli(env, ...args);
    const cli = (...args: string[]) => runCliInProcess(env, ...args);
    try {
      // A refused cron changes nothing: it runs side by side with the first call.
      const [created, bad] = await Promise.all([
        cliProcess('schedule-intake', '--folder', folder, '--schedule-id', scheduleId, '--policy', 'default', '--json'),
        cli('schedule-intake', '--folder', folder, '--schedule-id', scheduleId, '--cron', 'every day'),
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/must have 5 fields/);
      expect(created.stderr).toBe('');
      const result = JSON.parse(created.stdout);
      expect(result).toMatchObject({ scheduleId, created: true, cron: '0 6 * * *', timezone: 'Asia/Shanghai', folder, triggered: false });
      // The next run is 06:00 in Shanghai, i.e. 22:00 UTC.
      expect(result.nextRuns[0]).toMatch(/T22:00:00\.000Z$/);

      const description = await harness.client.schedule.getHandle(scheduleId).describe();
      expect(description.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
      expect(description.spec.timezone).toBe('Asia/Shanghai');
      expect(description.action).toMatchObject({ type: 'startWorkflow', workflowType: INTAKE_SWEEP_WORKFLOW_TYPE, taskQueue: intakeQueue, args: [{ folder, policyId: 'default' }] });

      const updated = await cli('schedule-intake', '--folder', folder, '--schedule-id', scheduleId, '--policy', 'default', '--cron', '30 5 * * 1-5', '--trigger', '--json');
      expect(JSON.parse(updated.stdout)).toMatchObject({ created: false, cron: '30 5 * * 1-5', triggered: true });
      await eventually(() => existsSync(path.join(folder, 'daily.csv')), (present) => !present, { timeoutMs: 60_000, what: 'the sweep to move daily.csv' });
      expect(readdirSync(path.join(folder, 'processed'))).toContain('daily.csv');
      expect((await harness.cases.status(`${run}-S-4`)).loanId).toBe(`${run}-S-4`);

    } finally {
      await harness.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    }
  });
});
