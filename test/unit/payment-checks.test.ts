import { describe, expect, it } from 'vitest';
import { applyPayment, checkPayment, indexPayments, openCase } from '../../src/domain/case-state';
import type { CaseInput, PaymentReceived } from '../../src/shared/schemas';

/** Payments counted once whatever the path (spec section 9): the pure checks the signal, the update and its validator share. */

const input = { loanId: 'L-1', currency: 'CNY', amountDueMinor: 1_000_000 } as CaseInput;
const pay = (paymentId: string, amountMinor = 100_000, currency = 'CNY'): PaymentReceived => ({ paymentId, amountMinor, currency, receivedAt: '2026-11-28T10:00:00+08:00' });

describe('checkPayment / applyPayment', () => {
  it.each([
    ['the same id', pay('P1'), { ok: false, kind: 'duplicate' }],
    ['the same id with whitespace', pay(' P1\t'), { ok: false, kind: 'duplicate' }],
    ['the same id with another amount', pay('P1', 5), { ok: false, kind: 'conflict' }],
    ['the same id with another currency', pay('P1 ', 100_000, 'USD'), { ok: false, kind: 'conflict' }],
    ['a new id in another currency', pay('P2', 100_000, 'USD'), { ok: false, kind: 'currency_mismatch' }],
    ['a new id', pay('P2'), { ok: true }],
  ])('after P1 of CNY 1,000.00: %s', (_what, payment, expected) => {
    const data = openCase(input, '2026-11-28T00:00:00Z');
    applyPayment(data, pay('P1'), 0);
    expect(checkPayment(data, payment)).toMatchObject(expected);
  });

  it('stores the trimmed id, so "P1 " first and "P1" later are one payment', () => {
    const data = openCase(input, '2026-11-28T00:00:00Z');
    applyPayment(data, pay(' P1 '), 0);
    expect(data.paymentIds).toEqual(['P1']);
    expect(checkPayment(data, pay('P1'))).toMatchObject({ ok: false, kind: 'duplicate' });
    expect(data.paidMinor).toBe(100_000);
  });

  it("keeps the exact comparison for runs that started before the fix (their replay is unchanged)", () => {
    const data = openCase(input, '2026-11-28T00:00:00Z');
    applyPayment(data, pay('P1 '), 0, 'exact');
    expect(data.paymentIds).toEqual(['P1 ']);
    expect(checkPayment(data, pay('P1'), 'exact')).toEqual({ ok: true });
    // Trimmed comparison also recognises ids stored untrimmed by older runs.
    expect(checkPayment(data, pay('P1'))).toMatchObject({ ok: false, kind: 'duplicate' });
  });

  it('treats a repeat of a payment recorded before amounts were kept as a duplicate, not a conflict', () => {
    const data = openCase(input, '2026-11-28T00:00:00Z');
    data.paymentIds.push('OLD-1');
    expect(checkPayment(data, pay('OLD-1', 7))).toMatchObject({ ok: false, kind: 'duplicate' });
  });
});

describe("mode 'indexed': one lookup per payment, each id stored once", () => {
  it.each([
    ['the same id', pay('P1'), { ok: false, kind: 'duplicate' }],
    ['the same id with whitespace', pay(' P1\t'), { ok: false, kind: 'duplicate' }],
    ['the same id with another amount', pay('P1', 5), { ok: false, kind: 'conflict' }],
    ['a new id in another currency', pay('P2', 100_000, 'USD'), { ok: false, kind: 'currency_mismatch' }],
    ['a new id', pay('P2'), { ok: true }],
    ['an id named like an object property', pay('__proto__'), { ok: true }],
    ['another such id', pay('constructor'), { ok: true }],
  ])('after P1 of CNY 1,000.00: %s', (_what, payment, expected) => {
    const data = openCase(input, '2026-11-28T00:00:00Z');
    indexPayments(data);
    applyPayment(data, pay('P1'), 0, 'indexed');
    expect(checkPayment(data, payment, 'indexed')).toMatchObject(expected);
  });

  it('keeps the id only in paymentFacts, and a property-like id dedupes like any other', () => {
    const data = openCase(input, '2026-11-28T00:00:00Z');
    indexPayments(data);
    applyPayment(data, pay(' __proto__ '), 0, 'indexed');
    expect(data.paymentIds).toEqual([]);
    expect(checkPayment(data, pay('__proto__'), 'indexed')).toMatchObject({ ok: false, kind: 'duplicate' });
    // Across continue-as-new: the state goes through JSON.
    const carried = JSON.parse(JSON.stringify(data)) as typeof data;
    expect(checkPayment(carried, pay('__proto__'), 'indexed')).toMatchObject({ ok: false, kind: 'duplicate' });
  });

  it.each([
    ['trimmed ids with amounts', ['P1'], { P1: '100000 CNY' }, { P1: '100000 CNY' }],
    ['an untrimmed id of an exact-mode run', ['P1 '], { 'P1 ': '100000 CNY' }, { 'P1 ': '100000 CNY', P1: '100000 CNY' }],
    ['an id kept before amounts were', ['OLD-1'], undefined, { 'OLD-1': '' }],
  ])('indexPayments moves %s into paymentFacts', (_what, ids, facts, expected) => {
    const data = openCase(input, '2026-11-28T00:00:00Z');
    data.paymentIds = [...ids];
    data.paymentFacts = facts && { ...facts };
    indexPayments(data);
    expect(data.paymentIds).toEqual([]);
    expect(data.paymentFacts).toEqual(expected);
    expect(checkPayment(data, pay(ids[0]!.trim(), 7), 'indexed')).toMatchObject({ ok: false, kind: facts ? 'conflict' : 'duplicate' });
  });

  it('checks 10,000 distinct payments in linear time (no scan of the ids applied)', () => {
    const data = openCase({ ...input, amountDueMinor: 1_000_000_000 }, '2026-11-28T00:00:00Z');
    indexPayments(data);
    // This process's CPU time, not the wall clock: other load on a shared machine does not count.
    const started = process.cpuUsage();
    for (let i = 0; i < 10_000; i += 1) {
      const p = pay(`STORM-${i}`, 1);
      expect(checkPayment(data, p, 'indexed').ok).toBe(true);
      applyPayment(data, p, 0, 'indexed');
      expect(checkPayment(data, p, 'indexed').ok).toBe(false);
    }
    expect(data.paidMinor).toBe(10_000);
    expect(Object.keys(data.paymentFacts!)).toHaveLength(10_000);
    // A scan would be 10^8 comparisons; the lookup takes milliseconds.
    const used = process.cpuUsage(started);
    expect((used.user + used.system) / 1000).toBeLessThan(2_000);
  });
});
