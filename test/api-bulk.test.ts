import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkSignal } from '../src/client/bulk';
import { buildReport } from '../src/client/reports';
import { caseInput, startHarness, waitForStatus, type Harness } from './support/harness';
import { eventually, startApi, type ApiServer } from './support/api';

/** Bulk pause/resume (moratoria) and the KPI report over HTTP, against a real Temporal dev server. */

let harness: Harness;
let api: ApiServer;

beforeAll(async () => {
  harness = await startHarness();
  api = await startApi(harness, { reports: buildReport, bulk: bulkSignal });
});

afterAll(async () => {
  await api?.close();
  await harness?.stop();
});

async function openCases(count: number, overrides: Array<Parameters<typeof caseInput>[0]> = []) {
  const inputs = Array.from({ length: count }, (_, i) => caseInput(overrides[i] ?? {}));
  for (const input of inputs) {
    expect((await api.call('POST', '/v1/cases', { body: input })).status).toBe(201);
    await waitForStatus(harness, input.loanId, (s) => s.segment !== undefined);
  }
  return { inputs, loanIds: inputs.map((i) => i.loanId), query: `LoanId IN (${inputs.map((i) => `'${i.loanId}'`).join(', ')})` };
}

describe('POST /v1/bulk/{pause|resume}', () => {
  it('counts with a dry run, then pauses and resumes every matching case, recording the authenticated operator and why', async () => {
    const { inputs, loanIds } = await openCases(2);
    const filter = { loanIds };

    const dry = await eventually(
      () => api.call('POST', '/v1/bulk/pause', { body: { filter, reason: 'flood moratorium', dryRun: true } }),
      (r) => r.status === 200 && r.body.matched === 2,
      30_000,
      'dry run to see both cases',
    );
    expect(dry.body).toEqual({ matched: 2, dryRun: true });
    for (const input of inputs) expect((await api.call('GET', `/v1/cases/${input.loanId}`)).body.state).not.toBe('paused');

    const pause = await api.call('POST', '/v1/bulk/pause', { body: { filter, reason: 'flood moratorium', actor: 'someone-else' } });
    expect([200, 202], JSON.stringify(pause.body)).toContain(pause.status);
    expect(pause.body).toMatchObject({ matched: 2, dryRun: false, jobId: expect.any(String) });
    for (const input of inputs) await waitForStatus(harness, input.loanId, (s) => s.state === 'paused', 60_000);
    const paused = (await api.call('GET', `/v1/cases/${inputs[0]!.loanId}/timeline`)).body.find((e: { kind: string }) => e.kind === 'paused');
    // API_TOKEN is the operator `admin`; the body's actor is ignored.
    expect(paused.data.actor).toBe('admin');
    expect(paused.detail).toContain('flood moratorium');

    const resume = await eventually(
      () => api.call('POST', '/v1/bulk/resume', { body: { filter, reason: 'moratorium lifted', actor: 'ops-lead' } }),
      (r) => r.status !== 409,
      60_000,
      'the pause batch to finish',
    );
    expect([200, 202], JSON.stringify(resume.body)).toContain(resume.status);
    for (const input of inputs) await waitForStatus(harness, input.loanId, (s) => s.state !== 'paused', 60_000);
    const resumed = (await api.call('GET', `/v1/cases/${inputs[1]!.loanId}/timeline`)).body.find((e: { kind: string }) => e.kind === 'resumed');
    expect(resumed.data.actor).toBe('admin');

    const metrics = (await api.call('GET', '/metrics', { token: null })).body as string;
    expect(metrics).toMatch(/collections_api_signals_sent_total\{signal="pause"\} [1-9]/);
  });

  it('matches exactly the cases a structured filter describes (dry run)', async () => {
    const { loanIds } = await openCases(4, [
      { amountDueMinor: 100_000 },
      { amountDueMinor: 500_000 },
      { amountDueMinor: 800_000 },
      { amountDueMinor: 5_000_000 },
    ]);
    const count = async (filter: Record<string, unknown>, expected: number) =>
      (
        await eventually(
          () => api.call('POST', '/v1/bulk/pause', { body: { filter, reason: 'count', dryRun: true } }),
          (r) => r.status === 200 && r.body.matched === expected,
          30_000,
          `${JSON.stringify(filter)} to match ${expected}`,
        )
      ).body;
    expect(await count({ loanIds }, 4)).toEqual({ matched: 4, dryRun: true });
    expect(await count({ loanIds, minOutstandingMinor: 300_000, maxOutstandingMinor: 1_000_000 }, 2)).toEqual({ matched: 2, dryRun: true });
    expect(await count({ loanIds, minOutstandingMinor: 500_001 }, 2)).toEqual({ matched: 2, dryRun: true });
    expect(await count({ loanIds: [loanIds[0]!, loanIds[3]!], state: 'active', debtorType: 'individual' }, 2)).toEqual({ matched: 2, dryRun: true });
    expect(await count({ loanIds, debtorType: 'corporate' }, 0)).toEqual({ matched: 0, dryRun: true });
    expect(await count({ loanIds, stage: 'litigation' }, 0)).toEqual({ matched: 0, dryRun: true });
  });

  it('refuses a raw query and other bad requests with 400 before anything is sent', async () => {
    const bad: Array<[string, unknown]> = [
      ['/v1/bulk/pause', { query: "LoanId = 'x'", reason: 'r', dryRun: true }],
      ['/v1/bulk/pause', { filter: { loanIds: ['x'] }, query: "/* ( */ LoanId = 'x') OR (WorkflowType != '' /* ) */", reason: 'escape', dryRun: true }],
      ['/v1/bulk/pause', { filter: { loanIds: ['x'] } }],
      ['/v1/bulk/pause', { filter: {}, reason: 'r', dryRun: true }],
      ['/v1/bulk/pause', { filter: { query: "LoanId = 'x'" }, reason: 'r', dryRun: true }],
      ['/v1/bulk/pause', { filter: { segment: "x' OR WorkflowType != '" }, reason: 'r', dryRun: true }],
      ['/v1/bulk/pause', { filter: { stage: 'nowhere' }, reason: 'r', dryRun: true }],
      ['/v1/bulk/pause', { filter: { minOutstandingMinor: 10, maxOutstandingMinor: 5 }, reason: 'r', dryRun: true }],
      ['/v1/bulk/pause', { filter: { loanIds: ['x'] }, reason: 'r', until: 'tomorrow' }],
      ['/v1/bulk/resume', { filter: { loanIds: ['x'] }, reason: 'r', until: '2030-01-01T00:00:00Z' }],
    ];
    for (const [path, body] of bad) {
      const response = await api.call('POST', path, { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
    }
    expect((await api.call('POST', '/v1/bulk/pause', { token: null, body: { filter: { loanIds: ['x'] }, reason: 'r', dryRun: true } })).status).toBe(401);
  });
});

describe('GET /v1/reports/summary', () => {
  it('reports KPIs over the matching cases', async () => {
    const { inputs, query } = await openCases(2);
    const body = JSON.stringify({ loanId: inputs[0]!.loanId, paymentId: 'R-1', amountMinor: 400_000, currency: 'CNY', receivedAt: '2026-11-20T10:00:00Z' });
    expect((await api.pay(body)).status).toBe(202);

    const due = inputs.reduce((sum, i) => sum + i.amountDueMinor, 0);
    const report = await eventually(
      () => api.call('GET', `/v1/reports/summary?query=${encodeURIComponent(query)}`),
      (r) => r.status === 200 && r.body.cases === 2 && r.body.recoveryRate === 400_000 / due,
      30_000,
      'the report to see the payment',
    );
    expect(report.body).toMatchObject({
      cases: 2,
      cureRate: 0,
      byStage: expect.any(Object),
      byState: expect.any(Object),
      funnel: expect.any(Array),
      bySegment: expect.any(Object),
      byStrategy: expect.any(Object),
    });
    const byState = Object.values(report.body.byState as Record<string, { cases: number }>).reduce((n, g) => n + g.cases, 0);
    expect(byState).toBe(2);

    const bad = await api.call('GET', `/v1/reports/summary?query=${encodeURIComponent('NoSuchAttribute = 1')}`);
    expect(bad.status).toBe(400);
    const injection = await api.call('GET', `/v1/reports/summary?query=${encodeURIComponent("/* ( */ LoanId = 'x') OR (WorkflowType != '' /* ) */")}`);
    expect(injection.status).toBe(400);
    expect(injection.body.error.message).toMatch(/comments are not allowed/);
    expect((await api.call('GET', '/v1/reports/summary?currency=xx')).status).toBe(400);
    expect((await api.call('GET', '/v1/reports/summary', { token: null })).status).toBe(401);
  });
});
