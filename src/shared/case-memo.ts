import { z } from 'zod';
import { Stage } from './schemas';

/**
 * The case memo: facts visibility returns with every case (list results carry the memo),
 * so reports need no query per case. Not searchable; search attributes are for finding
 * cases, the memo is for reading them in bulk.
 *
 * - Set at start by CaseService.open: `currency`, `amountDueMinor`, `overdueSince` (the
 *   overdue episode: reopening the same episode returns the existing case, even once closed).
 * - Reporting facts the workflow keeps current with `upsertMemo` on each change:
 *   `promisesKept`, `promisesBroken`, `rightPartyContact`, `recoveredByStage`.
 *   (They are memo fields, not search attributes, because SQL visibility (the dev server,
 *   MySQL, PostgreSQL) allows only 3 Int search attributes per namespace, and
 *   OutstandingMinor, RecoveredMinor and CostMinor take all three.)
 *
 * The workflow imports only the type (src/workflows/search-attributes.ts): a value import would
 * evaluate this module's zod schema in every cached case.
 *
 * Readers tolerate every field's absence: cases opened before a field existed simply do
 * not count towards the figure that needs it.
 */
export const CaseMemo = z.object({
  currency: z.string().optional(),
  amountDueMinor: z.number().int().optional(),
  overdueSince: z.string().optional(),
  /** Promises, plans and settlements judged kept. */
  promisesKept: z.number().int().min(0).optional(),
  /** Promises and plans judged broken. */
  promisesBroken: z.number().int().min(0).optional(),
  /** True once a collector has spoken with the debtor (a call outcome of promise, refused or paid_claimed). */
  rightPartyContact: z.boolean().optional(),
  /** Amount recovered (minor units, overpayments excluded) while the case was in each stage. */
  recoveredByStage: z.partialRecord(Stage, z.number().int().min(0)).optional(),
});
export type CaseMemo = z.infer<typeof CaseMemo>;

/** Reads a memo leniently: a malformed field is dropped, never fatal. */
export function readCaseMemo(memo: Record<string, unknown> | undefined): CaseMemo {
  if (!memo) return {};
  const result: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(CaseMemo.shape)) {
    const parsed = (schema as z.ZodType).safeParse(memo[key]);
    if (parsed.success && parsed.data !== undefined) result[key] = parsed.data;
  }
  return result as CaseMemo;
}
