import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/sandbox/server';
import { tsEntryArgs } from '../scripts/tools/ts-entry';

// Real HTTP against a sandbox on a free port; no Temporal involved.

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});

afterEach(() => {
  sandbox.reset();
});

afterAll(async () => {
  await sandbox.close();
});

interface Reply {
  status: number;
  body: any; // assertions read arbitrary JSON
  headers: Headers;
}

async function call(method: string, path: string, init: { body?: unknown; key?: string; rawBody?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (init.key !== undefined) headers['idempotency-key'] = init.key;
  let body: string | undefined;
  if (init.rawBody !== undefined || init.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = init.rawBody ?? JSON.stringify(init.body);
  }
  const res = await fetch(`${sandbox.url}${path}`, { method, headers, body });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

const post = (path: string, body: unknown, key?: string) => call('POST', path, { body, key });

const address = { line1: '88 Century Avenue', city: 'Shanghai', postalCode: '200120', country: 'CN' };
const recipient = { name: 'Zhang San', role: 'debtor' };

const requests = {
  sms: { to: '+8613812345678', template: 'reminder-1', params: { amount: '1200.00' }, locale: 'zh-CN' },
  call: { to: '+8613812345678', debtorRef: 'D-1', assignee: 'agent-7', script: 'first-call', params: {} },
  letter: { recipient, address, template: 'dunning-1', params: { dueDate: '2026-03-01' } },
  lawyerLetter: { recipient, address, loanId: 'L-1', amountMinor: 120_000, currency: 'CNY' },
  litigation: {
    loanId: 'L-1',
    debtor: { name: 'Zhang San', address },
    guarantors: [{ name: 'Li Si' }],
    amountMinor: 120_000,
    currency: 'CNY',
    evidence: [{ kind: 'contract', ref: 'doc-1' }],
  },
  placement: { loanId: 'L-2', debtorRef: 'D-2', amountMinor: 50_000, currency: 'CNY', agency: 'acme' },
  recall: { placementId: 'agy_000001', loanId: 'L-2' },
};

describe('provider endpoints', () => {
  it.each([
    ['/v1/sms', requests.sms, 'messageId', /^sms_\d{6}$/],
    ['/v1/calls', requests.call, 'taskId', /^call_\d{6}$/],
    ['/v1/letters', requests.letter, 'letterId', /^ltr_\d{6}$/],
    ['/v1/lawyer-letters', requests.lawyerLetter, 'referenceNo', /^LL-\d{4}-\d{6}$/],
    ['/v1/litigations', requests.litigation, 'caseNo', /^CASE-\d{6}$/],
    ['/v1/agency-placements', requests.placement, 'placementId', /^agy_\d{6}$/],
  ])('POST %s delivers and records it', async (path, body, field, pattern) => {
    const res = await post(path, body, `wf-1/${path}`);

    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual([field]);
    expect(res.body[field]).toMatch(pattern);
    const { deliveries, requests: log } = sandbox.ledger();
    expect(deliveries).toEqual([
      {
        id: expect.stringMatching(/^dlv_\d{6}$/),
        method: 'POST',
        path,
        idempotencyKey: `wf-1/${path}`,
        body,
        receivedAt: expect.any(String),
        attempts: 1,
        response: { status: 200, body: res.body },
      },
    ]);
    expect(log).toEqual([{ at: expect.any(String), method: 'POST', path, idempotencyKey: `wf-1/${path}`, status: 200, replayed: false }]);
  });

  it('POST /v1/agency-recalls acknowledges the recall', async () => {
    const res = await post('/v1/agency-recalls', requests.recall, 'wf-2/recall');
    expect(res).toMatchObject({ status: 200, body: { recalled: true } });
    expect(sandbox.ledger().deliveries).toHaveLength(1);
  });

  it('keeps unlisted fields and records them', async () => {
    const body = { ...requests.sms, campaign: 'spring' };
    expect((await post('/v1/sms', body, 'k-extra')).status).toBe(200);
    expect(sandbox.ledger().deliveries[0]?.body).toEqual(body);
  });

  it('hands out a new provider ID per delivery', async () => {
    const a = await post('/v1/sms', requests.sms, 'k-a');
    const b = await post('/v1/sms', requests.sms, 'k-b');
    expect(a.body.messageId).not.toBe(b.body.messageId);
  });
});

describe('request validation', () => {
  it('rejects a request without Idempotency-Key with 400 and delivers nothing', async () => {
    const res = await post('/v1/sms', requests.sms);

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('missing_idempotency_key');
    const { deliveries, requests: log } = sandbox.ledger();
    expect(deliveries).toEqual([]);
    expect(log).toMatchObject([{ path: '/v1/sms', idempotencyKey: null, status: 400 }]);
  });

  it('rejects a body missing required fields with 400 invalid_request and details', async () => {
    const res = await post('/v1/letters', { recipient, template: 'x', params: {} }, 'k-bad');

    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', message: expect.any(String) });
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/address' })]));
    expect(sandbox.ledger().deliveries).toEqual([]);
  });

  it('rejects malformed JSON with 400 invalid_request', async () => {
    const res = await call('POST', '/v1/sms', { rawBody: '{"to":', key: 'k-json' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });

  it('answers unknown routes with 404 not_found', async () => {
    const res = await post('/v1/faxes', {}, 'k-fax');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('idempotency', () => {
  it('replays the first response for a repeated key and counts the attempt', async () => {
    const first = await post('/v1/sms', requests.sms, 'wf-3/sms-1');
    const second = await post('/v1/sms', requests.sms, 'wf-3/sms-1');

    expect(second.status).toBe(first.status);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const { deliveries, requests: log } = sandbox.ledger();
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.attempts).toBe(2);
    // A script judging from the ledger alone tells the one delivery from its replay.
    expect(log.map((r) => [r.status, r.replayed])).toEqual([
      [200, false],
      [200, true],
    ]);
  });

  it('delivers once when retries of one key race each other', async () => {
    const replies = await Promise.all(Array.from({ length: 5 }, () => post('/v1/calls', requests.call, 'wf-4/call-1')));

    expect(new Set(replies.map((r) => r.body.taskId)).size).toBe(1);
    expect(sandbox.ledger().deliveries).toMatchObject([{ idempotencyKey: 'wf-4/call-1', attempts: 5 }]);
  });

  it('rejects the same key with a different body with 409', async () => {
    await post('/v1/sms', requests.sms, 'wf-5/sms-1');
    const res = await post('/v1/sms', { ...requests.sms, template: 'reminder-2' }, 'wf-5/sms-1');

    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('idempotency_conflict');
    expect(sandbox.ledger().deliveries).toHaveLength(1);
  });

  it('rejects the same key on a different endpoint with 409', async () => {
    await post('/v1/sms', requests.sms, 'wf-6/step');
    const res = await post('/v1/calls', requests.call, 'wf-6/step');
    expect(res.status).toBe(409);
  });
});

describe('fault injection', () => {
  it('fails the first N attempts per key with 503, then delivers once', async () => {
    sandbox.setFaults({ failFirstAttempts: 2 });

    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post('/v1/sms', requests.sms, 'wf-7/sms-1')).status);
    const otherKey = await post('/v1/sms', requests.sms, 'wf-7/sms-2');

    expect(statuses).toEqual([503, 503, 200]);
    expect(otherKey.status).toBe(503); // counted per key
    const { deliveries, requests: log } = sandbox.ledger();
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ idempotencyKey: 'wf-7/sms-1', attempts: 3 });
    expect(log.map((r) => [r.idempotencyKey, r.status])).toEqual([
      ['wf-7/sms-1', 503],
      ['wf-7/sms-1', 503],
      ['wf-7/sms-1', 200],
      ['wf-7/sms-2', 503],
    ]);
  });

  it('loses the response after the effect: the retry with the same key gets the first answer, one delivery', async () => {
    sandbox.setFaults({ dropFirstResponses: 1 });
    await expect(post('/v1/sms', requests.sms, 'wf-lost/sms-1')).rejects.toThrow();
    const retry = await post('/v1/sms', requests.sms, 'wf-lost/sms-1');
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const { deliveries, requests: log } = sandbox.ledger();
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ idempotencyKey: 'wf-lost/sms-1', attempts: 2, response: { body: retry.body } });
    expect(log.map((r) => [r.status, r.replayed])).toEqual([
      [0, false],
      [200, true],
    ]);
  });

  it('answers 429 with Retry-After and delivers nothing', async () => {
    sandbox.setFaults({ rateLimitRate: 1, retryAfterSeconds: 3 });
    const res = await post('/v1/sms', requests.sms, 'wf-429/sms-1');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.body.error.code).toBe('rate_limited');
    expect(sandbox.ledger().deliveries).toHaveLength(0);
  });

  it('applies faults before validation', async () => {
    sandbox.setFaults({ errorRate: 1 });
    const res = await post('/v1/sms', {});
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('unavailable');
  });

  it('limits faults to the configured path prefixes and leaves admin routes alone', async () => {
    sandbox.setFaults({ errorRate: 1, paths: ['/v1/letters'] });

    expect((await post('/v1/letters', requests.letter, 'k-l')).status).toBe(503);
    expect((await post('/v1/sms', requests.sms, 'k-s')).status).toBe(200);
    expect((await call('GET', '/healthz')).status).toBe(200);
  });

  it('delays responses by latencyMs', async () => {
    const latencyMs = 150;
    sandbox.setFaults({ latencyMs });

    const started = performance.now();
    const res = await post('/v1/sms', requests.sms, 'k-slow');
    const elapsed = performance.now() - started;

    expect(res.status).toBe(200);
    // Node timers are millisecond-granular; allow for rounding, never for skipping the delay.
    expect(elapsed).toBeGreaterThanOrEqual(latencyMs - 2);
  });

  it('validates fault changes made over HTTP and returns the new config', async () => {
    const bad = await post('/admin/faults', { errorRate: 2 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');

    const typo = await post('/admin/faults', { errorrate: 0.5 });
    expect(typo.status).toBe(400);

    const ok = await post('/admin/faults', { failFirstAttempts: 1 });
    expect(ok).toMatchObject({ status: 200, body: { latencyMs: 0, errorRate: 0, failFirstAttempts: 1 } });
    expect((await post('/v1/sms', requests.sms, 'k-http-fault')).status).toBe(503);
  });
});

describe('invalid contacts', () => {
  it('rejects a phone that is not E.164 with 422 and records no delivery', async () => {
    const res = await post('/v1/sms', { ...requests.sms, to: '13812345678' }, 'k-phone');

    expect(res.status).toBe(422);
    expect(res.body.error).toEqual({ code: 'invalid_phone', message: expect.any(String) });
    const { deliveries, requests: log } = sandbox.ledger();
    expect(deliveries).toEqual([]);
    expect(log).toMatchObject([{ idempotencyKey: 'k-phone', status: 422 }]);
  });

  it('rejects a phone marked invalid through the API and through the admin endpoint', async () => {
    sandbox.markInvalid({ phones: ['+8613812345678'] });
    expect((await post('/v1/calls', requests.call, 'k-marked-1')).status).toBe(422);

    const admin = await post('/admin/invalid-contacts', { phones: ['+8613900000000'] });
    expect(admin.status).toBe(200);
    const res = await post('/v1/sms', { ...requests.sms, to: '+8613900000000' }, 'k-marked-2');
    expect(res).toMatchObject({ status: 422, body: { error: { code: 'invalid_phone' } } });
  });

  it('rejects a blank or marked address with 422 invalid_address, matching line1 case-insensitively', async () => {
    const blank = await post('/v1/letters', { ...requests.letter, address: { line1: '   ' } }, 'k-addr-1');
    expect(blank).toMatchObject({ status: 422, body: { error: { code: 'invalid_address' } } });

    sandbox.markInvalid({ addresses: ['88 CENTURY  avenue'] });
    expect((await post('/v1/lawyer-letters', requests.lawyerLetter, 'k-addr-2')).status).toBe(422);
    expect((await post('/v1/letters', requests.letter, 'k-addr-3')).status).toBe(422);
  });

  it('still replays a delivery made before the contact was marked invalid', async () => {
    const first = await post('/v1/sms', requests.sms, 'k-before');
    sandbox.markInvalid({ phones: [requests.sms.to] });
    const again = await post('/v1/sms', requests.sms, 'k-before');
    expect(again).toMatchObject({ status: 200, body: first.body });
  });
});

describe('admin', () => {
  it('serves health and the same ledger over HTTP', async () => {
    await post('/v1/sms', requests.sms, 'k-ledger');
    expect(await call('GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ledger = await call('GET', '/admin/ledger');
    expect(ledger.body).toEqual(sandbox.ledger());
  });

  it('reset empties the ledger and invalid contacts and restores start-up faults', async () => {
    const before = await post('/v1/sms', requests.sms, 'k-reset');
    sandbox.markInvalid({ phones: [requests.sms.to] });
    sandbox.setFaults({ errorRate: 1 });

    const res = await post('/admin/reset', undefined);
    expect(res).toMatchObject({ status: 200, body: { reset: true } });

    expect(sandbox.ledger()).toEqual({ deliveries: [], requests: [] });
    expect((await call('GET', '/admin/faults')).body).toEqual({ latencyMs: 0, errorRate: 0, failFirstAttempts: 0 });
    const after = await post('/v1/sms', requests.sms, 'k-reset');
    expect(after.status).toBe(200);
    // The key is forgotten, but provider IDs keep counting so they stay unique.
    expect(after.body.messageId).not.toBe(before.body.messageId);
  });
});

describe('a sandbox process killed and restarted (SANDBOX_LEDGER_FILE)', () => {
  /** `npm run sandbox`'s entry as a process on a free port; resolves with its URL once it listens. */
  async function startProcess(ledgerFile: string): Promise<{ url: string; kill9(): Promise<void> }> {
    const child = spawn(process.execPath, tsEntryArgs(path.resolve(__dirname, '../src/sandbox/main.ts')), {
      env: { ...process.env, SANDBOX_PORT: '0', SANDBOX_LEDGER_FILE: ledgerFile, LOG_FORMAT: 'json', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split('\n').find((l) => l.includes('provider sandbox listening'));
        if (line) resolve(String((JSON.parse(line) as { url: string }).url));
      });
      child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`sandbox exited (${code}): ${output}`)));
    });
    return {
      url,
      kill9: async () => {
        child.kill('SIGKILL');
        await exited;
      },
    };
  }

  const send = (url: string, key: string) =>
    fetch(`${url}/v1/sms`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(requests.sms) });

  it('keeps its ledger and idempotency keys across a kill -9: the retry is a replay, new IDs stay unique', async () => {
    const ledgerFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'sandbox-ledger-')), 'ledger.jsonl');
    const first = await startProcess(ledgerFile);
    const delivered = (await (await send(first.url, 'wf-kill/sms-1')).json()) as { messageId: string };
    await first.kill9();

    const second = await startProcess(ledgerFile);
    try {
      const retry = await send(second.url, 'wf-kill/sms-1');
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(await retry.json()).toEqual(delivered);
      const other = (await (await send(second.url, 'wf-kill/sms-2')).json()) as { messageId: string };
      expect(other.messageId).not.toBe(delivered.messageId);
      const ledger = (await (await fetch(`${second.url}/admin/ledger`)).json()) as ReturnType<Sandbox['ledger']>;
      expect(ledger.deliveries.map((d) => [d.idempotencyKey, d.attempts])).toEqual([
        ['wf-kill/sms-1', 2],
        ['wf-kill/sms-2', 1],
      ]);
      expect(ledger.requests.map((r) => [r.idempotencyKey, r.status, r.replayed])).toEqual([
        ['wf-kill/sms-1', 200, false],
        ['wf-kill/sms-1', 200, true],
        ['wf-kill/sms-2', 200, false],
      ]);
    } finally {
      await second.kill9();
    }
  });
});

describe('logging', () => {
  it('logs method, path, key, status and a masked phone, never the full phone or names', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logged = await startSandbox({ logger: pino({ level: 'trace' }, sink) });
    try {
      for (const [path, body] of [
        ['/v1/sms', requests.sms],
        ['/v1/letters', requests.letter],
        ['/v1/litigations', requests.litigation],
      ] as const) {
        await fetch(`${logged.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `log${path}` },
          body: JSON.stringify(body),
        });
      }
    } finally {
      await logged.close();
    }

    const text = lines.join('');
    expect(text).toContain('+86138****5678');
    expect(text).not.toContain('+8613812345678');
    expect(text).not.toContain('Zhang San');
    expect(text).not.toContain('Li Si');
    expect(text).not.toContain('Century');
    const entry = lines.map((l) => JSON.parse(l)).find((l) => l.path === '/v1/sms');
    expect(entry).toMatchObject({ method: 'POST', path: '/v1/sms', idempotencyKey: 'log/v1/sms', status: 200 });
  });
});
