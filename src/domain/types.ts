import type { Channel, ComplianceProfile, JurisdictionName, LadderStep, Policy } from '../policy/schema';

/**
 * What a case decided when it opened: its segment, strategy arm, ladder and rules.
 * Resolved once from the policy by a local activity and kept in workflow state, so a
 * policy edit applies to new cases and never changes the course of a running one.
 */
export interface CasePlan {
  policyId: string;
  policyVersion: string;
  segment: string;
  strategy: 'champion' | 'challenger';
  /** Propensity to pay, 0..1 (higher = more likely to pay). */
  propensity: number;
  /** Risk = 1 - propensity, rounded for display and segmentation. */
  risk: number;
  scoreReasons: string[];
  jurisdiction: JurisdictionName;
  profile: ComplianceProfile;
  ladder: LadderStep[];
  /** Step offsets are measured from this instant (ISO-8601). */
  anchorAt: string;
  litigationThresholdMinor: number;
  promises: Policy['promises'];
  /** Absent in plans made before forbearance offers existed. */
  forbearance?: Policy['forbearance'];
  /** Notice periods before legal steps. Absent in plans made before notices were enforced: those cases keep their old course. */
  legal?: Policy['legal'];
  calls: Policy['calls'];
  contactRefresh: Policy['contactRefresh'];
  agency: Policy['agency'];
  survey: Policy['survey'];
  costs: Policy['costs'];
  providers: Policy['providers'];
  /** The workflow time the plan was asked at (the case's opening), recorded with it in history: see CaseContext.now(). Absent in older plans. */
  decidedAt?: string;
}

/** A past contact attempt, as the frequency caps need it. */
export interface ContactLogEntry {
  at: string;
  channel: 'sms' | 'call';
  /** The number dialled or texted (kept in workflow state only, never logged). */
  number?: string;
  /** For calls: `attempt` until an outcome arrives, then conversation or no_answer. */
  result: 'sent' | 'attempt' | 'conversation' | 'no_answer';
}

export interface ContactRequest {
  channel: Channel;
  /** Earliest instant the ladder wants the contact (ISO-8601). */
  notBefore: string;
  timezone: string;
  jurisdiction: JurisdictionName;
  profile: ComplianceProfile;
  recentContacts: ContactLogEntry[];
  number?: string;
}

export interface Deferral {
  /** Stable rule name: contact_window, business_hours, holiday, weekend, conversation_cap, unanswered_cap, weekly_call_cap, quiet_period, sms_cap. */
  rule: string;
  detail: string;
  until: string;
}

export interface ContactDecision {
  /** The earliest allowed instant at or after notBefore (ISO-8601). */
  at: string;
  deferrals: Deferral[];
  /** The workflow time the decision was asked at (its notBefore), recorded with it in history: see CaseContext.now(). */
  decidedAt?: string;
}
