import { z } from 'zod';
import { PageToken } from '../client/case-list';
import { CaseState, Currency, DebtorType, LoanId, PaymentReceived, Stage } from '../shared/schemas';

/** Request and response shapes of the HTTP API that are not case messages themselves. */

export const LoanIdParams = z.object({ loanId: LoanId });

export const OpenedCase = z.object({
  workflowId: z.string().meta({ description: 'collection-<loanId>' }),
  runId: z.string(),
});

export const Accepted = z.object({ accepted: z.literal(true) });

export const CaseListQuery = z.object({
  stage: Stage.optional(),
  state: CaseState.optional(),
  pageToken: PageToken.optional().meta({ description: 'nextPageToken of the previous page' }),
  pageSize: z.coerce.number().int().min(1).max(1000).optional().meta({ description: 'Cases per page, default 50' }),
});

/** The payment webhook's body: a `paymentReceived` signal plus the loan it is for. */
export const PaymentNotification = PaymentReceived.extend({ loanId: LoanId });
export type PaymentNotification = z.infer<typeof PaymentNotification>;

export const SignatureHeaders = z.looseObject({
  'x-signature': z
    .string()
    .optional()
    .meta({ description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> keyed with any of WEBHOOK_SECRETS (or WEBHOOK_SECRET); at most 5 minutes old' }),
});

export const Health = z.object({ status: z.literal('ok'), temporal: z.literal('reachable') });

/** A segment or strategy arm name as policies write them. */
const PolicyName = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'letters, digits, "_", ".", ":" or "-"');
const NonNegativeMinor = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Which open cases a bulk operation touches: every given criterion must hold (spec section 10). */
export const BulkFilter = z
  .strictObject({
    stage: Stage.optional(),
    state: CaseState.optional(),
    segment: PolicyName.optional(),
    strategy: PolicyName.optional(),
    debtorType: DebtorType.optional(),
    minOutstandingMinor: NonNegativeMinor.optional(),
    maxOutstandingMinor: NonNegativeMinor.optional(),
    loanIds: z.array(LoanId).min(1).max(1000).optional(),
  })
  .refine((f) => Object.values(f).some((v) => v !== undefined), { message: 'give at least one criterion' })
  .refine((f) => f.minOutstandingMinor === undefined || f.maxOutstandingMinor === undefined || f.minOutstandingMinor <= f.maxOutstandingMinor, {
    message: 'minOutstandingMinor is above maxOutstandingMinor',
  });

export const BulkRequest = z.strictObject({
  filter: BulkFilter,
  reason: z.string().trim().min(1).max(500),
  dryRun: z.boolean().optional().default(false),
  /** Ignored: the actor recorded is the authenticated operator. Accepted so older callers are not refused. */
  actor: z.string().max(128).optional().meta({ description: 'Ignored: the authenticated operator is recorded' }),
  /** pause only: hold until this instant. */
  until: z.iso.datetime({ offset: true }).optional(),
});
export type BulkRequest = z.infer<typeof BulkRequest>;

export const BulkResult = z.object({
  matched: z.number().int().meta({ description: 'Open cases matching the filter' }),
  jobId: z.string().optional().meta({ description: 'The Temporal batch job (temporal batch describe --job-id)' }),
  dryRun: z.boolean(),
  running: z.boolean().optional().meta({ description: 'true when the batch job was still running when the response was sent' }),
  succeeded: z.number().int().optional(),
  failed: z.number().int().optional(),
});

export const ReportQuery = z.object({
  query: z.string().trim().min(1).max(4000).optional().meta({ description: "A filter over our search attributes (comparisons joined by AND/OR/parentheses, as the CLI's bulk --query), e.g. Segment = 'corporate'" }),
  currency: Currency.optional().meta({ description: 'Only cases in this currency; needed when the portfolio has several' }),
});

const Rate = z.number().nullable().meta({ description: 'A fraction between 0 and 1; null when undefined (nothing to divide by)' });

const GroupStats = z.object({
  cases: z.number().int(),
  amountDueMinor: z.number().int(),
  recoveredMinor: z.number().int(),
  outstandingMinor: z.number().int(),
  costMinor: z.number().int(),
  paidInFull: z.number().int(),
  recoveryRate: Rate,
  costEffectivenessRatio: z.number().nullable().meta({ description: 'Cost of collection / recovered; null when nothing was recovered' }),
  cureRate: Rate,
});

/** The KPI report of src/client/reports.ts (its `Report` type must fit, checked by tsc). */
export const Report = z.object({
  cases: z.number().int(),
  recoveryRate: Rate,
  costEffectivenessRatio: z.number().nullable(),
  cureRate: Rate,
  promiseKeptRate: Rate,
  rightPartyContactRate: Rate,
  byStage: z.record(z.string(), GroupStats),
  byState: z.record(z.string(), GroupStats),
  funnel: z.array(
    z.object({
      stage: z.string(),
      casesAtStage: z.number().int(),
      payingCases: z.number().int(),
      recoveredMinor: z.number().int(),
      share: Rate,
    }),
  ),
  bySegment: z.record(z.string(), GroupStats),
  byStrategy: z.record(z.string(), GroupStats),
});
