import type { CaseInput, CaseState as CaseStateName, Outcome, PaymentReceived, PromiseView, Stage, TimelineEvent } from '../shared/schemas';
import type { TimelineKind } from '../shared/timeline';
import type { CasePlan, ContactLogEntry } from './types';
import type { LadderProgress } from './ladder';
import type { NoticesGiven } from './notice';
import type { ReviewRecord } from './review';

/**
 * How many timeline events a case keeps in its state. Older ones are dropped from the
 * state (counted in `timelineCounts`); the full record stays in the workflow history
 * (and the case archive), so years of reminders or thousands of duplicate deliveries
 * never grow the state past Temporal's limits (spec section 9: under 256 KiB).
 */
export const TIMELINE_WINDOW = 200;

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
  /**
   * Every payment applied, by paymentId, by runs that scan it (modes `exact` and `trimmed`).
   * Mode `indexed` moves these into `paymentFacts` (see indexPayments) and leaves this empty.
   */
  paymentIds: string[];
  /**
   * What each applied payment was, `<amountMinor> <currency>` by paymentId, to tell a redelivery
   * from a conflict (absent on cases opened before it was kept). In mode `indexed` it is the
   * dedupe set itself: one lookup per payment; `''` for an id whose amount was never kept.
   */
  paymentFacts?: Record<string, string>;
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
  /** Notices delivered to the debtor, for the notice periods before legal steps (absent in older cases). */
  notices?: NoticesGiven;
  /** Present while a person must decide how the case goes on (state needs_review). */
  review?: ReviewRecord;
  /** The recent window of the timeline (at most TIMELINE_WINDOW events). */
  timeline: TimelineEvent[];
  /** Every event ever recorded, by kind, including those dropped from the window (absent in older cases). */
  timelineCounts?: Record<string, number>;
  /** Every timeline event ever recorded, including any dropped from `timeline` (absent in cases started before it existed). */
  eventsRecorded?: number;
  /** Events the case archive has acknowledged (src/domain/case-archive.ts). */
  archivedSeq?: number;
  /**
   * Present while the case keeps what the archive has not acknowledged (`patched('archive-backlog')`):
   * the events that left `timeline` unarchived, oldest first, just before the window. A storm that
   * records thousands of events in one task holds them here until the archive writes them; the
   * archiver then drops them (src/domain/case-archive.ts). Cases without it drop them at once.
   */
  unarchived?: TimelineEvent[];
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
    notices: {},
    timeline: [],
    timelineCounts: {},
  };
}

/** The case's state is derived, never stored: resolved > needs_review > disputed > paused > promised > active. */
export function stateOf(data: CaseData): CaseStateName {
  if (data.outcome) return 'resolved';
  if (data.review) return 'needs_review';
  if (data.dispute) return 'disputed';
  if (data.pause) return 'paused';
  if (data.promise) return 'promised';
  return 'active';
}

/**
 * Appends a timeline event, keeping only the recent window on the timeline and a count per kind.
 * An event leaving the window moves to `unarchived` when the case keeps one and the archive has
 * not acknowledged it yet.
 */
export function record(data: CaseData, at: string, kind: TimelineKind, detail: string, extra?: Record<string, unknown>): void {
  data.eventsRecorded = (data.eventsRecorded ?? data.timeline.length) + 1;
  data.timeline.push(extra ? { at, kind, detail, data: extra } : { at, kind, detail });
  if (data.timeline.length > TIMELINE_WINDOW) {
    const dropped = data.timeline.splice(0, data.timeline.length - TIMELINE_WINDOW);
    if (data.unarchived) {
      const firstDroppedSeq = data.eventsRecorded - data.timeline.length - dropped.length;
      const acknowledged = Math.max(0, (data.archivedSeq ?? 0) - firstDroppedSeq);
      for (const event of dropped.slice(acknowledged)) data.unarchived.push(event);
    }
  }
  data.timelineCounts ??= {};
  data.timelineCounts[kind] = (data.timelineCounts[kind] ?? 0) + 1;
}

/** Counts an event without keeping it on the timeline (a redelivered payment: a storm of them must not crowd out the rest). */
export function tally(data: CaseData, kind: string): void {
  data.timelineCounts ??= {};
  data.timelineCounts[kind] = (data.timelineCounts[kind] ?? 0) + 1;
}

/**
 * Why a payment is not applied: a redelivery of one already applied (`duplicate`), the
 * same paymentId with another amount or currency (`conflict`), or a payment in another
 * currency than the case's (`currency_mismatch`).
 */
export type PaymentCheck = { ok: true } | { ok: false; kind: 'duplicate' | 'conflict' | 'currency_mismatch' | 'too_large'; reason: string };

/** A paymentId as compared and stored: without surrounding whitespace, whatever path it came by. */
export function paymentKey(paymentId: string): string {
  return paymentId.trim();
}

function paymentFact(payment: Pick<PaymentReceived, 'amountMinor' | 'currency'>): string {
  return `${payment.amountMinor} ${payment.currency}`;
}

/**
 * How paymentIds are compared: `indexed` (trimmed, one lookup in `paymentFacts`, so a storm
 * of thousands of payments costs the same per payment), `trimmed` (every path, spec section 9,
 * scanning `paymentIds`), or `exact` for runs that started before that fix. The workflow
 * decides with `patched`, so older runs replay unchanged.
 */
export type PaymentIdMode = 'indexed' | 'trimmed' | 'exact';

/**
 * Prepares a case for mode `indexed`: every id in `paymentIds` (trimmed) gets its entry in
 * `paymentFacts` (`''` when its amount was never kept), and `paymentIds` is emptied, so the
 * state holds each id once. Idempotent.
 */
export function indexPayments(data: CaseData): void {
  if (data.paymentIds.length === 0 && data.paymentFacts) return;
  const facts = (data.paymentFacts ??= {});
  for (const stored of data.paymentIds) {
    const id = paymentKey(stored);
    if (!Object.prototype.hasOwnProperty.call(facts, id)) Object.defineProperty(facts, id, { value: facts[stored] ?? '', enumerable: true, writable: true, configurable: true });
  }
  data.paymentIds = [];
}

function isApplied(data: CaseData, id: string, mode: PaymentIdMode): boolean {
  if (mode === 'indexed') return data.paymentFacts !== undefined && Object.prototype.hasOwnProperty.call(data.paymentFacts, id);
  const key = mode === 'trimmed' ? paymentKey : (stored: string) => stored;
  return data.paymentIds.some((stored) => key(stored) === id);
}

/** Validates a payment against the case without changing it (the update validator uses it too). */
export function checkPayment(data: CaseData, payment: PaymentReceived, mode: PaymentIdMode = 'trimmed'): PaymentCheck {
  const id = mode === 'exact' ? payment.paymentId : paymentKey(payment.paymentId);
  if (isApplied(data, id, mode)) {
    const recorded = data.paymentFacts && Object.prototype.hasOwnProperty.call(data.paymentFacts, id) ? data.paymentFacts[id] : undefined;
    if (recorded !== undefined && recorded !== '' && recorded !== paymentFact(payment)) {
      return { ok: false, kind: 'conflict', reason: `payment ${id} was already applied as ${recorded}; ${paymentFact(payment)} conflicts with it` };
    }
    return { ok: false, kind: 'duplicate', reason: `payment ${id} was already applied` };
  }
  if (payment.currency !== data.input.currency) {
    return { ok: false, kind: 'currency_mismatch', reason: `payment currency ${payment.currency} does not match the case currency ${data.input.currency}` };
  }
  if (!Number.isSafeInteger(data.paidMinor + payment.amountMinor)) {
    return { ok: false, kind: 'too_large', reason: `payment ${id} would take the amount paid past ${Number.MAX_SAFE_INTEGER} minor units` };
  }
  return { ok: true };
}

/** Applies a checked payment: reduces the balance, records overpayment and where the money came in. */
export function applyPayment(
  data: CaseData,
  payment: PaymentReceived,
  commissionBps: number,
  mode: PaymentIdMode = 'trimmed',
): { appliedMinor: number; overpaidMinor: number } {
  const appliedMinor = Math.min(payment.amountMinor, data.outstandingMinor);
  const overpaidMinor = payment.amountMinor - appliedMinor;
  const id = mode === 'exact' ? payment.paymentId : paymentKey(payment.paymentId);
  if (mode !== 'indexed') data.paymentIds.push(id);
  // Defined, not assigned: an id such as "__proto__" is stored as a key like any other.
  Object.defineProperty((data.paymentFacts ??= {}), id, { value: paymentFact(payment), enumerable: true, writable: true, configurable: true });
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
