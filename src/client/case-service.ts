import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, TypedSearchAttributes } from '@temporalio/common';
import { z } from 'zod';
import { caseWorkflowId, WORKFLOW_TYPE } from '../shared/ids';
import { OPENING_REPORT_FACTS, readCaseMemo, type CaseMemo } from '../shared/case-memo';
import { applyPaymentUpdate, statusQuery, timelineQuery, type CaseSignalName, type PaymentRefusal, type PaymentResult } from '../shared/messages';
import * as schemas from '../shared/schemas';
import { DebtorTypeKey, LoanIdKey } from '../shared/search-attributes';
import { judgeOverdueSince } from '../domain/admission';
import { PolicyError } from '../policy/errors';
import type { PolicyRegistry } from '../policy/load';
import { CaseError } from './errors';
import type { Policy } from '../policy/schema';

/**
 * The application layer over Temporal that the HTTP API, the CLI and tests share:
 * open a case, send it messages, read its state. Errors carry stable codes.
 */
export { CaseError };


/** True when an update failed because its validator refused it with this ApplicationFailure type. */
function isRefusal(error: unknown, type: PaymentRefusal): boolean {
  return error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === type;
}

/** How long recordPayment waits for a worker to apply the payment. */
export const PAYMENT_UPDATE_WAIT_MS = 20_000;

export function validate<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CaseError('invalid_request', schemas.describeZodError(parsed.error), parsed.error.issues);
  return parsed.data;
}

/**
 * How a case's workflow starts: its ID, the memo the reports read (with the opening's report
 * facts, which the case then need not upsert: one history event less per case), the search
 * attributes known at opening, and the summary the Temporal UI shows. Also the bench's
 * baseline for what the server costs per opening (bench/intake.ts).
 */
export function caseStartOptions(input: schemas.CaseInput, taskQueue: string, reuse: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE') {
  return {
    taskQueue,
    workflowId: caseWorkflowId(input.loanId),
    args: [input] as [schemas.CaseInput],
    workflowIdConflictPolicy: 'FAIL' as const,
    workflowIdReusePolicy: reuse,
    // Facts callers check without a worker answering a query, and the reports' opening figures.
    memo: { currency: input.currency, amountDueMinor: input.amountDueMinor, overdueSince: input.overdueSince, ...OPENING_REPORT_FACTS } satisfies CaseMemo,
    typedSearchAttributes: new TypedSearchAttributes([
      { key: LoanIdKey, value: input.loanId },
      { key: DebtorTypeKey, value: input.debtor.type },
    ]),
    staticSummary: `Collection case ${input.loanId}: ${input.product.replace('_', ' ')}, overdue since ${input.overdueSince}`,
  };
}

export class CaseService {
  constructor(
    readonly client: Client,
    readonly taskQueue: string,
    /** The policies cases may name (the worker's POLICY_FILE and the shipped ones), for the admission checks. */
    readonly policies: PolicyRegistry,
    /** Epoch ms; "today" for the plausible-date check (a time-skipping test server's clock in tests). */
    private readonly now: () => number | Promise<number> = Date.now,
  ) {}

  /**
   * Admission (spec section 9): the case's policy must be usable here (a test-only policy
   * without ALLOW_TEST_POLICIES is `policy_not_allowed`) and its `overdueSince` plausible
   * (`overdue_since_out_of_range`). Throws CaseError; returns the policy the case will run on.
   */
  async admit(input: schemas.CaseInput): Promise<Policy> {
    let policy: Policy;
    try {
      policy = this.policies.byId(input.policyId);
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      throw new CaseError(error.code === 'POLICY_NOT_ALLOWED' ? 'policy_not_allowed' : 'invalid_request', `policyId: ${error.message}`);
    }
    const refusal = judgeOverdueSince(input.overdueSince, input.debtor.timezone, policy.maxOverdueAge, await this.now());
    if (refusal) {
      throw new CaseError('overdue_since_out_of_range', refusal.message, { overdueSince: input.overdueSince, today: refusal.today, earliest: refusal.earliest, maxOverdueAge: policy.maxOverdueAge });
    }
    return policy;
  }

  /**
   * Opens a case; one that already exists for the same overdue episode (the loan and its
   * `overdueSince`) is not an error, open or closed: it is returned with `created: false`,
   * so re-importing yesterday's file never reopens cured loans. A loan that defaults again
   * (a later `overdueSince`) after its case closed gets a new case.
   */
  async open(rawInput: unknown): Promise<{ workflowId: string; runId: string; created: boolean }> {
    const input = validate(schemas.CaseInput, rawInput);
    await this.admit(input);
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
    const options = caseStartOptions(input, this.taskQueue, reuse);
    const handle = await this.client.workflow.start(WORKFLOW_TYPE, options);
    return { workflowId: options.workflowId, runId: handle.firstExecutionRunId, created: true };
  }

  /** The handle of the loan's open case; CaseError case_not_found when there is none running. */
  async openHandle(loanId: string): Promise<{ handle: WorkflowHandle; memo: CaseMemo }> {
    const handle = this.client.workflow.getHandle(caseWorkflowId(validate(schemas.LoanId, loanId)));
    try {
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') throw new CaseError('case_not_found', `no open case for loan ${loanId} (last case ${description.status.name.toLowerCase()})`);
      return { handle, memo: readCaseMemo(description.memo) };
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

  /**
   * Records a repayment through the `applyPayment` update, so the caller learns what
   * happened: applied (`duplicate: false`), or a redelivery of a payment already applied
   * (`duplicate: true`; the validator refused it, so history is unchanged). The same
   * paymentId with another amount or currency is CaseError `payment_conflict`; another
   * currency than the case's is `currency_mismatch`; no running case is `case_not_found`.
   *
   * One call to Temporal, the update itself: the case's update validator refuses another
   * currency (and a closed or unknown case has no update to take), so a describe first
   * would only repeat it, and it cost the webhook a server round trip per payment.
   */
  async recordPayment(loanId: string, rawPayment: unknown, options: { waitMs?: number } = {}): Promise<PaymentResult> {
    const payment = validate(schemas.PaymentReceived, rawPayment);
    const handle = this.existingHandle(loanId);
    // An update needs a worker to answer: without one within the wait, the call fails with
    // DEADLINE_EXCEEDED (the API answers 503 and the sender retries; an update the server
    // already admitted is applied when a worker comes, and the retry is then a duplicate).
    const deadline = Date.now() + (options.waitMs ?? PAYMENT_UPDATE_WAIT_MS);
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.client.connection.withDeadline(deadline, () => handle.executeUpdate(applyPaymentUpdate, { args: [payment] }));
      } catch (error) {
        if (!isRefusal(error, 'CaseBusy')) return this.paymentRefused(loanId, handle, error);
        // Refused while the case waited on a local activity (nothing recorded): send again shortly.
        const pause = Math.min(50 * 2 ** attempt, 1_000);
        if (Date.now() + pause >= deadline) throw new CaseError('temporal_unavailable', 'the case stayed busy deciding its next step; nothing was changed, retry later');
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /** Maps a refused or failed payment update: a duplicate is an answer, the other refusals are CaseErrors. */
  private async paymentRefused(loanId: string, handle: WorkflowHandle, error: unknown): Promise<PaymentResult> {
    if (error instanceof WorkflowNotFoundError) throw new CaseError('case_not_found', `no open case for loan ${loanId}`);
    if (!(error instanceof WorkflowUpdateFailedError) || !(error.cause instanceof ApplicationFailure)) throw error;
    const message = error.cause.message;
    switch (error.cause.type as PaymentRefusal | undefined) {
      case 'DuplicatePayment': {
        const status = await handle.query(statusQuery);
        return { accepted: false, duplicate: true, outstandingMinor: status.outstandingMinor, paidMinor: status.paidMinor };
      }
      case 'PaymentConflict':
        throw new CaseError('payment_conflict', message);
      case 'CurrencyMismatch':
        throw new CaseError('currency_mismatch', message);
      case 'InvalidPayment':
        throw new CaseError('invalid_request', message);
      default:
        throw error;
    }
  }

  /** Sends any case signal after validating its payload with the same schema the workflow uses. */
  async signal(loanId: string, name: CaseSignalName, rawPayload: unknown): Promise<void> {
    const payload = validate(schemas.SIGNAL_SCHEMAS[name] as z.ZodType, rawPayload);
    const { handle, memo } = await this.openHandle(loanId);
    if (name === 'paymentReceived') {
      // A signal is durable without a worker; the workflow counts it once (recordPayment answers synchronously instead).
      const currency = (payload as schemas.PaymentReceived).currency;
      if (memo?.currency && currency !== memo.currency) throw new CaseError('currency_mismatch', `payment currency ${currency} does not match the case currency ${memo.currency}`);
    }
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
