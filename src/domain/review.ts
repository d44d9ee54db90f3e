import type { ReviewAction } from '../shared/schemas';

/**
 * Needs review (spec section 9): a case is never failed, and never written off, because a
 * provider or a rule failed. A legal step whose provider calls are exhausted, a legal step
 * without the notice it needs, or a contact for which no allowed instant exists, puts the
 * case in state `needs_review` until a supervisor sends `reviewResolved`:
 *
 * - `retry`: the step is attempted again (same idempotency key: a provider that did the
 *   work but whose answer was lost answers with the same result);
 * - `skip`: the step is passed over and the ladder goes on;
 * - `close`: the case is resolved as `cancelled` (collection stops; nothing is written off).
 */

export type ReviewCause = 'provider_failed' | 'notice_missing' | 'no_allowed_instant';

export interface ReviewRecord {
  cause: ReviewCause;
  reason: string;
  /** The step under review, e.g. "litigation-1" (its occurrence key). */
  step: string;
  since: string;
  /** The supervisor's decision, applied by the case's loop at its next turn. */
  decision?: { action: ReviewAction; note: string; actor?: string };
}

/** What the case does with a decided review. */
export type ReviewOutcome =
  | { kind: 'retry' }
  /** Pass over `step`; `onLadder` is false for a step outside the ladder (forbearance offer). */
  | { kind: 'skip'; step: string }
  | { kind: 'close' };

export function reviewOutcome(review: ReviewRecord): ReviewOutcome | undefined {
  switch (review.decision?.action) {
    case undefined:
      return undefined;
    case 'retry':
      return { kind: 'retry' };
    case 'skip':
      return { kind: 'skip', step: review.step };
    case 'close':
      return { kind: 'close' };
  }
}

/** The timeline text of a supervisor's decision. */
export function describeDecision(review: ReviewRecord): string {
  const d = review.decision!;
  const what = { retry: `${review.step} will be tried again`, skip: `${review.step} is passed over; the ladder goes on`, close: 'the case is closed as cancelled' }[d.action];
  return `Review resolved${d.actor ? ` by ${d.actor}` : ''} (${d.action}): ${what}; note: ${d.note}`;
}
