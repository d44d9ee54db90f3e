import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeSignature, signatureHeader, verifySignature } from '../src/api/signature';
import { applyPaymentUpdate, paymentReceivedSignal } from '../src/shared/messages';
import { caseWorkflowId } from '../src/shared/ids';
import { caseInput, startHarness, waitForStatus, type Harness } from './support/harness';
import { apiEnv, eventually, startApi, WEBHOOK_SECRET, type ApiServer } from './support/api';

/** The signed payment webhook over real HTTP, against a real Temporal dev server. */

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

const now = () => Math.floor(Date.now() / 1000);

function payment(loanId: string, overrides: Record<string, unknown> = {}) {
  return { loanId, paymentId: `P-${Math.random().toString(36).slice(2)}`, amountMinor: 100_000, currency: 'CNY', receivedAt: '2026-11-20T10:00:00+08:00', channel: 'bank_transfer', ...overrides };
}

async function openCase(overrides: Parameters<typeof caseInput>[0] = {}) {
  const input = caseInput(overrides);
  expect((await api.call('POST', '/v1/cases', { body: input })).status).toBe(201);
  await waitForStatus(harness, input.loanId, (s) => s.segment !== undefined);
  return input;
}

async function timelineKinds(loanId: string): Promise<string[]> {
  return ((await api.call('GET', `/v1/cases/${loanId}/timeline`)).body as Array<{ kind: string }>).map((e) => e.kind);
}

describe('POST /v1/payments', () => {
  it('accepts a signed payment with 202 and reduces the balance', async () => {
    const input = await openCase();
    const body = JSON.stringify(payment(input.loanId, { amountMinor: 250_000 }));
    const response = await api.pay(body, { contentType: 'application/json; charset=utf-8' });
    expect(response).toEqual({ status: 202, body: { accepted: true } });
    const status = await eventually(() => api.call('GET', `/v1/cases/${input.loanId}`), (r) => r.body.paidMinor === 250_000, 20_000, 'payment applied');
    expect(status.body.outstandingMinor).toBe(input.amountDueMinor - 250_000);
  });

  it('accepts 30 identical deliveries with 202, counts the payment once and adds no history after the first', { timeout: 120_000 }, async () => {
    const input = await openCase();
    const handle = harness.client.workflow.getHandle(caseWorkflowId(input.loanId));
    const body = JSON.stringify(payment(input.loanId, { paymentId: 'BANK-REF-0001', amountMinor: 300_000 }));
    expect(await api.pay(body)).toEqual({ status: 202, body: { accepted: true } });
    const status = await waitForStatus(harness, input.loanId, (s) => s.paidMinor === 300_000);
    expect(status.outstandingMinor).toBe(input.amountDueMinor - 300_000);
    // Hold the case still (a pause) so that its own timers add nothing while we count.
    await harness.cases.signal(input.loanId, 'pause', { reason: 'counting history', actor: 'test' });
    await waitForStatus(harness, input.loanId, (s) => s.state === 'paused');
    // Message events only: the case's own bookkeeping (an archive write finishing) may still land meanwhile.
    const messageEvents = async () =>
      ((await handle.fetchHistory()).events ?? []).filter(
        (e) => e.workflowExecutionUpdateAcceptedEventAttributes || e.workflowExecutionUpdateCompletedEventAttributes || e.workflowExecutionSignaledEventAttributes,
      ).length;
    const before = await messageEvents();
    for (let i = 1; i < 30; i += 1) {
      // A redelivery is signed again by the sender: same payment, sometimes a new signature.
      expect((await api.pay(body, { timestamp: now() + (i % 2) })).status, `delivery ${i + 1}`).toBe(202);
    }
    expect(await messageEvents()).toBe(before);
    expect((await harness.cases.status(input.loanId)).paidMinor).toBe(300_000);
    expect((await timelineKinds(input.loanId)).filter((k) => k === 'payment_received')).toHaveLength(1);
  });

  it('answers 409 payment_conflict for the same paymentId with another amount or currency, and applies nothing', async () => {
    const input = await openCase();
    expect((await api.pay(JSON.stringify(payment(input.loanId, { paymentId: 'PSP-77', amountMinor: 120_000 })))).status).toBe(202);
    const conflict = await api.pay(JSON.stringify(payment(input.loanId, { paymentId: 'PSP-77', amountMinor: 999_000 })));
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: { code: 'payment_conflict', message: expect.stringMatching(/PSP-77/) } });
    // With surrounding whitespace it is the same paymentId.
    const spaced = await api.pay(JSON.stringify(payment(input.loanId, { paymentId: ' PSP-77 ', amountMinor: 5 })));
    expect(spaced.status).toBe(409);
    const status = await harness.cases.status(input.loanId);
    expect(status.paidMinor).toBe(120_000);
  });

  it('counts one payment once whether it arrives as a signal, an update with whitespace around its id, or the webhook', async () => {
    const input = await openCase();
    const handle = harness.client.workflow.getHandle(caseWorkflowId(input.loanId));
    const base = { amountMinor: 200_000, currency: 'CNY', receivedAt: '2026-11-20T10:00:00+08:00' };
    await handle.signal(paymentReceivedSignal, { paymentId: 'P1', ...base });
    await waitForStatus(harness, input.loanId, (s) => s.paidMinor === 200_000);
    await expect(handle.executeUpdate(applyPaymentUpdate, { args: [{ paymentId: ' P1 ', ...base }] })).rejects.toMatchObject({
      cause: { type: 'DuplicatePayment' },
    });
    expect((await api.pay(JSON.stringify({ loanId: input.loanId, paymentId: 'P1\t', ...base }))).status).toBe(202);
    // And the other way round: first the update with whitespace, then the signal without.
    const viaUpdate = await handle.executeUpdate(applyPaymentUpdate, { args: [{ paymentId: ' P2 ', ...base }] });
    expect(viaUpdate).toMatchObject({ accepted: true, duplicate: false, paidMinor: 400_000 });
    await handle.signal(paymentReceivedSignal, { paymentId: 'P2', ...base });
    await waitForStatus(harness, input.loanId, (s) => s.duplicatePayments === 1);
    const status = await harness.cases.status(input.loanId);
    expect(status.paidMinor).toBe(400_000);
    const received = (await harness.cases.timeline(input.loanId)).filter((e) => e.kind === 'payment_received').map((e) => e.data?.paymentId);
    expect(received).toEqual(['P1', 'P2']);
  });

  it('verifies a signature by any secret of WEBHOOK_SECRETS (rotation), and refuses a third', async () => {
    const [oldSecret, newSecret] = ['rotating-secret-old-0001', 'rotating-secret-new-0002'];
    const rotating = await startApi(harness, { env: apiEnv({ TASK_QUEUE: harness.taskQueue, WEBHOOK_SECRET: undefined, WEBHOOK_SECRETS: `${oldSecret}, ${newSecret}` }) });
    try {
      const input = await openCase();
      expect((await rotating.pay(JSON.stringify(payment(input.loanId)), { secret: oldSecret })).status).toBe(202);
      expect((await rotating.pay(JSON.stringify(payment(input.loanId)), { secret: newSecret })).status).toBe(202);
      const third = await rotating.pay(JSON.stringify(payment(input.loanId)), { secret: WEBHOOK_SECRET });
      expect(third.status).toBe(401);
      expect(third.body).toMatchObject({ error: { code: 'invalid_signature' } });
      expect((await harness.cases.status(input.loanId)).paidMinor).toBe(200_000);
    } finally {
      await rotating.close();
    }
  });

  it('refuses a payment in another currency with 422, before anything reaches the case', async () => {
    const input = await openCase();
    const response = await api.pay(JSON.stringify(payment(input.loanId, { currency: 'USD' })));
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ error: { code: 'currency_mismatch', message: expect.stringMatching(/USD.*CNY/) } });
    const kinds = await timelineKinds(input.loanId);
    expect(kinds).not.toContain('payment_received');
    expect(kinds).not.toContain('payment_rejected');
  });

  it('refuses missing, wrong, malformed, expired and future signatures with 401', async () => {
    const input = await openCase();
    const body = JSON.stringify(payment(input.loanId));
    const cases: Array<[string, Parameters<ApiServer['pay']>[1]]> = [
      ['missing', { signature: null }],
      ['empty', { signature: '' }],
      ['wrong secret', { secret: 'another-secret-0123456789' }],
      ['malformed', { signature: 'sha256=abcdef' }],
      ['no v1', { signature: `t=${now()}` }],
      ['short v1', { signature: `t=${now()},v1=abcd` }],
      ['expired', { timestamp: now() - 360 }],
      ['future', { timestamp: now() + 360 }],
    ];
    for (const [what, options] of cases) {
      const response = await api.pay(body, options);
      expect(response.status, what).toBe(401);
      expect(response.body, what).toMatchObject({ error: { code: 'invalid_signature', message: expect.any(String) } });
    }
    // Just inside the window on both sides is fine.
    expect((await api.pay(JSON.stringify(payment(input.loanId)), { timestamp: now() - 290 })).status).toBe(202);
    expect((await api.pay(JSON.stringify(payment(input.loanId)), { timestamp: now() + 290 })).status).toBe(202);
  });

  it('refuses a body changed after signing with 401', async () => {
    const input = await openCase();
    const signed = JSON.stringify(payment(input.loanId, { amountMinor: 100 }));
    const tampered = signed.replace('"amountMinor":100', '"amountMinor":100000');
    expect(tampered).not.toBe(signed);
    const response = await api.pay(tampered, { signature: signatureHeader(WEBHOOK_SECRET, signed) });
    expect(response.status).toBe(401);
    // Even whitespace counts: the signature covers the exact bytes.
    expect((await api.pay(`${signed} `, { signature: signatureHeader(WEBHOOK_SECRET, signed) })).status).toBe(401);
    // Replaying the signature with a fresh timestamp does not work either.
    const t = now() - 10;
    const v1 = computeSignature(WEBHOOK_SECRET, t, signed);
    expect((await api.pay(signed, { signature: `t=${now()},v1=${v1}` })).status).toBe(401);
    expect((await api.pay(signed, { signature: `t=${t},v1=${v1}` })).status).toBe(202);
  });

  it('refuses an invalid body with 400 (after the signature check) and changes nothing', async () => {
    const input = await openCase();
    const invalid: unknown[] = [
      payment(input.loanId, { amountMinor: -5 }),
      payment(input.loanId, { amountMinor: 10.5 }),
      payment(input.loanId, { currency: 'cny' }),
      payment(input.loanId, { receivedAt: 'yesterday' }),
      { ...payment(input.loanId), paymentId: undefined },
      payment('bad loan id!'),
      [payment(input.loanId)],
    ];
    for (const body of invalid) {
      const response = await api.pay(JSON.stringify(body));
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
    }
    expect((await api.pay('{"loanId": "x",')).status).toBe(400);
    expect((await api.pay('')).status).toBe(400);
    // An invalid body without a valid signature is a signature failure: nothing is said about the body.
    expect((await api.pay(JSON.stringify(invalid[0]), { signature: null })).status).toBe(401);

    const status = (await api.call('GET', `/v1/cases/${input.loanId}`)).body;
    expect(status.paidMinor).toBe(0);
    expect(await timelineKinds(input.loanId)).not.toContain('signal_rejected');
  });

  it('answers 404 when the loan has no open case', async () => {
    const response = await api.pay(JSON.stringify(payment('NO-SUCH-LOAN-99')));
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ error: { code: 'case_not_found' } });
  });

  it('accepts a redelivery of the payment that closed the case, and 404s a new payment on it', async () => {
    const input = await openCase({ amountDueMinor: 500_000 });
    const body = JSON.stringify(payment(input.loanId, { paymentId: 'FULL-1', amountMinor: 500_000 }));
    expect((await api.pay(body)).status).toBe(202);
    await waitForStatus(harness, input.loanId, (s) => s.outcome === 'paid_in_full');
    // The case asks for a satisfaction survey, then completes.
    expect((await api.call('POST', `/v1/cases/${input.loanId}/survey-responses`, { body: { score: 5 } })).status).toBe(202);
    await harness.client.workflow.getHandle(`collection-${input.loanId}`).result();

    expect((await api.pay(body)).status).toBe(202);
    const another = await api.pay(JSON.stringify(payment(input.loanId, { paymentId: 'LATE-2' })));
    expect(another.status).toBe(404);
    expect(another.body.error.code).toBe('case_not_found');
  });
});

describe('signature verification', () => {
  it('checks the scheme exactly', () => {
    const body = Buffer.from('{"a":1}');
    const t = 1_800_000_000;
    const header = signatureHeader('s3cret-s3cret-s3cret', body, t);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature({ header, rawBody: body, secrets: ['s3cret-s3cret-s3cret'], nowSeconds: t + 300 })).toEqual({ ok: true, timestamp: t });
    expect(verifySignature({ header, rawBody: body, secrets: ['s3cret-s3cret-s3cret'], nowSeconds: t + 301 })).toEqual({ ok: false, reason: 'expired' });
    expect(verifySignature({ header: `${header},v1=${'0'.repeat(64)}`, rawBody: body, secrets: ['s3cret-s3cret-s3cret'], nowSeconds: t })).toMatchObject({ ok: true });
    expect(verifySignature({ header: `v1=${'0'.repeat(64)},${header}`, rawBody: body, secrets: ['s3cret-s3cret-s3cret'], nowSeconds: t })).toMatchObject({ ok: true });
    expect(verifySignature({ header: header.toUpperCase().replace('T=', 't=').replace('V1=', 'v1='), rawBody: body, secrets: ['s3cret-s3cret-s3cret'], nowSeconds: t })).toMatchObject({ ok: true });
    expect(verifySignature({ header: undefined, rawBody: body, secrets: ['x'], nowSeconds: t })).toEqual({ ok: false, reason: 'missing' });
    expect(verifySignature({ header: 't=abc,v1=00', rawBody: body, secrets: ['x'], nowSeconds: t })).toEqual({ ok: false, reason: 'malformed' });
  });
});
