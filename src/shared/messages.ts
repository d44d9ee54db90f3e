import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  CallOutcome,
  CaseStatus,
  CeaseContact,
  ContactUpdated,
  DisputeRaised,
  DisputeResolved,
  Pause,
  PaymentReceived,
  PromiseToPay,
  RepaymentPlan,
  Resume,
  ReviewResolved,
  SettlementOffer,
  SurveyResponse,
  TimelineEvent,
} from './schemas';

/**
 * Message definitions shared by clients and the workflow. Names are the wire contract
 * (spec section 3): the stock `temporal` CLI signals and queries by these names.
 */
export const paymentReceivedSignal = defineSignal<[PaymentReceived]>('paymentReceived');
export const promiseToPaySignal = defineSignal<[PromiseToPay]>('promiseToPay');
export const repaymentPlanSignal = defineSignal<[RepaymentPlan]>('repaymentPlan');
export const settlementOfferSignal = defineSignal<[SettlementOffer]>('settlementOffer');
export const disputeRaisedSignal = defineSignal<[DisputeRaised]>('disputeRaised');
export const disputeResolvedSignal = defineSignal<[DisputeResolved]>('disputeResolved');
export const contactUpdatedSignal = defineSignal<[ContactUpdated]>('contactUpdated');
export const ceaseContactSignal = defineSignal<[CeaseContact]>('ceaseContact');
export const pauseSignal = defineSignal<[Pause]>('pause');
export const resumeSignal = defineSignal<[Resume]>('resume');
export const callOutcomeSignal = defineSignal<[CallOutcome]>('callOutcome');
export const surveyResponseSignal = defineSignal<[SurveyResponse]>('surveyResponse');
/** Ends a needs_review state: retry the step, skip it, or close the case (spec section 9). */
export const reviewResolvedSignal = defineSignal<[ReviewResolved]>('reviewResolved');

export const statusQuery = defineQuery<CaseStatus>('status');
export const timelineQuery = defineQuery<TimelineEvent[]>('timeline');

export interface PaymentResult {
  accepted: boolean;
  duplicate: boolean;
  outstandingMinor: number;
  paidMinor: number;
}
export const applyPaymentUpdate = defineUpdate<PaymentResult, [PaymentReceived]>('applyPayment');

/**
 * ApplicationFailure types with which the `applyPayment` validator refuses a payment. A
 * refused update leaves no event in history. Callers map them: a redelivery
 * (`DuplicatePayment`) is fine (API 202), `PaymentConflict` is the same paymentId with
 * another amount or currency (409), `CurrencyMismatch` (422), `InvalidPayment` (400).
 * `CaseBusy` is transient (the case is between a local activity and its result): send again.
 */
export const PAYMENT_REFUSAL_TYPES = ['DuplicatePayment', 'PaymentConflict', 'CurrencyMismatch', 'InvalidPayment', 'CaseBusy'] as const;
export type PaymentRefusal = (typeof PAYMENT_REFUSAL_TYPES)[number];

/** Signal name -> payload, for generic senders (HTTP operator endpoints, bulk operations). */
export const CASE_SIGNALS = {
  paymentReceived: paymentReceivedSignal,
  promiseToPay: promiseToPaySignal,
  repaymentPlan: repaymentPlanSignal,
  settlementOffer: settlementOfferSignal,
  disputeRaised: disputeRaisedSignal,
  disputeResolved: disputeResolvedSignal,
  contactUpdated: contactUpdatedSignal,
  ceaseContact: ceaseContactSignal,
  pause: pauseSignal,
  resume: resumeSignal,
  callOutcome: callOutcomeSignal,
  surveyResponse: surveyResponseSignal,
  reviewResolved: reviewResolvedSignal,
} as const;
export type CaseSignalName = keyof typeof CASE_SIGNALS;
