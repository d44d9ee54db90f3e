import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { z } from 'zod';
import { caseWorkflowId, WORKFLOW_TYPE } from '../shared/ids';
import { readCaseMemo } from '../shared/case-memo';
import { CASE_SIGNALS, statusQuery, timelineQuery, type CaseSignalName } from '../shared/messages';
import * as schemas from '../shared/schemas';
import { DebtorTypeKey, LoanIdKey } from '../shared/search-attributes';

/**
 * The application layer over Temporal that the HTTP API, the CLI and tests share:
 * open a case, send it messages, read its state. Errors carry stable codes.
 */
export class CaseError extends Error {
  override readonly name = 'CaseError';
  constructor(
    readonly code: 'invalid_request' | 'case_not_found' | 'currency_mismatch' | 'case_closed',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Facts kept in the workflow memo so callers can check them without a worker answering a query. */
interface CaseMemo {
  currency: string;
  amountDueMinor: number;
  overdueSince: string;
}

export const SIGNAL_SCHEMAS: Record<CaseSignalName, z.ZodType> = {
  paymentReceived: schemas.PaymentReceived,
  promiseToPay: schemas.PromiseToPay,
  repaymentPlan: schemas.RepaymentPlan,
  settlementOffer: schemas.SettlementOffer,
  disputeRaised: schemas.DisputeRaised,
  disputeResolved: schemas.DisputeResolved,
  contactUpdated: schemas.ContactUpdated,
  ceaseContact: schemas.CeaseContact,
  pause: schemas.Pause,
  resume: schemas.Resume,
  callOutcome: schemas.CallOutcome,
  surveyResponse: schemas.SurveyResponse,
};

export function validate<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CaseError('invalid_request', schemas.describeZodError(parsed.error), parsed.error.issues);
  return parsed.data;
}

export class CaseService {
  constructor(
    readonly client: Client,
    readonly taskQueue: string,
  ) {}

  /**
   * Opens a case; one that already exists for the same overdue episode (the loan and its
   * `overdueSince`) is not an error, open or closed: it is returned with `created: false`,
   * so re-importing yesterday's file never reopens cured loans. A loan that defaults again
   * (a later `overdueSince`) after its case closed gets a new case.
   */
  async open(rawInput: unknown): Promise<{ workflowId: string; runId: string; created: boolean }> {
    const input = validate(schemas.CaseInput, rawInput);
    const workflowId = caseWorkflowId(input.loanId);
    const existing = async () => {
      const description = await this.client.workflow.getHandle(workflowId).describe();
      const sameEpisode = readCaseMemo(description.memo).overdueSince === input.overdueSince;
      return { description, reuse: description.status.name === 'RUNNING' || sameEpisode };
    };
    try {
      return await this.start(input, 'REJECT_DUPLICATE');
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    const first = await existing();
    if (first.reuse) return { workflowId, runId: first.description.runId, created: false };
    try {
      return await this.start(input, 'ALLOW_DUPLICATE');
    } catch (error) {
      // Another caller opened the new episode at the same moment.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      return { workflowId, runId: (await existing()).description.runId, created: false };
    }
  }

  private async start(input: schemas.CaseInput, reuse: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE'): Promise<{ workflowId: string; runId: string; created: true }> {
    const workflowId = caseWorkflowId(input.loanId);
    const memo: CaseMemo = { currency: input.currency, amountDueMinor: input.amountDueMinor, overdueSince: input.overdueSince };
    const handle = await this.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: this.taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: reuse,
      memo: { ...memo },
      typedSearchAttributes: new TypedSearchAttributes([
        { key: LoanIdKey, value: input.loanId },
        { key: DebtorTypeKey, value: input.debtor.type },
      ]),
      staticSummary: `Collection case ${input.loanId}: ${input.product.replace('_', ' ')}, overdue since ${input.overdueSince}`,
    });
    return { workflowId, runId: handle.firstExecutionRunId, created: true };
  }

  /** The handle of the loan's open case; CaseError case_not_found when there is none running. */
  async openHandle(loanId: string): Promise<{ handle: WorkflowHandle; memo: CaseMemo }> {
    const handle = this.client.workflow.getHandle(caseWorkflowId(validate(schemas.LoanId, loanId)));
    try {
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') throw new CaseError('case_not_found', `no open case for loan ${loanId} (last case ${description.status.name.toLowerCase()})`);
      return { handle, memo: description.memo as unknown as CaseMemo };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new CaseError('case_not_found', `no case for loan ${loanId}`);
      throw error;
    }
  }

  private existingHandle(loanId: string): WorkflowHandle {
    return this.client.workflow.getHandle(caseWorkflowId(validate(schemas.LoanId, loanId)));
  }

  async status(loanId: string): Promise<schemas.CaseStatus> {
    return this.queryCase(loanId, (h) => h.query(statusQuery));
  }

  async timeline(loanId: string): Promise<schemas.TimelineEvent[]> {
    return this.queryCase(loanId, (h) => h.query(timelineQuery));
  }

  /** Queries the latest run of the loan's case, open or closed. */
  private async queryCase<T>(loanId: string, query: (handle: WorkflowHandle) => Promise<T>): Promise<T> {
    try {
      return await query(this.existingHandle(loanId));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new CaseError('case_not_found', `no case for loan ${loanId}`);
      throw error;
    }
  }

  /** Records a repayment; the currency is checked against the case before the signal is sent. */
  async recordPayment(loanId: string, rawPayment: unknown): Promise<void> {
    const payment = validate(schemas.PaymentReceived, rawPayment);
    const { handle, memo } = await this.openHandle(loanId);
    if (memo?.currency && payment.currency !== memo.currency) {
      throw new CaseError('currency_mismatch', `payment currency ${payment.currency} does not match the case currency ${memo.currency}`);
    }
    await signalOpenCase(loanId, () => handle.signal(CASE_SIGNALS.paymentReceived, payment));
  }

  /** Sends any case signal after validating its payload with the same schema the workflow uses. */
  async signal(loanId: string, name: CaseSignalName, rawPayload: unknown): Promise<void> {
    if (name === 'paymentReceived') return this.recordPayment(loanId, rawPayload);
    const payload = validate(SIGNAL_SCHEMAS[name], rawPayload);
    const { handle } = await this.openHandle(loanId);
    await signalOpenCase(loanId, () => handle.signal(name, payload));
  }
}

/**
 * Sends a signal to a case found open a moment ago. The case may close in between (paid
 * in full by another payment, say): Temporal then answers "not found", which is the
 * caller's "no open case", never an internal error.
 */
async function signalOpenCase(loanId: string, send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new CaseError('case_not_found', `the case for loan ${loanId} closed before the message arrived`);
    throw error;
  }
}
