import { markInvalidContact } from './apply';
import { CaseJournal, type Transition } from './case-journal';
import type { CaseData } from './case-state';
import type { DueStep } from './ladder';
import type { LetterRecipient } from './steps';
import { stepFailed } from './steps';
import { needReview } from './transitions';

/**
 * What a provider's final failure (rejected, or retries exhausted) does to the case: an
 * invalid contact asks for refreshed details, a legal step goes to needs_review (case
 * safety), a ladder step is recorded as failed and passed, anything else is noted.
 */

/** A provider call's final failure, as the workflow read it from the activity's failure. */
export interface ProviderFailure {
  /** The provider said the phone number or address is not valid (`InvalidContact`). */
  invalidContact: boolean;
  message: string;
}

/** What the failure became; `needs_review` and `step_failed` change the step's course (the workflow syncs visibility). */
export type FailureEffect = 'contact_refresh' | 'needs_review' | 'step_failed' | 'noted';
export type FailureTransition = Transition & { became: FailureEffect };

/** The legal actions whose final failure needs a supervisor under case safety (spec section 9). */
export type LegalAction = 'litigation' | 'agency_placement';
const LEGAL_ACTIONS: Record<LegalAction | 'lawyer_letter', string> = {
  lawyer_letter: "lawyer's letter to the debtor",
  litigation: 'litigation filing',
  agency_placement: 'agency placement',
};

/** Why a provider refused a contact detail, as the timeline says it. */
const REJECTED_BY = { phone: 'rejected by the provider', address: 'rejected by the mail house' } as const;

function contactRejected(d: CaseData, kind: 'phone' | 'address', now: number): FailureTransition {
  const j = new CaseJournal(d, now);
  markInvalidContact(j, kind, REJECTED_BY[kind]);
  return { ...j.done(), became: 'contact_refresh' };
}

function legalReview(d: CaseData, due: DueStep, action: keyof typeof LEGAL_ACTIONS, failure: ProviderFailure, now: number): FailureTransition {
  const reason = `${due.key} (${LEGAL_ACTIONS[action]}) failed after the provider's retries: ${failure.message}`;
  return { ...needReview(d, 'provider_failed', reason, due.key, now), became: 'needs_review' };
}

function noted(d: CaseData, now: number, detail: string, extra?: Record<string, unknown>): FailureTransition {
  const j = new CaseJournal(d, now);
  j.note('step_failed', detail, extra);
  return { ...j.done(), became: 'noted' };
}

/** An SMS or call of the ladder: a wrong number waits for a new one; otherwise the step failed and the ladder goes on. */
export function contactFailed(d: CaseData, due: DueStep, failure: ProviderFailure, now: number): FailureTransition {
  if (failure.invalidContact) return contactRejected(d, 'phone', now);
  return { ...stepFailed(d, due, failure.message, now), became: 'step_failed' };
}

/**
 * One copy of a letter: the debtor's address refused asks for a new one; a lawyer's letter to
 * the debtor that failed goes to review under case safety (it comes first, so no guarantor copy
 * has gone out); any other copy is noted and the others still go.
 */
export function letterFailed(d: CaseData, due: DueStep, to: LetterRecipient, failure: ProviderFailure, now: number, options: { caseSafety: boolean }): FailureTransition {
  if (to.role === 'debtor' && failure.invalidContact) return contactRejected(d, 'address', now);
  if (options.caseSafety && due.step.channel === 'lawyer_letter' && to.role === 'debtor') return legalReview(d, due, 'lawyer_letter', failure, now);
  const step = `${due.key}${to.suffix}`;
  return noted(d, now, `${step} to the ${to.role} failed: ${failure.message}`, { step });
}

/**
 * A litigation filing or agency placement: under case safety it goes to review rather than
 * passing the step (which could end the case written_off); cases started before keep the old course.
 */
export function legalStepFailed(d: CaseData, due: DueStep, action: LegalAction, failure: ProviderFailure, now: number, options: { caseSafety: boolean }): FailureTransition {
  if (options.caseSafety) return legalReview(d, due, action, failure, now);
  return { ...stepFailed(d, due, failure.message, now), became: 'step_failed' };
}

/** The forbearance offer's text: a wrong number waits for a new one; otherwise noted (the offer is made all the same). */
export function forbearanceSmsFailed(d: CaseData, offer: DueStep, failure: ProviderFailure, now: number): FailureTransition {
  if (failure.invalidContact) return contactRejected(d, 'phone', now);
  return noted(d, now, `${offer.key} failed: ${failure.message}`, { step: offer.key });
}

/** The case is resolved already: a survey that cannot be sent (or never has an allowed instant) is simply not sent. */
export function surveyNotSent(d: CaseData, why: string, now: number): FailureTransition {
  return noted(d, now, `Satisfaction survey not sent: ${why}`);
}
