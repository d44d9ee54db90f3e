import * as wf from '@temporalio/workflow';
import { ApplicationFailure } from '@temporalio/workflow';
import { openCase, pruneContacts, type CaseData } from '../domain/case-state';
import { decide, type Decision } from '../domain/decide';
import { assignPlan, endHold, expireCall, followReview, noteEntry, noteOpening, resolveCase, settlePromise } from '../domain/transitions';
import * as schemas from '../shared/schemas';
import type { Outcome } from '../shared/schemas';
import { CaseContext, iso, planCase } from './case-context';
import { registerCaseHandlers } from './case-messages';
import { CasePatches } from './case-patches';
import { askForSatisfaction, carryOut, offerForbearance, recallFromAgency } from './case-steps';

export interface CaseResult {
  loanId: string;
  outcome: Outcome;
  paidMinor: number;
  outstandingMinor: number;
  costMinor: number;
}

/**
 * A run continues as new past these, whatever the server suggests (its own limits are 50 K
 * events and 50 MB). Kept low so a worker that lost the case from its cache replays it within
 * a workflow task's timeout even on a loaded machine (about 10 K events took over 10 s there).
 */
const HISTORY_EVENTS_BOUND = 2_000;
const HISTORY_BYTES_BOUND = 2 * 1024 * 1024;

/**
 * One overdue loan: escalates on timers along its policy's ladder until the money comes
 * back or the case is handed to court. A thin shell: handlers registered first, every
 * decision taken by the case engine (src/domain: decide, apply, transitions), state kept as plain JSON.
 */
export async function collectionCase(input: schemas.CaseInput, carried?: CaseData): Promise<CaseResult> {
  const parsed = schemas.CaseInput.safeParse(input);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`invalid case input: ${schemas.describeZodError(parsed.error)}`, 'InvalidCaseInput');
  }
  // First, before any command: a case started on this code records one marker (see CasePatches).
  const patches = CasePatches.ask();
  const kase = new CollectionCase(carried ?? openCase(parsed.data, iso(Date.now())), patches);
  registerCaseHandlers(kase);
  return kase.run();
}

/** The escalation loop: ask the engine what is next, carry it out (a transition, a wait, a step), ask again. */
class CollectionCase extends CaseContext {
  async run(): Promise<CaseResult> {
    if (!this.opened) {
      await this.open();
      await this.applyEarlyMessages();
    }
    while (!this.data.outcome) await this.decideAndAct();
    this.syncOpening();
    this.archiver.flush(this.data);
    await askForSatisfaction(this);
    await wf.condition(wf.allHandlersFinished);
    // Messages no longer sync one by one: what came after the last wait reaches visibility here.
    if (this.boundedMessages) this.sync();
    await this.archiver.settle(this.data, 'COMPLETED');
    const d = this.data;
    return { loanId: d.input.loanId, outcome: d.outcome!, paidMinor: d.paidMinor, outstandingMinor: d.outstandingMinor, costMinor: d.costMinor };
  }

  private async open(): Promise<void> {
    const d = this.data;
    this.took(noteOpening(d, this.now()));
    // Counted while it runs (see localActivitiesRunning); try/finally, not .finally(): no extra microtask before the case goes on.
    this.localActivitiesRunning += 1;
    let plan: Awaited<ReturnType<typeof planCase>>;
    try {
      plan = await planCase(d.input, d.openedAt);
    } finally {
      this.localActivitiesRunning -= 1;
    }
    this.decideAsOf(plan.decidedAt);
    this.took(assignPlan(d, plan, this.now(), { caseSafety: this.caseSafety }));
    if (this.patches.has('case-code-v7')) this.openingSyncPending = true;
    else this.sync();
  }

  /**
   * case-code-v7: the opening reaches visibility with the first decision, after the messages
   * held for the opening are applied: a payment that resolves the case at once then costs one
   * upsert of each kind (search attributes, memo), not two in the same task.
   */
  private openingSyncPending = false;

  /** The opening's pending sync, if any; the first decision takes it, or it comes with a resolution (took() syncs). */
  private syncOpening(decision?: Decision): void {
    if (!this.openingSyncPending) return;
    this.openingSyncPending = false;
    if (decision?.kind !== 'resolve') this.sync();
  }

  /**
   * Time to continue as new: the server suggests it, or (bounded mode) the history passed our
   * own bound, so a storm of signals that keeps every task busy still moves to a fresh run.
   */
  private historyFull(): boolean {
    const info = wf.workflowInfo();
    if (info.continueAsNewSuggested) return true;
    return this.boundedMessages && (info.historyLength >= HISTORY_EVENTS_BOUND || info.historySize >= HISTORY_BYTES_BOUND);
  }

  private async continueAsNew(): Promise<never> {
    await wf.condition(wf.allHandlersFinished);
    await this.archiver.settle(this.data);
    this.archiver.handOver(this.data);
    // The memo (currency, overdue episode, report facts) goes along: callers read it from the latest run.
    return wf.makeContinueAsNewFunc<typeof collectionCase>({ memo: wf.workflowInfo().memo })(this.data.input, this.data);
  }

  private decision(now: number): Decision {
    return decide(this.data, now, {
      historyFull: this.historyFull(),
      caseSafety: this.caseSafety,
      // patched: cases opened before forbearance offers existed replay without one.
      mayOfferForbearance: () => this.patches.has('forbearance-before-escalation'),
    });
  }

  private async decideAndAct(): Promise<void> {
    const d = this.data;
    const now = this.now();
    let decision = this.decision(now);
    this.syncOpening(decision);
    if (decision.kind === 'continue_as_new') return this.continueAsNew();
    d.contacts = pruneContacts(d.contacts, now);
    // An operator hold that has run out is lifted, and the case decides again at once.
    while (decision.kind === 'end_hold') {
      this.took(endHold(d, this.now()));
      decision = this.decision(now);
    }
    switch (decision.kind) {
      case 'settle_promise':
        return void this.took(settlePromise(d, now));
      case 'resolve':
        return void this.took(resolveCase(d, decision.outcome, this.now(), decision.why));
      case 'follow_review':
        this.took(followReview(d, this.now()));
        return this.sync();
      case 'expire_call':
        return void this.took(expireCall(d, this.now()));
      case 'recall_from_agency':
        return recallFromAgency(this);
      case 'needs_review':
        return this.needsReview(decision.cause, decision.reason, decision.step);
      case 'offer_forbearance':
        return offerForbearance(this, decision.due, now);
      case 'wait':
        if (decision.note) this.took(noteEntry(d, decision.note, this.now()));
        return this.waitUntil(decision.until, decision.action);
      case 'carry_out':
        return carryOut(this, decision.due, now);
      case 'continue_as_new':
        return this.continueAsNew();
    }
  }
}
