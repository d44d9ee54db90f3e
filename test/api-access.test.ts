import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAuthMode } from '../src/api/auth';
import { ROUTE_ROLES } from '../src/api/route-roles';
import { bulkSignal } from '../src/client/bulk';
import { authenticate, ROLES, sha256Hex, type Role } from '../src/client/operators';
import { buildReport } from '../src/client/reports';
import { ConfigError } from '../src/config';
import { caseInput, eventually, startHarness, waitForStatus, type Harness } from './support/harness';
import { API_TOKEN, apiEnv, startApi, type ApiServer } from './support/api';

/**
 * Operators and roles (spec section 10) over real HTTP against a real Temporal dev server:
 * for every operator route of the role table, its minimum role is let through and the role
 * below it is refused with 403 (or, for viewer routes, no token with 401); the actor on the
 * timeline is the token's operator whatever the body says.
 */

const TOKENS: Record<Role, string> = {
  viewer: 'viewer-token-0123456789abcdef',
  collector: 'collector-token-0123456789abcdef',
  supervisor: 'supervisor-token-0123456789abcdef',
  admin: 'second-admin-token-0123456789abcdef',
};
const OPERATOR_IDS: Record<Role, string> = { viewer: 'wang.fang', collector: 'li.wei', supervisor: 'zhang.min', admin: 'root.ops' };

let harness: Harness;
let api: ApiServer;
let operatorsFile: string;
let loanId: string;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'operators-'));
  operatorsFile = path.join(dir, 'operators.yaml');
  const lines = ROLES.map((role) => `  - { id: ${OPERATOR_IDS[role]}, name: ${role} operator, role: ${role}, tokenSha256: ${sha256Hex(TOKENS[role])} }`);
  writeFileSync(operatorsFile, `operators:\n${lines.join('\n')}\n`);
  harness = await startHarness();
  api = await startApi(harness, { env: apiEnv({ TASK_QUEUE: harness.taskQueue, OPERATORS_FILE: operatorsFile }), reports: buildReport, bulk: bulkSignal });
  const input = caseInput();
  loanId = input.loanId;
  await harness.cases.open(input);
  await waitForStatus(harness, loanId, (s) => s.segment !== undefined);
});

afterAll(async () => {
  await api?.close();
  await harness?.stop();
});

/** One request per route: a path with the test's case, and a body that is valid where it is cheap to make one. */
function requestFor(route: string): { method: string; path: string; body?: unknown } {
  const [method, template] = route.split(' ') as [string, string];
  const pathname = template.replace(':loanId', loanId);
  if (method === 'GET') return { method, path: pathname };
  const bodies: Record<string, unknown> = {
    'POST /v1/bulk/pause': { filter: { loanIds: ['NO-SUCH-LOAN'] }, reason: 'role check', dryRun: true },
    'POST /v1/bulk/resume': { filter: { loanIds: ['NO-SUCH-LOAN'] }, reason: 'role check', dryRun: true },
  };
  return { method, path: pathname, body: bodies[route] ?? {} };
}

const below = (role: Role): Role | undefined => ROLES[ROLES.indexOf(role) - 1];

describe('the role matrix', () => {
  it('lists every operator route the API registers (an unlisted one would need admin)', () => {
    const registered = [...api.app.operatorRoutes].sort();
    expect(registered.length).toBeGreaterThan(15);
    expect(registered.filter((route) => !(route in ROUTE_ROLES))).toEqual([]);
  });

  const registeredRoutes = Object.entries(ROUTE_ROLES);
  it.each(registeredRoutes)('%s: lets %s through and refuses the role below', async (route, minimum) => {
    if (!api.app.operatorRoutes.has(route)) return; // listed for a route another part of the API adds
    const request = requestFor(route);
    const allowed = await api.call(request.method, request.path, { body: request.body, token: TOKENS[minimum] });
    expect([401, 403], `${route} as ${minimum}: ${JSON.stringify(allowed.body)}`).not.toContain(allowed.status);

    const lower = below(minimum);
    const refused = await api.call(request.method, request.path, { body: request.body, token: lower ? TOKENS[lower] : null });
    if (lower) {
      expect(refused.status, `${route} as ${lower}`).toBe(403);
      expect(refused.body).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining(minimum) } });
    } else {
      expect(refused.status, `${route} without a token`).toBe(401);
    }
  });

  it('answers 401 without a token or with an unknown one, whatever the route', async () => {
    expect((await api.call('GET', `/v1/cases/${loanId}`, { token: null })).status).toBe(401);
    const unknown = await api.call('GET', `/v1/cases/${loanId}`, { token: 'not-an-operator-token-000000' });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('keeps API_TOKEN as the operator "admin" next to the operators file', async () => {
    expect((await api.call('GET', `/v1/cases/${loanId}`, { token: API_TOKEN })).status).toBe(200);
  });
});

describe('the actor recorded', () => {
  it("is the token's operator, even when the body names someone else", async () => {
    const input = caseInput();
    const opened = await api.call('POST', '/v1/cases', { body: input, token: TOKENS.supervisor });
    expect(opened.status).toBe(201);
    await waitForStatus(harness, input.loanId, (s) => s.segment !== undefined);

    const pause = await api.call('POST', `/v1/cases/${input.loanId}/pause`, { body: { reason: 'debtor in hospital', actor: 'zhang.min' }, token: TOKENS.collector });
    expect(pause.status).toBe(202);
    await waitForStatus(harness, input.loanId, (s) => s.state === 'paused');
    const settlement = await api.call('POST', `/v1/cases/${input.loanId}/settlements`, {
      body: { amountMinor: Math.floor(input.amountDueMinor / 2), validUntil: '2099-01-31', actor: 'li.wei' },
      token: TOKENS.supervisor,
    });
    expect(settlement.status, JSON.stringify(settlement.body)).toBe(202);
    const callOutcome = await api.call('POST', `/v1/cases/${input.loanId}/call-outcomes`, { body: { outcome: 'no_answer', actor: 'zhang.min' }, token: TOKENS.collector });
    expect(callOutcome.status, JSON.stringify(callOutcome.body)).toBe(202);

    const timeline = await waitForTimeline(input.loanId, (t) => t.some((e) => e.kind === 'settlement_made') && t.some((e) => e.kind === 'call_outcome'));
    expect(timeline.find((e) => e.kind === 'paused')).toMatchObject({ data: { actor: 'li.wei' }, detail: expect.stringContaining('li.wei') });
    expect(timeline.find((e) => e.kind === 'settlement_made')).toMatchObject({ data: { actor: 'zhang.min' } });
    expect(timeline.find((e) => e.kind === 'call_outcome')).toMatchObject({ data: { outcome: 'no_answer', actor: 'li.wei' } });

    // The evidence pack records who exported it.
    const evidence = await api.call('GET', `/v1/cases/${input.loanId}/evidence`, { token: TOKENS.supervisor });
    expect(evidence.status, JSON.stringify(evidence.body)).toBe(200);
    expect(evidence.body).toMatchObject({ loanId: input.loanId, exportedBy: 'zhang.min' });
  });
});

describe('operators file', () => {
  it('refuses to start on an invalid file, naming the field', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'operators-bad-'));
    const bad = path.join(dir, 'operators.yaml');
    writeFileSync(bad, 'operators:\n  - { id: x, role: chief, tokenSha256: abc }\n');
    expect(() => resolveAuthMode(apiEnv({ OPERATORS_FILE: bad }))).toThrow(ConfigError);
    expect(() => resolveAuthMode(apiEnv({ OPERATORS_FILE: bad }))).toThrow(/operators\.0\.role/);
  });

  it('matches a token by its SHA-256 only', () => {
    const operators = [{ id: 'a', role: 'viewer' as const, tokenSha256: sha256Hex('token-a-0123456789') }];
    expect(authenticate(operators, 'token-a-0123456789')?.id).toBe('a');
    expect(authenticate(operators, 'token-a-0123456788')).toBeUndefined();
    expect(authenticate(operators, sha256Hex('token-a-0123456789'))).toBeUndefined();
  });
});

type Timeline = Array<{ kind: string; detail: string; data?: Record<string, unknown> }>;
async function waitForTimeline(id: string, predicate: (t: Timeline) => boolean) {
  const read = async () => (await api.call('GET', `/v1/cases/${id}/timeline`)).body as Timeline;
  // On a time-out the caller's assertions say what is missing.
  return eventually(read, predicate, { timeoutMs: 30_000, intervalMs: 200, what: `the timeline of ${id}` }).catch(read);
}
