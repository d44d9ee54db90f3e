import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { Validator } from '@seriousme/openapi-schema-validator';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app';
import { SIGNAL_ROUTES } from '../src/api/routes/signals';
import { caseListQuery, listCases } from '../src/client/case-list';
import { CaseService } from '../src/client/case-service';
import { ConfigError } from '../src/config';
import { caseInput, startHarness, waitForStatus, type Harness } from './support/harness';
import { API_TOKEN, apiEnv, eventually, startApi, type ApiServer } from './support/api';

/** The HTTP API against a real Temporal dev server, a worker on the fast policy and real HTTP. */

let harness: Harness;
let api: ApiServer;

beforeAll(async () => {
  harness = await startHarness();
  api = await startApi(harness);
});

afterAll(async () => {
  await api?.close();
  await harness?.stop();
});

function expectError(response: { status: number; body: any }, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body).toMatchObject({ error: { code, message: expect.any(String) } });
}

describe('opening and inspecting cases', () => {
  it('opens a case with 201, and answers 200 with the same case when it is already open', async () => {
    const input = caseInput();
    const first = await api.call('POST', '/v1/cases', { body: input });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ workflowId: `collection-${input.loanId}`, runId: expect.any(String) });

    const second = await api.call('POST', '/v1/cases', { body: input });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
  });

  it('refuses an invalid case with 400 naming the field, and starts nothing', async () => {
    const input = { ...caseInput(), amountDueMinor: -5, debtor: { ...caseInput().debtor, timezone: 'Mars/Olympus' } };
    const response = await api.call('POST', '/v1/cases', { body: input });
    expectError(response, 400, 'invalid_request');
    expect(response.body.error.message).toMatch(/amountDueMinor/);
    expect(response.body.error.message).toMatch(/timezone/);
    expectError(await api.call('GET', `/v1/cases/${input.loanId}`), 404, 'case_not_found');
  });

  it('refuses malformed JSON with 400 in the error shape', async () => {
    expectError(await api.call('POST', '/v1/cases', { body: '{"loanId":' }), 400, 'invalid_request');
  });

  it('serves the status and timeline queries, and 404 for an unknown loan', async () => {
    const input = caseInput();
    expect((await api.call('POST', '/v1/cases', { body: input })).status).toBe(201);
    await waitForStatus(harness, input.loanId, (s) => s.segment !== undefined);

    const status = await api.call('GET', `/v1/cases/${input.loanId}`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ loanId: input.loanId, currency: 'CNY', amountDueMinor: input.amountDueMinor, state: expect.any(String), stage: expect.any(String) });

    const timeline = await api.call('GET', `/v1/cases/${input.loanId}/timeline`);
    expect(timeline.status).toBe(200);
    expect(timeline.body[0]).toMatchObject({ kind: 'case_opened', at: expect.any(String), detail: expect.any(String) });

    expectError(await api.call('GET', '/v1/cases/NO-SUCH-LOAN-42'), 404, 'case_not_found');
    expectError(await api.call('GET', '/v1/cases/NO-SUCH-LOAN-42/timeline'), 404, 'case_not_found');
    expectError(await api.call('GET', '/v1/cases/bad%20id!'), 400, 'invalid_request');
  });
});

describe('operator signals', () => {
  it('pauses and resumes a case, recording the authenticated operator, never the actor in the body', async () => {
    const input = caseInput();
    await api.call('POST', '/v1/cases', { body: input });
    await waitForStatus(harness, input.loanId, (s) => s.segment !== undefined);

    const pause = await api.call('POST', `/v1/cases/${input.loanId}/pause`, { body: { reason: 'customer in hospital' } });
    expect(pause.status).toBe(202);
    expect(pause.body).toEqual({ accepted: true });
    await waitForStatus(harness, input.loanId, (s) => s.state === 'paused');
    expect((await api.call('GET', `/v1/cases/${input.loanId}`)).body.state).toBe('paused');

    // No body at all: resume needs nothing.
    const resume = await api.call('POST', `/v1/cases/${input.loanId}/resume`);
    expect(resume.status).toBe(202);
    await waitForStatus(harness, input.loanId, (s) => s.state !== 'paused');

    const dispute = await api.call('POST', `/v1/cases/${input.loanId}/disputes`, { body: { reason: 'amount is wrong', actor: 'alice' } });
    expect(dispute.status).toBe(202);
    await waitForStatus(harness, input.loanId, (s) => s.state === 'disputed');

    const timeline = (await api.call('GET', `/v1/cases/${input.loanId}/timeline`)).body as Array<{ kind: string; data?: Record<string, unknown> }>;
    // API_TOKEN is the operator `admin`.
    expect(timeline.find((e) => e.kind === 'paused')?.data?.actor).toBe('admin');
    expect(timeline.find((e) => e.kind === 'resumed')?.data?.actor).toBe('admin');
    expect(timeline.find((e) => e.kind === 'dispute_raised')?.data?.actor).toBe('admin');
  });

  it('validates the payload before sending anything, and 404s a loan with no open case', async () => {
    const input = caseInput();
    await api.call('POST', '/v1/cases', { body: input });
    await waitForStatus(harness, input.loanId, (s) => s.segment !== undefined);

    expectError(await api.call('POST', `/v1/cases/${input.loanId}/promises`, { body: { amountMinor: 1.5, dueDate: 'tomorrow' } }), 400, 'invalid_request');
    expectError(await api.call('POST', `/v1/cases/${input.loanId}/call-outcomes`, { body: { outcome: 'maybe' } }), 400, 'invalid_request');
    expectError(await api.call('POST', `/v1/cases/${input.loanId}/contact`, { body: {} }), 400, 'invalid_request');
    expectError(await api.call('POST', '/v1/cases/NO-SUCH-LOAN-43/pause', { body: { reason: 'x' } }), 404, 'case_not_found');

    const timeline = (await api.call('GET', `/v1/cases/${input.loanId}/timeline`)).body as Array<{ kind: string }>;
    // Nothing reached the workflow: it would have recorded a rejected signal.
    expect(timeline.filter((e) => e.kind === 'signal_rejected')).toEqual([]);
  });

  it('sends call outcomes and contact updates', async () => {
    const input = caseInput();
    await api.call('POST', '/v1/cases', { body: input });
    await waitForStatus(harness, input.loanId, (s) => s.segment !== undefined);
    expect((await api.call('POST', `/v1/cases/${input.loanId}/contact`, { body: { email: 'debtor@example.com' } })).status).toBe(202);
    expect((await api.call('POST', `/v1/cases/${input.loanId}/call-outcomes`, { body: { outcome: 'no_answer', note: 'voicemail' } })).status).toBe(202);
  });
});

describe('listing cases from visibility', () => {
  it('filters by stage and state and pages with tokens', async () => {
    const inputs = [caseInput(), caseInput(), caseInput()];
    for (const input of inputs) {
      expect((await api.call('POST', '/v1/cases', { body: input })).status).toBe(201);
      await waitForStatus(harness, input.loanId, (s) => s.segment !== undefined);
      expect((await api.call('POST', `/v1/cases/${input.loanId}/pause`, { body: { reason: 'list test' } })).status).toBe(202);
    }
    const mine = new Set(inputs.map((i) => i.loanId));

    // Follows every page of paused cases (other tests' cases may be there too) until ours all show.
    const collect = async (filter: string) => {
      const found = new Map<string, any>();
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await api.call('GET', `/v1/cases?${filter}&pageSize=2${token ? `&pageToken=${token}` : ''}`);
        expect(page.status, JSON.stringify(page.body)).toBe(200);
        expect(page.body.cases.length).toBeLessThanOrEqual(2);
        for (const c of page.body.cases) found.set(c.loanId, c);
        token = page.body.nextPageToken;
        pages += 1;
      } while (token);
      return { found, pages };
    };
    const { found, pages } = await eventually(
      () => collect('state=paused'),
      ({ found: f }) => [...mine].every((id) => f.has(id)),
      30_000,
      'paused cases in visibility',
    );
    expect(pages).toBeGreaterThanOrEqual(2);
    for (const c of found.values()) expect(c.state).toBe('paused');
    const one = found.get(inputs[0]!.loanId);
    expect(one).toMatchObject({
      loanId: inputs[0]!.loanId,
      workflowId: `collection-${inputs[0]!.loanId}`,
      status: 'RUNNING',
      state: 'paused',
      debtorType: 'individual',
      outstandingMinor: inputs[0]!.amountDueMinor,
      segment: expect.any(String),
      strategy: expect.any(String),
      startTime: expect.any(String),
    });

    const stage = one.stage as string;
    const byStage = await eventually(
      () => collect(`stage=${stage}&state=paused`),
      ({ found: f }) => f.has(inputs[0]!.loanId),
      30_000,
      'stage filter',
    );
    for (const c of byStage.found.values()) expect(c).toMatchObject({ stage, state: 'paused' });
  });

  it('refuses unknown filters and bad page tokens with 400', async () => {
    expectError(await api.call('GET', '/v1/cases?stage=prison'), 400, 'invalid_request');
    expectError(await api.call('GET', '/v1/cases?pageSize=0'), 400, 'invalid_request');
    expectError(await api.call('GET', "/v1/cases?pageToken=' OR 1=1"), 400, 'invalid_request');
    expectError(await api.call('GET', '/v1/cases?pageToken=bm90LWEtdG9rZW4'), 400, 'invalid_request');

    // A real token, but from a list with other filters.
    const first = await eventually(() => api.call('GET', '/v1/cases?pageSize=1'), (r) => r.body.nextPageToken !== undefined, 30_000, 'a second page');
    expect((await api.call('GET', `/v1/cases?pageSize=1&pageToken=${first.body.nextPageToken}`)).status).toBe(200);
    expectError(await api.call('GET', `/v1/cases?state=active&pageSize=1&pageToken=${first.body.nextPageToken}`), 400, 'invalid_request');
  });

  it('listCases refuses a visibility query Temporal rejects with invalid_request', async () => {
    await expect(listCases(harness.client, { query: "NoSuchAttribute = 'x'" })).rejects.toMatchObject({ name: 'CaseError', code: 'invalid_request' });
    await expect(listCases(harness.client, { stage: 'prison' })).rejects.toMatchObject({ name: 'CaseError', code: 'invalid_request' });
    expect(caseListQuery({ stage: 'phone', state: 'active' })).toBe("WorkflowType = 'collectionCase' AND ExecutionStatus != 'ContinuedAsNew' AND CollectionStage = 'phone' AND CollectionState = 'active'");
  });
});

describe('authentication', () => {
  it('refuses operator endpoints without the right bearer token', async () => {
    const missing = await api.call('GET', '/v1/cases', { token: null });
    expectError(missing, 401, 'unauthorized');
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expectError(await api.call('GET', '/v1/cases', { token: 'wrong-token-0123456789' }), 401, 'unauthorized');
    expectError(await api.call('GET', '/v1/cases', { token: null, headers: { authorization: `Basic ${API_TOKEN}` } }), 401, 'unauthorized');
    expectError(await api.call('POST', '/v1/cases', { token: null, body: caseInput() }), 401, 'unauthorized');
    expectError(await api.call('POST', '/v1/cases/X1/pause', { token: null, body: { reason: 'x' } }), 401, 'unauthorized');
    expectError(await api.call('GET', '/v1/no-such-route', { token: null }), 401, 'unauthorized');

    expect((await api.call('GET', '/v1/cases?pageSize=1')).status).toBe(200);
    expect((await api.call('GET', '/v1/cases?pageSize=1', { token: null, headers: { authorization: `bearer ${API_TOKEN}` } })).status).toBe(200);
    expectError(await api.call('GET', '/v1/no-such-route'), 404, 'not_found');
  });

  it('leaves health, metrics and the OpenAPI document open', async () => {
    for (const path of ['/healthz', '/metrics', '/openapi.json']) {
      expect((await api.call('GET', path, { token: null })).status, path).toBe(200);
    }
  });

  it('refuses to build without API_TOKEN unless dev mode, which warns loudly and skips auth', async () => {
    const deps = { cases: harness.cases, client: harness.client, logger: pino({ level: 'silent' }) };
    await expect(buildApp({ ...deps, env: apiEnv({ API_TOKEN: undefined }) })).rejects.toThrow(ConfigError);
    await expect(buildApp({ ...deps, env: apiEnv({ API_TOKEN: undefined }) })).rejects.toThrow(/API_TOKEN/);

    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) });
    const dev = await buildApp({ ...deps, logger: pino({ level: 'info' }, sink), env: apiEnv({ API_TOKEN: undefined, API_DEV_MODE: 'true' }) });
    try {
      expect(lines.some((l) => l.includes('"level":40') && l.includes('NOT authenticated'))).toBe(true);
      const response = await dev.inject({ method: 'GET', url: '/v1/cases/NO-SUCH-LOAN-44' });
      expect(response.statusCode).toBe(404);
    } finally {
      await dev.close();
    }
  });
});

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3 document listing every route', async () => {
    const response = await api.call('GET', '/openapi.json', { token: null });
    const doc = response.body;
    expect(doc.openapi).toMatch(/^3\./);
    const result = await new Validator().validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);

    const expected: Array<[string, string]> = [
      ['post', '/v1/cases'],
      ['get', '/v1/cases'],
      ['get', '/v1/cases/{loanId}'],
      ['get', '/v1/cases/{loanId}/timeline'],
      ['get', '/v1/cases/{loanId}/evidence'],
      ['post', '/v1/payments'],
      ['get', '/v1/reports/summary'],
      ['post', '/v1/bulk/pause'],
      ['post', '/v1/bulk/resume'],
      ['get', '/healthz'],
      ['get', '/metrics'],
      ['post', '/codec/decode'],
      ['post', '/codec/encode'],
      ...SIGNAL_ROUTES.map((r) => ['post', `/v1/cases/{loanId}/${r.path}`] as [string, string]),
    ];
    for (const path of ['promises', 'disputes', 'pause', 'resume', 'call-outcomes', 'contact']) {
      expect(expected).toContainEqual(['post', `/v1/cases/{loanId}/${path}`]);
    }
    for (const [method, path] of expected) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
      expect(api.app.hasRoute({ method: method.toUpperCase() as 'GET', url: path.replace('{loanId}', ':loanId') }), `${method} ${path} served`).toBe(true);
    }
    const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual(expected.map(([m, p]) => `${m} ${p}`).sort());

    // The request body of POST /v1/cases is the shared CaseInput schema.
    const caseBody = doc.paths['/v1/cases'].post.requestBody.content['application/json'].schema;
    expect(caseBody.required).toEqual(expect.arrayContaining(['loanId', 'product', 'reason', 'debtor', 'currency', 'amountDueMinor', 'overdueSince']));
    expect(doc.paths['/v1/payments'].post.security).toEqual([{ webhookSignature: [] }]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
  });
});

describe('robustness and logs', () => {
  it('answers an unexpected failure with 500 in the error shape and keeps serving', async () => {
    const broken = { status: async () => { throw new Error('database on fire'); } } as unknown as CaseService;
    const app = await buildApp({ cases: broken, client: harness.client, env: apiEnv(), logger: pino({ level: 'silent' }) });
    try {
      const failed = await app.inject({ method: 'GET', url: '/v1/cases/L-1', headers: { authorization: `Bearer ${API_TOKEN}` } });
      expect(failed.statusCode).toBe(500);
      expect(failed.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('logs one line per request without bodies, headers or personal data', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) });
    const logged = await startApi(harness, { logger: pino({ level: 'trace' }, sink) });
    try {
      const input = caseInput({ debtor: { name: 'Zhang Wei', phone: '+8613912345678', email: 'zhang.wei@example.com' } });
      expect((await logged.call('POST', '/v1/cases', { body: input })).status).toBe(201);
      expect((await logged.call('POST', '/v1/cases', { body: { ...input, loanId: 'bad id!' } })).status).toBe(400);
      await waitForStatus(harness, input.loanId, (s) => s.segment !== undefined);
      expect((await logged.call('POST', `/v1/cases/${input.loanId}/contact`, { body: { phone: '+8613700001111', email: 'new@example.com' } })).status).toBe(202);
      const all = lines.join('');
      expect(all).toContain('request completed');
      for (const secret of ['Zhang', '13912345678', 'zhang.wei@example.com', '13700001111', 'new@example.com', API_TOKEN]) expect(all, secret).not.toContain(secret);
    } finally {
      await logged.close();
    }
  });
});

describe('reports and bulk operations when not wired', () => {
  it('answer 501 in the error shape', async () => {
    expect((await api.call('GET', '/v1/reports/summary')).body).toMatchObject({ error: { code: 'not_implemented' } });
    const bulk = await api.call('POST', '/v1/bulk/pause', { body: { filter: { loanIds: ['x'] }, reason: 'r', dryRun: true } });
    expect(bulk.status).toBe(501);
    expect(bulk.body.error.code).toBe('not_implemented');
  });
});

describe('health and metrics', () => {
  it('answers /healthz 200 when Temporal answers and 503 when it does not', async () => {
    const ok = await api.call('GET', '/healthz', { token: null });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: 'ok', temporal: 'reachable' });

    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const client = new Client({ connection });
    const down = await buildApp({ cases: new CaseService(client, 'nowhere', harness.cases.policies), client, env: apiEnv(), logger: pino({ level: 'silent' }) });
    try {
      const response = await down.inject({ method: 'GET', url: '/healthz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ error: { code: 'temporal_unavailable' } });
      expect(response.headers['retry-after']).toBe('5');
    } finally {
      await down.close();
      await connection.close().catch(() => undefined);
    }
  });

  it('exposes request counts, latency, signals and errors in Prometheus format', async () => {
    const input = caseInput();
    await api.call('POST', '/v1/cases', { body: input });
    await waitForStatus(harness, input.loanId, (s) => s.segment !== undefined);
    await api.call('POST', `/v1/cases/${input.loanId}/pause`, { body: { reason: 'metrics' } });
    await api.call('GET', '/v1/cases', { token: null });
    await api.call('GET', '/v1/cases/NO-SUCH-LOAN-45');

    const response = await api.call('GET', '/metrics', { token: null });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = response.body as string;
    expect(text).toMatch(/collections_api_http_requests_total\{method="POST",route="\/v1\/cases",status="201"\} \d+/);
    expect(text).toMatch(/collections_api_http_requests_total\{method="GET",route="\/v1\/cases\/:loanId",status="404"\} \d+/);
    expect(text).toMatch(/collections_api_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/cases",status="201"\} \d+/);
    expect(text).toMatch(/collections_api_signals_sent_total\{signal="pause"\} \d+/);
    expect(text).toMatch(/collections_api_errors_total\{code="unauthorized"\} \d+/);
    expect(text).toMatch(/collections_api_errors_total\{code="case_not_found"\} \d+/);
    expect(text).not.toContain(input.loanId);
  });
});
