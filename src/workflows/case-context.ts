import * as wf from '@temporalio/workflow';
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import type { CollectionActivities } from '../activities';
import { promiseView, record, stateOf, type CaseData } from '../domain/case-state';
import { advance, stageOf, type DueStep } from '../domain/ladder';
import type { ReviewCause } from '../domain/review';
import type { CasePlan, ContactDecision } from '../domain/types';
import { formatMajorUnits } from '../shared/money';
import { maskPhone } from '../shared/redact';
import type { CaseStatus, Outcome } from '../shared/schemas';
import { CaseArchiver } from './case-archiver';
import { syncReportMemo, syncSearchAttributes } from './search-attributes';

/** Decisions that depend on data which changes (policy, holiday calendar): local activities, recorded in history. */
export const { planCase, scheduleContact } = wf.proxyLocalActivities<CollectionActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 10 },
});

export const ms = (duration: string): number => msToNumber(duration as never);
export const iso = (epochMs: number): string => new Date(epochMs).toISOString();

/**
 * A case's state and the plumbing every part of the workflow shares: the timeline,
 * waits that wake on any accepted message, the compliance check before a contact,
 * provider calls with their idempotency keys, search attributes and the report memo.
 */
export class CaseContext {
  /** Bumped by every accepted message, so waits wake up and re-decide. */
  version = 0;
  /** What the case waits for next (the status query shows it). */
  next: { action: string; at?: number } | undefined;
  /** The search attributes last upserted, so unchanged ones are not sent again. */
  private upserted: string | undefined;
  private memo: string | undefined;
  /**
   * Whether this run keeps reporting facts in its memo. Asked once, first thing, so the
   * patch marker sits at the same point of every history (cases started before the
   * report memo existed replay without it).
   */
  reportMemo = false;
  /** Writes the case to the archive once per wake-up (enabled by `patched('case-archive')`). */
  readonly archiver = new CaseArchiver();
  /**
   * Whether messages that arrive before the case is opened wait for it (see afterOpening).
   * Asked once, first thing, like reportMemo: cases started before this replay without it.
   */
  holdEarlyMessages = false;
  /**
   * Case safety (spec section 9): notice periods before legal steps, and legal steps whose
   * provider failed for good going to needs_review. Asked once, first thing, like reportMemo:
   * a patch asked later (after a local activity) can sit at another point of the history on
   * replay than it did when the case ran. Cases started before this keep their old course.
   */
  caseSafety = false;
  /** Messages that arrived before the case was opened and have not been applied yet. */
  private waitingForOpening = 0;
  /**
   * Bounded work per message (`patched('bounded-message-work')`, asked first thing): payments
   * looked up by id, redeliveries counted rather than listed, no search-attribute or memo sync
   * per message (the case syncs when it next waits), messages held before the opening in one
   * queue drained once. A storm of thousands of signals then costs one sync, not thousands.
   * Cases started before this replay without it.
   */
  boundedMessages = false;
  /** Messages held until the case opens (bounded mode), in the order they came; undefined once drained. */
  private held: Array<() => void> | undefined;

  constructor(readonly data: CaseData) {}

  get plan(): CasePlan {
    return this.data.plan!;
  }

  get loanId(): string {
    return this.data.input.loanId;
  }

  get workflowId(): string {
    return wf.workflowInfo().workflowId;
  }

  /** Opened once the plan is taken (the first local activity); a continued run is opened already. */
  get opened(): boolean {
    return this.data.plan !== undefined;
  }

  /**
   * Runs a message handler's effect now, or once the case is opened. Signals and updates sent
   * before the first workflow task are delivered when their handler is registered, before the
   * workflow has opened the case: applied then, they would land on the timeline before
   * case_opened, skip the policy's checks (no plan yet) and emit commands (search attributes,
   * memo) ahead of the case's own. Waiting keeps every case's history in one order.
   */
  afterOpening<T>(apply: () => T): T | Promise<T> {
    if (this.boundedMessages) return this.holdUntilOpened(apply);
    if (this.opened || !this.holdEarlyMessages) return apply();
    this.waitingForOpening += 1;
    return wf.condition(() => this.opened).then(() => {
      this.waitingForOpening -= 1;
      return apply();
    });
  }

  /** One queue for every message that comes before the opening (not one condition each: a storm would cost n² checks). */
  private holdUntilOpened<T>(apply: () => T): T | Promise<T> {
    // Once something is held, later messages queue behind it until the drain, to keep their order.
    if (this.opened && this.held === undefined) return apply();
    return new Promise<T>((resolve, reject) => {
      (this.held ??= []).push(() => {
        try {
          resolve(apply());
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  /** Lets the messages that waited for the case to open land (in the order they came) before the first decision. */
  async applyEarlyMessages(): Promise<void> {
    if (this.boundedMessages) {
      const held = this.held ?? [];
      this.held = undefined;
      for (const apply of held) apply();
      return;
    }
    if (this.waitingForOpening > 0) await wf.condition(() => this.waitingForOpening === 0);
  }

  /** An accepted message changed the case: wake the loop (and, in older runs, sync at once). */
  changed(): void {
    this.version += 1;
    if (!this.boundedMessages) this.sync();
  }

  /**
   * The workflow time at which a local activity was asked, recorded with its result, while the
   * case acts on that result.
   * Workflow time right after a local activity is not replay-safe: when the activity's result
   * crosses a workflow task boundary (a query or a task heartbeat while it runs), the original
   * run goes on at the next task's start time while replay goes on at the activity's completion
   * time, earlier. A step falling due in between was taken on one and waited for on the other.
   * Deciding on the recorded instant gives both the same answer. Results recorded before the
   * activities returned it carry none, and those cases replay on the clock as they ran.
   */
  private decidedAt: number | undefined;

  now(): number {
    return this.decidedAt ?? Date.now();
  }

  /** Acts on a local activity's result at the instant it recorded (see decidedAt). */
  decideAsOf(recorded: string | undefined): void {
    this.decidedAt = recorded === undefined ? undefined : Date.parse(recorded);
  }

  note(kind: string, detail: string, extra?: Record<string, unknown>): void {
    record(this.data, iso(this.now()), kind, detail, extra);
  }

  money(minor: number): string {
    return `${formatMajorUnits(minor, this.data.input.currency)} ${this.data.input.currency}`;
  }

  rejectSignal(name: string, reason: string): void {
    wf.log.warn('signal rejected', { loanId: this.loanId, signal: name, reason });
    this.note('signal_rejected', `${name} rejected: ${reason}`, { signal: name });
  }

  markInvalidContact(kind: 'phone' | 'address', why: string): void {
    const value = kind === 'phone' ? this.data.input.debtor.phone : this.data.input.debtor.address?.line1;
    if (!value) return;
    this.data.invalidContact[kind] = iso(this.now());
    const shown = kind === 'phone' ? maskPhone(value) : 'postal address';
    this.note('contact_refresh_requested', `Debtor ${shown} is not valid (${why}); contact refresh requested, ${kind === 'phone' ? 'SMS and calls' : 'letters'} wait up to ${this.plan.contactRefresh.waitFor} for new details`, { contact: kind });
  }

  status(): CaseStatus {
    const d = this.data;
    const awaiting = (['phone', 'address'] as const).filter((k) => d.invalidContact[k] !== undefined);
    return {
      loanId: d.input.loanId,
      state: stateOf(d),
      stage: d.stage,
      outstandingMinor: d.outstandingMinor,
      paidMinor: d.paidMinor,
      costMinor: d.costMinor,
      currency: d.input.currency,
      amountDueMinor: d.input.amountDueMinor,
      nextAction: d.outcome ? undefined : this.next?.action,
      nextActionAt: d.outcome || this.next?.at === undefined ? undefined : iso(this.next.at),
      pausedUntil: d.pause?.until,
      promise: promiseView(d),
      assignee: d.assignee,
      outcome: d.outcome,
      segment: d.plan?.segment,
      strategy: d.plan?.strategy,
      riskScore: d.plan?.risk,
      scoreReasons: d.plan?.scoreReasons,
      contactStopped: d.ceased !== undefined ? true : undefined,
      awaitingContactRefresh: awaiting.length > 0 ? awaiting : undefined,
      brokenPromises: d.brokenPromises,
      duplicatePayments: d.timelineCounts?.payment_duplicate,
      satisfactionScore: d.survey?.score,
      review: d.review && !d.outcome ? { cause: d.review.cause, reason: d.review.reason, step: d.review.step, since: d.review.since } : undefined,
    };
  }

  sync(): void {
    this.upserted = syncSearchAttributes(this.data, this.upserted);
    if (this.reportMemo) this.memo = syncReportMemo(this.data, this.memo);
  }

  /** Sleeps until `until` (or forever) unless a message changes the case first. */
  async waitUntil(until: number | undefined, action: string): Promise<void> {
    const version = this.version;
    this.next = { action, at: until };
    this.sync();
    this.archiver.flush(this.data);
    const due = until !== undefined && until > this.now();
    // From here the case waits: later decisions read the clock of the task that wakes it.
    this.decidedAt = undefined;
    if (until === undefined) {
      await wf.condition(() => this.version !== version);
      return;
    }
    if (due) await wf.condition(() => this.version !== version, Math.max(until - Date.now(), 1), { summary: action });
  }

  expireCall(): void {
    const d = this.data;
    const pending = d.pendingCall!;
    const attempt = [...d.contacts].reverse().find((c) => c.channel === 'call' && c.result === 'attempt');
    if (attempt) attempt.result = 'no_answer';
    d.pendingCall = undefined;
    this.note('call_outcome', `No outcome reported for call ${pending.taskId}; counted as no answer`, { outcome: 'no_answer', taskId: pending.taskId });
  }

  resolve(outcome: Outcome): void {
    const d = this.data;
    if (d.outcome) return;
    d.outcome = outcome;
    d.promise = undefined;
    this.next = undefined;
    this.note('resolved', `Case resolved: ${outcome.replace(/_/g, ' ')}; paid ${this.money(d.paidMinor)}, outstanding ${this.money(d.outstandingMinor)}, cost ${this.money(d.costMinor)}`, { outcome });
    wf.log.info('case resolved', { loanId: this.loanId, outcome });
    this.sync();
  }

  done(due: DueStep): void {
    const d = this.data;
    d.progress = advance(d.progress!, due, iso(this.now()));
    d.stage = stageOf(due.step.channel);
    this.sync();
  }

  skip(due: DueStep, why: string): void {
    this.note('step_skipped', `${due.key} skipped: ${why}`, { step: due.key });
    this.done(due);
  }

  /**
   * Asks the compliance calendar; when the rules forbid now, records the deferral and waits.
   * Returns true to go ahead. When no allowed instant exists (or the rules cannot be read),
   * the case goes to needs_review instead of failing, and this returns false.
   */
  async compliant(due: DueStep, now: number, number?: string): Promise<boolean> {
    const decision = await this.askContactRules(due, now, number);
    if ('failure' in decision) {
      this.needsReview('no_allowed_instant', `${due.key}: no allowed instant for this contact (${decision.failure})`, due.key);
      return false;
    }
    return this.deferIfNeeded(due, now, decision);
  }

  /** The compliance calendar's answer, or why it has none (a final failure of the local activity). */
  async askContactRules(due: DueStep, now: number, number?: string): Promise<ContactDecision | { failure: string }> {
    const plan = this.plan;
    try {
      const decision = await scheduleContact({
        channel: due.step.channel,
        notBefore: iso(now),
        timezone: this.data.input.debtor.timezone,
        jurisdiction: plan.jurisdiction,
        profile: plan.profile,
        recentContacts: this.data.contacts,
        number,
      });
      this.decideAsOf(decision.decidedAt);
      return decision;
    } catch (error) {
      // A local activity's final failure may reach the workflow as the ApplicationFailure itself.
      if (!(error instanceof ActivityFailure) && !(error instanceof ApplicationFailure)) throw error;
      return { failure: this.failureMessage(error) };
    }
  }

  /** Records the deferrals of a decision and waits for its instant; true when the contact may happen now. */
  async deferIfNeeded(due: DueStep, now: number, decision: ContactDecision): Promise<boolean> {
    // Go ahead on the recorded decision, never on comparing its instant with the clock: after a
    // local activity whose result crossed a workflow task boundary, replay runs at the activity's
    // completion time, earlier than the original task did, so `at <= now` could flip on replay.
    if (decision.deferrals.length === 0) return true;
    const at = Date.parse(decision.at);
    for (const deferral of decision.deferrals) {
      this.note('contact_deferred', `${due.key} deferred: ${deferral.detail}`, { step: due.key, rule: deferral.rule, until: deferral.until });
    }
    await this.waitUntil(at, `${due.key} deferred until ${decision.at}`);
    return false;
  }

  /** Whether a contact channel waits for refreshed details (true), is usable (false), or has given up waiting (skip). */
  awaitingRefresh(kind: 'phone' | 'address', now: number): 'usable' | 'waiting' | 'expired' {
    const since = this.data.invalidContact[kind];
    if (since === undefined) return 'usable';
    return now < Date.parse(since) + ms(this.plan.contactRefresh.waitFor) ? 'waiting' : 'expired';
  }

  /** `<workflowId>/<overdue date>/<step>`: stable across retries and replays, distinct if the loan re-defaults later. */
  idempotencyKey(step: string): string {
    return `${this.workflowId}/${this.data.input.overdueSince}/${step}`;
  }

  providers(summary: string) {
    // A provider call ends the decision: the case goes on in the task that brings its result.
    this.decidedAt = undefined;
    const { timeout, retry } = this.plan.providers;
    return wf.proxyActivities<CollectionActivities>({
      startToCloseTimeout: timeout,
      retry: { ...retry, nonRetryableErrorTypes: ['InvalidContact', 'ProviderRejected'] },
      summary,
    });
  }

  isInvalidContact(error: unknown): boolean {
    return error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === 'InvalidContact';
  }

  failureMessage(error: unknown): string {
    if (error instanceof ActivityFailure && error.cause) return error.cause.message;
    return error instanceof Error ? error.message : String(error);
  }

  /**
   * Puts the case in state needs_review (spec section 9): the loop waits for a supervisor's
   * `reviewResolved` (retry, skip or close) and nothing else happens to the step meanwhile.
   */
  needsReview(cause: ReviewCause, reason: string, step: string): void {
    this.data.review = { cause, reason, step, since: iso(this.now()) };
    wf.log.warn('case needs review', { loanId: this.loanId, step, cause });
    this.note('needs_review', `Needs review: ${reason}`, { step, cause });
    this.sync();
  }

  /** A step whose provider failed for good (rejected, or retries exhausted) is recorded and passed; the ladder goes on. */
  failed(due: DueStep, error: unknown): void {
    if (!(error instanceof ActivityFailure)) throw error;
    wf.log.warn('step failed', { loanId: this.loanId, step: due.key, error: this.failureMessage(error) });
    this.note('step_failed', `${due.key} failed: ${this.failureMessage(error)}`, { step: due.key });
    this.done(due);
  }
}
