import { spawn } from 'node:child_process';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseService } from '../src/client/case-service';
import { importCsv } from '../src/client/intake';
import { loadPolicies, SHIPPED_POLICIES_DIR } from '../src/policy/load';
import { caseWorkflowId } from '../src/shared/ids';
import { startApi, type ApiServer } from './support/api';
import { caseInput, DEFAULT_POLICY, FAST_POLICY, startHarness, waitForStatus, type Harness } from './support/harness';
import { tsEntryArgs } from '../scripts/tools/ts-entry';

/**
 * Admission (spec section 9) through the real boundaries: the HTTP API, CSV intake and the
 * worker process. The API here runs as in production: without ALLOW_TEST_POLICIES.
 */

const ROOT = path.resolve(__dirname, '..');
const zone = 'Asia/Shanghai';
const shanghaiToday = () => DateTime.now().setZone(zone);

let harness: Harness;
let api: ApiServer;
let production: CaseService;

beforeAll(async () => {
  // The worker knows both policies; the API and the intake refuse the test-only one.
  harness = await startHarness({ policyFiles: [DEFAULT_POLICY, FAST_POLICY] });
  production = new CaseService(harness.client, harness.taskQueue, loadPolicies([DEFAULT_POLICY, SHIPPED_POLICIES_DIR]));
  api = await startApi(harness, { cases: production });
});
afterAll(async () => {
  await api?.close();
  await harness?.stop();
});

describe('plausible dates at the API', () => {
  it.each([
    ['later than today', () => shanghaiToday().plus({ days: 2 }).toISODate()!, /is later than today/],
    ['older than maxOverdueAge (3650 days)', () => shanghaiToday().minus({ days: 3652 }).toISODate()!, /older than the policy allows \(maxOverdueAge 3650 days/],
    ['a wrong century', () => '1926-11-01', /older than the policy allows/],
  ])('refuses an overdueSince %s with 400 overdue_since_out_of_range', async (_name, date, message) => {
    const input = caseInput({ overdueSince: date() });
    const response = await api.call('POST', '/v1/cases', { body: input });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'overdue_since_out_of_range', message: expect.stringMatching(message), details: { overdueSince: input.overdueSince, maxOverdueAge: '3650 days' } });
    await expect(harness.client.workflow.getHandle(caseWorkflowId(input.loanId)).describe()).rejects.toThrow();
  });

  it('accepts today and DPD 400 (a late case is opened, its notices come first)', async () => {
    for (const overdueSince of [shanghaiToday().toISODate()!, shanghaiToday().minus({ days: 400 }).toISODate()!]) {
      const input = caseInput({ overdueSince });
      const response = await api.call('POST', '/v1/cases', { body: input });
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      await waitForStatus(harness, input.loanId, (s) => s.segment !== undefined);
      await harness.client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
    }
  });
});

describe('test-only policies at the API', () => {
  it('refuses a case naming the fast policy with 422 policy_not_allowed', async () => {
    const input = caseInput({ policyId: 'fast' });
    const response = await api.call('POST', '/v1/cases', { body: input });
    expect(response.status).toBe(422);
    expect(response.body.error).toMatchObject({ code: 'policy_not_allowed', message: expect.stringMatching(/test-only policy.*ALLOW_TEST_POLICIES=true/) });
    await expect(harness.client.workflow.getHandle(caseWorkflowId(input.loanId)).describe()).rejects.toThrow();
  });

  it('documents both codes and the review route in the OpenAPI document', async () => {
    const doc = (await api.call('GET', '/openapi.json', { token: null })).body;
    const open = JSON.stringify(doc.paths['/v1/cases'].post);
    expect(open).toContain('overdue_since_out_of_range');
    expect(open).toContain('policy_not_allowed');
    expect(doc.paths['/v1/cases/{loanId}/review']?.post).toBeDefined();
  });
});

describe('CSV intake', () => {
  const header = 'loanId,product,reason,debtorId,debtorType,debtorName,timezone,currency,amountDue,overdueSince';
  const row = (loanId: string, overdueSince: string) => `${loanId},personal_loan,overdue,D-1,individual,Wang Fang,${zone},CNY,1000.00,${overdueSince}`;

  it('rejects rows with an out-of-range overdueSince, naming the code, and opens the rest', async () => {
    const ok = `CSV-OK-${Date.now().toString(36)}`;
    const csv = [header, row(`CSV-FUT-${Date.now().toString(36)}`, shanghaiToday().plus({ days: 3 }).toISODate()!), row(`CSV-OLD-${Date.now().toString(36)}`, '2010-01-01'), row(ok, shanghaiToday().minus({ days: 10 }).toISODate()!)].join('\n');
    const summary = await importCsv(production, csv);
    expect(summary.opened).toBe(1);
    expect(summary.rejected).toEqual([
      { row: 2, loanId: expect.stringMatching(/^CSV-FUT/), reason: expect.stringMatching(/^overdue_since_out_of_range: overdueSince .* is later than today/) },
      { row: 3, loanId: expect.stringMatching(/^CSV-OLD/), reason: expect.stringMatching(/^overdue_since_out_of_range: overdueSince 2010-01-01 is older than the policy allows/) },
    ]);
    await harness.client.workflow.getHandle(caseWorkflowId(ok)).terminate('test done');
  });

  it('rejects every row when the file is imported with a test-only policy', async () => {
    const csv = [header, row(`CSV-FAST-${Date.now().toString(36)}`, shanghaiToday().minus({ days: 5 }).toISODate()!)].join('\n');
    const summary = await importCsv(production, csv, { policyId: 'fast' });
    expect(summary.opened).toBe(0);
    expect(summary.rejected).toEqual([{ row: 2, loanId: expect.stringMatching(/^CSV-FAST/), reason: expect.stringMatching(/^policy_not_allowed: policyId: policy "fast" .* is a test-only policy/) }]);
  });
});

// Two independent processes: side by side.
describe.concurrent('a worker whose POLICY_FILE is test-only', () => {
  /** Runs `src/worker.ts` until it exits (or 60 s), with a Temporal address nobody listens on. */
  function runWorker(extra: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(ALLOW_TEST_POLICIES|POLICY_FILE|TEMPORAL_|TASK_QUEUE$)/.test(key)));
    const env = {
      ...base,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      SMS_PROVIDER_URL: 'http://127.0.0.1:1',
      VOICE_PROVIDER_URL: 'http://127.0.0.1:1',
      LETTER_PROVIDER_URL: 'http://127.0.0.1:1',
      LEGAL_PROVIDER_URL: 'http://127.0.0.1:1',
      POLICY_FILE: 'policies/fast.yaml',
      ...extra,
    };
    const child = spawn(process.execPath, tsEntryArgs('src/worker.ts'), { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    return new Promise((resolve) =>
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      }),
    );
  }

  it('refuses to start without ALLOW_TEST_POLICIES=true, saying why', async () => {
    const { code, stderr } = await runWorker({});
    expect(code).toBe(1);
    expect(stderr).toMatch(/policies\/fast\.yaml\) is a test-only policy .* used only with ALLOW_TEST_POLICIES=true/);
  });

  it('with ALLOW_TEST_POLICIES=true gets past the policy check (and stops only at the unreachable server)', async () => {
    const { code, stderr } = await runWorker({ ALLOW_TEST_POLICIES: 'true' });
    expect(code).toBe(1);
    expect(stderr).not.toMatch(/test-only policy/);
  });
});
