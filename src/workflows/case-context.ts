import * as wf from '@temporalio/workflow';
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import type { CollectionActivities } from '../activities';
import type { Transition } from '../domain/case-journal';
import type { CaseData, PaymentIdMode } from '../domain/case-state';
import { caseStatus } from '../domain/case-status';
import type { DueStep } from '../domain/ladder';
import type { ReviewCause } from '../domain/review';
import type { FailureTransition, ProviderFailure } from '../domain/provider-failures';
import { contactRulesQuestion } from '../domain/provider-requests';
import { contactDeferred, noAllowedInstant } from '../domain/steps';
import { needReview, resolveCase, skipStep, stepDone } from '../domain/transitions';
import type { CasePlan, ContactDecision } from '../domain/types';
import { stepIdempotencyKey } from '../shared/ids';
import type { CaseStatus, Outcome } from '../shared/schemas';
import { CaseArchiver } from './case-archiver';
import type { CasePatches } from './case-patches';
import { memoFactsSnapshot, syncReportMemo, syncSearchAttributes } from './search-attributes';

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
  /** Whether this run keeps reporting facts in its memo (cases started before the report memo existed replay without it). */
  readonly reportMemo: boolean;
  /** Writes the case to the archive once per wake-up (enabled by `patched('case-archive')`). */
  readonly archiver = new CaseArchiver();
  /** Whether messages that arrive before the case is opened wait for it (see afterOpening); cases started before this replay without it. */
  readonly holdEarlyMessages: boolean;
  /**
   * Case safety (spec section 9): notice periods before legal steps, and legal steps whose
   * provider failed for good going to needs_review. Cases started before this keep their old course.
   */
  readonly caseSafety: boolean;
  /** Messages that arrived before the case was opened and have not been applied yet. */
  private waitingForOpening = 0;
  /**
   * Bounded work per message (`patched('bounded-message-work')`, asked first thing): payments
   * looked up by id, redeliveries counted rather than listed, no search-attribute or memo sync
   * per message (the case syncs when it next waits), messages held before the opening in one
   * queue drained once. A storm of thousands of signals then costs one sync, not thousands.
   * Cases started before this replay without it.
   */
  readonly boundedMessages: boolean;
  /** Messages held until the case opens (bounded mode), in the order they came; undefined once drained. */
  private held: Array<() => void> | undefined;
  /**
   * Local activities the case is waiting on (planCase, scheduleContact). A local activity's result
   * can cross a workflow task boundary: a query answered while the result is pending completes the
   * task (its marker included) and the case acts on the result in the next task, while replay acts
   * on it in the first. An update accepted in that next task lands in history before the commands
   * that follow the result, and replay puts them after: the case can no longer replay. So the
   * payment update is refused (and retried by the caller) while this is above zero
   * (`patched('no-update-during-local-activity')`).
   */
  localActivitiesRunning = 0;
  /** Whether the payment update is refused while a local activity runs (see localActivitiesRunning). */
  readonly refuseUpdatesDuringLocalActivity: boolean;
  /** How payments are told apart by id: indexed (bounded mode), trimmed, or exactly as sent (the oldest cases). */
  readonly paymentIds: PaymentIdMode;

  /**
   * `patches`: the versions this run has; every `patched()` question goes through it. The
   * versions the whole run depends on are asked here, first thing, before any command: a
   * patch first asked later (after a local activity) can sit at another point of the history
   * on replay than it did when the case ran.
   */
  constructor(
    readonly data: CaseData,
    readonly patches: CasePatches,
  ) {
    // In this order: a case started before the epoch replays its markers in the order it asked them.
    this.boundedMessages = patches.has('bounded-message-work');
    this.reportMemo = patches.has('report-memo');
    this.holdEarlyMessages = patches.has('messages-wait-for-case-opening');
    this.caseSafety = patches.has('case-safety');
    // Before any handler can record an event: what leaves the timeline window waits for the archive.
    this.archiver.keepBacklog(data, patches.has('archive-backlog'));
    this.refuseUpdatesDuringLocalActivity = patches.has('no-update-during-local-activity');
    // Runs started before this patch compared paymentIds exactly and applied the update's raw
    // payload ("P1 " after "P1" counted twice); they keep doing so until they continue as new.
    const trimmed = patches.has('payment-id-trimmed');
    this.paymentIds = this.boundedMessages ? 'indexed' : trimmed ? 'trimmed' : 'exact';
    this.archiver.enabled = patches.has('case-archive');
    // case-code-v7: report facts the start memo already holds are not upserted again.
    if (patches.has('case-code-v7')) this.memo = memoFactsSnapshot(wf.workflowInfo().memo);
  }

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

  /** Takes an engine transition: writes its log lines; a resolution ends the waits and reaches visibility at once. */
  took<T extends Transition>(transition: T): T {
    for (const line of transition.logs) wf.log[line.level](line.message, line.fields);
    if (transition.resolved) {
      this.next = undefined;
      this.sync();
    }
    return transition;
  }

  /** Takes what a provider's final failure came to; a review or a failed step reaches visibility at once. */
  tookFailure(transition: FailureTransition): FailureTransition {
    this.took(transition);
    if (transition.became === 'needs_review' || transition.became === 'step_failed') this.sync();
    return transition;
  }

  status(): CaseStatus {
    return caseStatus(this.data, this.next);
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

  resolve(outcome: Outcome): void {
    this.took(resolveCase(this.data, outcome, this.now()));
  }

  done(due: DueStep): void {
    stepDone(this.data, due, this.now());
    this.sync();
  }

  skip(due: DueStep, why: string): void {
    this.took(skipStep(this.data, due, why, this.now()));
    this.sync();
  }

  /**
   * Asks the compliance calendar; when the rules forbid now, records the deferral and waits.
   * Returns true to go ahead. When no allowed instant exists (or the rules cannot be read),
   * the case goes to needs_review instead of failing, and this returns false.
   */
  async compliant(due: DueStep, now: number, number?: string): Promise<boolean> {
    const decision = await this.askContactRules(due, now, number);
    if ('failure' in decision) {
      this.took(noAllowedInstant(this.data, due, decision.failure, this.now()));
      this.sync();
      return false;
    }
    return this.deferIfNeeded(due, now, decision);
  }

  /** The compliance calendar's answer, or why it has none (a final failure of the local activity). */
  async askContactRules(due: DueStep, now: number, number?: string): Promise<ContactDecision | { failure: string }> {
    this.localActivitiesRunning += 1;
    try {
      const decision = await scheduleContact(contactRulesQuestion(this.data, due, now, number));
      this.decideAsOf(decision.decidedAt);
      return decision;
    } catch (error) {
      // A local activity's final failure may reach the workflow as the ApplicationFailure itself.
      if (!(error instanceof ActivityFailure) && !(error instanceof ApplicationFailure)) throw error;
      return { failure: this.failureMessage(error) };
    } finally {
      this.localActivitiesRunning -= 1;
    }
  }

  /** Records the deferrals of a decision and waits for its instant; true when the contact may happen now. */
  async deferIfNeeded(due: DueStep, now: number, decision: ContactDecision): Promise<boolean> {
    // Go ahead on the recorded decision, never on comparing its instant with the clock: after a
    // local activity whose result crossed a workflow task boundary, replay runs at the activity's
    // completion time, earlier than the original task did, so `at <= now` could flip on replay.
    if (decision.deferrals.length === 0) return true;
    const at = Date.parse(decision.at);
    this.took(contactDeferred(this.data, due, decision.deferrals, this.now()));
    await this.waitUntil(at, `${due.key} deferred until ${decision.at}`);
    return false;
  }

  idempotencyKey(step: string): string {
    return stepIdempotencyKey(this.workflowId, this.data.input.overdueSince, step);
  }

  providers(summary: string) {
    // A provider call ends the decision: the case goes on in the task that brings its result.
    // So whatever the step decides on the decision's instant comes before this (contactDebtor).
    this.decidedAt = undefined;
    const { timeout, retry } = this.plan.providers;
    return wf.proxyActivities<CollectionActivities>({
      startToCloseTimeout: timeout,
      retry: { ...retry, nonRetryableErrorTypes: ['InvalidContact', 'ProviderRejected'] },
      summary,
    });
  }

  /**
   * Reads an activity's final failure: whether the provider refused the contact details
   * (`InvalidContact`), and its message. With `onlyProviders`, anything but an activity's
   * failure (a cancellation, a bug) is thrown on rather than recorded.
   */
  providerFailure(error: unknown, options: { onlyProviders?: boolean } = {}): ProviderFailure {
    if (options.onlyProviders && !(error instanceof ActivityFailure)) throw error;
    const invalidContact = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === 'InvalidContact';
    return { invalidContact, message: this.failureMessage(error) };
  }

  private failureMessage(error: unknown): string {
    if (error instanceof ActivityFailure && error.cause) return error.cause.message;
    return error instanceof Error ? error.message : String(error);
  }

  /**
   * Puts the case in state needs_review (spec section 9): the loop waits for a supervisor's
   * `reviewResolved` (retry, skip or close) and nothing else happens to the step meanwhile.
   */
  needsReview(cause: ReviewCause, reason: string, step: string): void {
    this.took(needReview(this.data, cause, reason, step, this.now()));
    this.sync();
  }
}
