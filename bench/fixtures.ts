import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { sampleCaseInput } from '../scripts/sample-case';
import type { CaseInput, PaymentReceived } from '../src/shared/schemas';

/** A tag unique to this run, so loan ids never collide with another run on the same server. */
export const RUN_TAG = randomBytes(3).toString('hex');

/** The sample debtor's time zone (scripts/sample-case.ts). */
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
  return Array.from({ length: count }, (_, i) => ({ ...sampleCaseInput(`B${RUN_TAG}-${label}-${i}`, `D-${i}`), overdueSince, ...extra }));
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
