/**
 * The one vocabulary of a case's timeline: every kind of event a case records, grouped by
 * what it is about. The engine (src/domain) writes them, the workflow plumbing writes the
 * provider results, and readers (evidence pack, console, archive rebuild, chaos judge) match
 * on them: a kind spelled wrong anywhere is a type error. Pure: no Node APIs.
 */
export const TIMELINE_KINDS = [
  // Opening
  'case_opened',
  'segment_assigned',
  'steps_skipped',
  // Money
  'payment_received',
  'payment_duplicate',
  'payment_rejected',
  'written_down',
  // Promises, plans, settlements
  'promise_made',
  'plan_made',
  'settlement_made',
  'promise_kept',
  'promise_broken',
  'settlement_paid',
  // Holds and disputes
  'paused',
  'resumed',
  'dispute_raised',
  'dispute_resolved',
  'contact_ceased',
  // Contact details
  'contact_updated',
  'contact_refresh_requested',
  'contact_deferred',
  // Steps of the ladder and their providers
  'sms_sent',
  'call_task_created',
  'call_outcome',
  'collector_assigned',
  'collector_rotated',
  'letter_sent',
  'lawyer_letter_sent',
  'litigation_filed',
  'below_litigation_threshold',
  'agency_placed',
  'agency_recalled',
  'forbearance_offered',
  'notice_period',
  'step_skipped',
  'step_failed',
  'ladder_exhausted',
  // Review, survey, end
  'needs_review',
  'review_resolved',
  'survey_sent',
  'survey_answered',
  'signal_rejected',
  'resolved',
] as const;

export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/** What the case records at an instant: the kind, a line for people, and facts for machines. */
export interface TimelineEntry {
  kind: TimelineKind;
  detail: string;
  data?: Record<string, unknown>;
}

/** A promise's kind names the event that records it. */
export const PROMISE_MADE = { promise: 'promise_made', plan: 'plan_made', settlement: 'settlement_made' } as const satisfies Record<string, TimelineKind>;

export function isTimelineKind(kind: string): kind is TimelineKind {
  return (TIMELINE_KINDS as readonly string[]).includes(kind);
}
