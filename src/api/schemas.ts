import { z } from 'zod';
import { PageToken } from '../client/case-list';
import { CaseState, LoanId, PaymentReceived, Stage } from '../shared/schemas';

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
    .meta({ description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> keyed with WEBHOOK_SECRET; at most 5 minutes old' }),
});

export const Health = z.object({ status: z.literal('ok'), temporal: z.literal('reachable') });

export const BulkRequest = z.object({
  query: z.string().trim().min(1).max(4000).meta({ description: "A Temporal visibility query, e.g. CollectionStage = 'phone' AND DebtorType = 'individual'" }),
  reason: z.string().trim().min(1).max(500),
  dryRun: z.boolean().optional().default(false),
  actor: z.string().trim().min(1).max(128).optional(),
  /** pause only: hold until this instant. */
  until: z.iso.datetime({ offset: true }).optional(),
});
export type BulkRequest = z.infer<typeof BulkRequest>;

export const BulkResult = z.object({
  matched: z.number().int(),
  jobId: z.string().optional(),
  dryRun: z.boolean(),
});

export const ReportQuery = z.object({
  query: z.string().trim().min(1).max(4000).optional().meta({ description: 'A Temporal visibility query restricting the cases reported on' }),
});
