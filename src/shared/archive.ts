import { z } from 'zod';
import { CaseState, DebtorType, IsoInstant, Outcome, Stage, TimelineEvent } from './schemas';

/**
 * What a case writes to the archive (spec section 11) in one activity call: its new
 * timeline events and its current figures. No personal data: the archive keeps loan ids,
 * figures and the timeline text (contacts are masked there); names, phones, e-mails,
 * addresses and customer ids stay in Temporal.
 */

export const ExecutionStatus = z.enum(['RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'CONTINUED_AS_NEW', 'TIMED_OUT', 'PAUSED', 'UNSPECIFIED', 'UNKNOWN']);
export type ExecutionStatus = z.infer<typeof ExecutionStatus>;

export const ArchivedCase = z.object({
  /** `<workflowId>/<overdueSince>`: the same for every run of the case, new when the loan defaults again. */
  caseKey: z.string().min(1),
  loanId: z.string().min(1),
  workflowId: z.string().min(1),
  runId: z.string(),
  executionStatus: ExecutionStatus,
  openedAt: IsoInstant,
  closedAt: IsoInstant.optional(),
  overdueSince: z.string().optional(),
  product: z.string().optional(),
  reason: z.string().optional(),
  policyId: z.string().optional(),
  debtorType: DebtorType.optional(),
  timezone: z.string().optional(),
  currency: z.string().min(3),
  amountDueMinor: z.number().int(),
  outstandingMinor: z.number().int(),
  paidMinor: z.number().int(),
  /** Paid, overpayments excluded (the RecoveredMinor search attribute). */
  recoveredMinor: z.number().int(),
  costMinor: z.number().int(),
  stage: Stage.optional(),
  state: CaseState.optional(),
  outcome: Outcome.optional(),
  segment: z.string().optional(),
  strategy: z.string().optional(),
  promisesKept: z.number().int().min(0),
  promisesBroken: z.number().int().min(0),
  rightPartyContact: z.boolean().optional(),
  recoveredByStage: z.partialRecord(Stage, z.number().int().min(0)).optional(),
  /** Grows with every write of the case; an older write never overwrites a newer one. */
  version: z.number().int().min(0),
});
export type ArchivedCase = z.infer<typeof ArchivedCase>;

export const ArchiveBatch = z.object({
  case: ArchivedCase,
  /** Sequence number of `events[0]` in the case's whole timeline (0 = the first event ever recorded). */
  firstSeq: z.number().int().min(0),
  events: z.array(TimelineEvent),
});
export type ArchiveBatch = z.infer<typeof ArchiveBatch>;
