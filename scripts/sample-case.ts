import type { CaseInput } from '../src/shared/schemas';

/**
 * The made-up borrower that the tests, the fault matrix and the bench open cases for: a CNY
 * personal loan with a guarantor, valid on every policy. Callers give the ids and override the rest.
 */
export function sampleCaseInput(loanId: string, debtorId: string): CaseInput {
  return {
    loanId,
    product: 'personal_loan',
    reason: 'overdue',
    currency: 'CNY',
    amountDueMinor: 8_000_000,
    overdueSince: '2026-11-01',
    history: { previousDelinquencies: 0, brokenPromises: 0, monthsOnBook: 24 },
    guarantors: [{ name: 'Li Na', phone: '+8613900000002', address: { line1: '2 Guarantor Road', city: 'Shanghai', postalCode: '200002', country: 'CN' } }],
    debtor: {
      id: debtorId,
      type: 'individual',
      name: 'Wang Fang',
      phone: '+8613800138000',
      address: { line1: '1 Debtor Street', city: 'Shanghai', postalCode: '200001', country: 'CN' },
      timezone: 'Asia/Shanghai',
    },
  };
}
