import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import type { CaseInput, PaymentReceived } from '../src/shared/schemas';

/** A tag unique to this run, so loan ids never collide with another run on the same server. */
export const RUN_TAG = randomBytes(3).toString('hex');

const DEBTOR_ZONE = 'Asia/Shanghai';

/** Today in the debtor's zone: a case that went overdue today waits a day or more for its first step. */
export function overdueToday(): string {
  return DateTime.now().setZone(DEBTOR_ZONE).toISODate()!;
}

/**
 * `count` realistic, valid case inputs (a CNY personal loan with a guarantor), identical
 * except for the loan id `B<run>-<label>-<i>`.
 */
export function caseInputs(label: string, count: number, extra: { policyId?: string } = {}): CaseInput[] {
  const overdueSince = overdueToday();
  return Array.from({ length: count }, (_, i) => ({
    loanId: `B${RUN_TAG}-${label}-${i}`,
    product: 'personal_loan',
    reason: 'overdue',
    currency: 'CNY',
    amountDueMinor: 8_000_000,
    overdueSince,
    history: { previousDelinquencies: 0, brokenPromises: 0, monthsOnBook: 24 },
    guarantors: [{ name: 'Li Na', phone: '+8613900000002', address: { line1: '2 Guarantor Road', city: 'Shanghai', postalCode: '200002', country: 'CN' } }],
    debtor: {
      id: `D-${i}`,
      type: 'individual',
      name: 'Wang Fang',
      phone: '+8613800138000',
      address: { line1: '1 Debtor Street', city: 'Shanghai', postalCode: '200001', country: 'CN' },
      timezone: DEBTOR_ZONE,
    },
    ...extra,
  }));
}

/** A payment of the whole amount due, with a payment id stable per case. */
export function fullPayment(input: CaseInput): PaymentReceived {
  return {
    paymentId: `pay-${input.loanId}`,
    amountMinor: input.amountDueMinor,
    currency: input.currency,
    receivedAt: new Date().toISOString(),
    channel: 'bank_transfer',
  };
}
