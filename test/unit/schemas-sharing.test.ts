import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { regexes } from 'zod/v4/core';
import * as schemas from '../../src/shared/schemas';

/**
 * The workflow bundle shares zod and schemas.ts between workflows (src/workflow-bundle.ts), and
 * the SDK deep-freezes shared modules; schemas.ts builds each schema on first use behind a Proxy.
 * These check that both stay invisible to callers.
 */
describe('schemas built on first use', () => {
  it('behave as the zod schemas they stand for', () => {
    expect(schemas.CaseInput).toBeInstanceOf(z.ZodObject);
    expect(schemas.LoanId).toBeInstanceOf(z.ZodType);
    expect(Object.keys(schemas.PaymentReceived.shape)).toEqual(['paymentId', 'amountMinor', 'currency', 'receivedAt', 'channel']);
    const extended = schemas.PaymentReceived.extend({ note: z.string() });
    expect(extended.safeParse({ paymentId: 'P-1', amountMinor: 1, currency: 'CNY', receivedAt: '2026-11-28T10:00:00+08:00', note: 'x' }).success).toBe(true);
    expect(schemas.DueDate.safeParse('2026-11-28').success).toBe(true);
    expect(schemas.Address.parse('1 Main Street')).toEqual({ line1: '1 Main Street' });
    const json = z.toJSONSchema(schemas.PaymentReceived) as { required?: string[] };
    expect(json.required).toEqual(['paymentId', 'amountMinor', 'currency', 'receivedAt']);
  });

  it('reject what they rejected before, with the same messages', () => {
    const bad = schemas.CaseInput.safeParse({ loanId: '-x', product: 'car', reason: 'overdue', debtor: {}, currency: 'XYZ', amountDueMinor: 0, overdueSince: '2026-02-30' });
    expect(bad.success).toBe(false);
    const message = schemas.describeZodError(bad.error!);
    expect(message).toContain('loanId: letters, digits');
    expect(message).toContain('currency: an unknown ISO 4217 currency');
    expect(message).toContain('overdueSince: Invalid ISO date');
    expect(schemas.Debtor.shape.email.safeParse('a@b').success).toBe(false);
  });

  it('parse with zod frozen, as the workflow sandbox shares it', () => {
    // What the SDK does to a preloaded module: zod's module-level patterns become read-only.
    Object.freeze(regexes.date);
    Object.freeze(regexes.email);
    expect(schemas.IsoDate.safeParse('2024-02-29').success).toBe(true);
    expect(schemas.IsoDate.safeParse('2026-02-30').success).toBe(false);
    expect(schemas.Debtor.shape.email.safeParse('wang.fang@example.cn').success).toBe(true);
    expect(schemas.Debtor.shape.email.safeParse('wang.fang@').success).toBe(false);
    expect(schemas.ContactUpdated.safeParse({ email: 'x@example.cn' }).success).toBe(true);
  });

  it('are left alone by a deep freeze of the module, built or not', () => {
    // What the SDK does to a shared module's exports: walk own properties, freeze what it finds.
    const deepFreeze = (value: unknown, seen = new Set<unknown>()): void => {
      if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value) || Object.isFrozen(value)) return;
      seen.add(value);
      for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
      Object.freeze(value);
    };
    schemas.PaymentReceived.safeParse({}); // built before the freeze
    deepFreeze({ ...schemas });
    // Unbuilt schemas are not built by it, and none is frozen: zod caches what it computes on a schema's own objects.
    expect(Object.isFrozen(schemas.SettlementOffer.shape)).toBe(false);
    expect(Object.isFrozen(schemas.PaymentReceived._zod)).toBe(false);
    expect(schemas.SettlementOffer.safeParse({ amountMinor: 100, validUntil: '2026-12-01' }).success).toBe(true);
    expect(schemas.PaymentReceived.safeParse({ paymentId: 'P-1', amountMinor: 1, currency: 'XYZ', receivedAt: '2026-11-28T10:00:00+08:00' }).success).toBe(false);
  });
});
