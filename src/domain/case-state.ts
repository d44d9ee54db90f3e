import type { CaseInput, CaseState as CaseStateName, Outcome, PaymentReceived, PromiseView, Stage, TimelineEvent } from '../shared/schemas';
import type { CasePlan, ContactLogEntry } from './types';
import type { LadderProgress } from './ladder';

/**
 * Everything a collection case knows, as plain JSON (it crosses continue-as-new).
 * The workflow shell owns one of these; the functions here are its pure reducers.
 */
export interface CaseData {
  input: CaseInput;
  openedAt: string;
  plan?: CasePlan;
  progress?: LadderProgress;
  stage: Stage;
  outstandingMinor: number;
  paidMinor: number;
  overpaidMinor: number;
  costMinor: number;
  /** Where money came in: amount recovered while the case was in each stage. */
  recoveredByStage: Partial<Record<Stage, number>>;
  paymentIds: string[];
  pause?: { reason: string; until?: string; actor?: string };
  dispute?: { reason: string };
  ceased?: { reason: string };
  promise?: PromiseRecord;
  brokenPromises: number;
  keptPromises: number;
  /** A collector has spoken with the debtor (right-party contact). */
  rightPartyContact?: boolean;
  invalidContact: { phone?: string; address?: string };
  contacts: ContactLogEntry[];
  pendingCall?: { taskId: string; deadline: string };
  assignee?: string;
  agency?: { placementId: string; recallAt: string };
  /** A forbearance offer made before the first escalation beyond calls (UK CONC). */
  forbearance?: { until: string };
  outcome?: Outcome;
  /** Present once the survey SMS went out. */
  survey?: { score?: number };
  timeline: TimelineEvent[];
  /** Every timeline event ever recorded, including any dropped from `timeline` (absent in cases started before it existed). */
  eventsRecorded?: number;
  /** Events the case archive has acknowledged (src/domain/case-archive.ts). */
  archivedSeq?: number;
}

export interface PromiseRecord {
  kind: 'promise' | 'plan' | 'settlement';
  /** Total promised (promise), sum of instalments (plan) or the settlement amount. */
  amountMinor: number;
  dueDate: string;
  graceUntil: string;
  /** paidMinor when the promise was made: what is paid since counts towards it. */
  paidAtStart: number;
  instalments?: Array<{ amountMinor: number; dueDate: string; graceUntil: string }>;
}

export function openCase(input: CaseInput, openedAt: string): CaseData {
  return {
    input,
    openedAt,
    stage: 'sms',
    outstandingMinor: input.amountDueMinor,
    paidMinor: 0,
    overpaidMinor: 0,
    costMinor: 0,
    recoveredByStage: {},
    paymentIds: [],
    brokenPromises: 0,
    keptPromises: 0,
    invalidContact: {},
    contacts: [],
    timeline: [],
  };
}

/** The case's state is derived, never stored: resolved > disputed > paused > promised > active. */
export function stateOf(data: CaseData): CaseStateName {
  if (data.outcome) return 'resolved';
  if (data.dispute) return 'disputed';
  if (data.pause) return 'paused';
  if (data.promise) return 'promised';
  return 'active';
}

export function record(data: CaseData, at: string, kind: string, detail: string, extra?: Record<string, unknown>): void {
  data.eventsRecorded = (data.eventsRecorded ?? data.timeline.length) + 1;
  data.timeline.push(extra ? { at, kind, detail, data: extra } : { at, kind, detail });
}

export type PaymentCheck = { ok: true } | { ok: false; duplicate: boolean; reason: string };

/** Validates a payment against the case without changing it (used by the update validator too). */
export function checkPayment(data: CaseData, payment: PaymentReceived): PaymentCheck {
  if (data.paymentIds.includes(payment.paymentId)) return { ok: false, duplicate: true, reason: `payment ${payment.paymentId} was already applied` };
  if (payment.currency !== data.input.currency) {
    return { ok: false, duplicate: false, reason: `payment currency ${payment.currency} does not match the case currency ${data.input.currency}` };
  }
  return { ok: true };
}

/** Applies a checked payment: reduces the balance, records overpayment and where the money came in. */
export function applyPayment(data: CaseData, payment: PaymentReceived, commissionBps: number): { appliedMinor: number; overpaidMinor: number } {
  const appliedMinor = Math.min(payment.amountMinor, data.outstandingMinor);
  const overpaidMinor = payment.amountMinor - appliedMinor;
  data.paymentIds.push(payment.paymentId);
  data.paidMinor += payment.amountMinor;
  data.outstandingMinor -= appliedMinor;
  data.overpaidMinor += overpaidMinor;
  data.recoveredByStage[data.stage] = (data.recoveredByStage[data.stage] ?? 0) + appliedMinor;
  if (data.agency && !data.outcome) {
    // The agency earns its commission on what it recovers while the case is placed.
    data.costMinor += Math.round((appliedMinor * commissionBps) / 10_000);
  }
  return { appliedMinor, overpaidMinor };
}

export function paidTowardsPromise(data: CaseData): number {
  return data.promise ? data.paidMinor - data.promise.paidAtStart : 0;
}

/** What a promise, plan or settlement has come to at `now`. */
export type PromiseVerdict = 'kept' | 'broken' | 'pending';

export function judgePromise(data: CaseData, now: number): PromiseVerdict {
  const promise = data.promise;
  if (!promise) return 'pending';
  const paid = paidTowardsPromise(data);
  if (paid >= promise.amountMinor || data.outstandingMinor === 0) return 'kept';
  if (promise.instalments) {
    let dueSoFar = 0;
    for (const instalment of promise.instalments) {
      if (Date.parse(instalment.graceUntil) <= now) dueSoFar += instalment.amountMinor;
    }
    return paid < dueSoFar ? 'broken' : 'pending';
  }
  return Date.parse(promise.graceUntil) <= now ? 'broken' : 'pending';
}

/** The next instant at which the promise must be judged again. */
export function nextPromiseCheck(promise: PromiseRecord, now: number): number {
  if (promise.instalments) {
    const upcoming = promise.instalments.map((i) => Date.parse(i.graceUntil)).find((t) => t > now);
    return upcoming ?? Date.parse(promise.graceUntil);
  }
  return Date.parse(promise.graceUntil);
}

export function promiseView(data: CaseData): PromiseView | undefined {
  const p = data.promise;
  if (!p) return undefined;
  return { amountMinor: p.amountMinor, dueDate: p.dueDate, graceUntil: p.graceUntil, paidTowardsMinor: paidTowardsPromise(data), kind: p.kind };
}

/** Keeps the contact log short: caps look back 7 days at most. */
export function pruneContacts(contacts: ContactLogEntry[], now: number): ContactLogEntry[] {
  const horizon = now - 8 * 24 * 3600 * 1000;
  return contacts.filter((c) => Date.parse(c.at) >= horizon);
}
