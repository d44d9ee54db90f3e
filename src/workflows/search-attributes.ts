import { upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { stateOf, type CaseData } from '../domain/case-state';
// Types only: the memo's zod schema stays out of the workflow bundle (each cached case would build it).
import type { CaseMemo } from '../shared/case-memo';
import * as keys from '../shared/search-attributes';

/**
 * Upserts the case's search attributes when any of them changed since the last upsert,
 * so ops can find cases by stage, state, amounts and outcome in visibility.
 * Returns the snapshot to pass next time.
 *
 * Only the attributes that changed go into the upsert (an upsert merges into what the
 * workflow has), so each history event carries one or two values rather than all ten. When
 * an upsert happens is unchanged, and replay does not compare an upsert's attributes.
 */
export function syncSearchAttributes(data: CaseData, previous: string | undefined): string {
  const pairs: SearchAttributeUpdatePair[] = [
    { key: keys.LoanIdKey, value: data.input.loanId },
    { key: keys.DebtorTypeKey, value: data.input.debtor.type },
    { key: keys.CollectionStageKey, value: data.stage },
    { key: keys.CollectionStateKey, value: stateOf(data) },
    { key: keys.OutstandingMinorKey, value: data.outstandingMinor },
    { key: keys.RecoveredMinorKey, value: data.paidMinor - data.overpaidMinor },
    { key: keys.CostMinorKey, value: data.costMinor },
  ];
  if (data.plan) {
    pairs.push({ key: keys.SegmentKey, value: data.plan.segment }, { key: keys.StrategyKey, value: data.plan.strategy });
  }
  if (data.outcome) pairs.push({ key: keys.OutcomeKey, value: data.outcome });
  const snapshot = JSON.stringify(pairs.map((p) => [p.key.name, p.value]));
  if (snapshot !== previous) upsertSearchAttributes(changedSince(previous, pairs));
  return snapshot;
}

/** The pairs whose value differs from the previous snapshot (all of them when there is none). */
function changedSince(previous: string | undefined, pairs: SearchAttributeUpdatePair[]): SearchAttributeUpdatePair[] {
  if (previous === undefined) return pairs;
  const before = new Map(JSON.parse(previous) as Array<[string, unknown]>);
  return pairs.filter((p) => !before.has(p.key.name) || before.get(p.key.name) !== p.value);
}

/**
 * Keeps the reporting facts in the memo (returned with every visibility listing, so a
 * report reads thousands of cases without querying each). Returns the snapshot to pass next time.
 */
export function syncReportMemo(data: CaseData, previous: string | undefined): string {
  const facts: CaseMemo = {
    promisesKept: data.keptPromises,
    promisesBroken: data.brokenPromises,
    rightPartyContact: data.rightPartyContact ?? false,
    recoveredByStage: data.recoveredByStage,
  };
  const snapshot = JSON.stringify(facts);
  if (snapshot !== previous) {
    const memo: CaseMemo = { ...facts, recoveredByStage: { ...facts.recoveredByStage } };
    upsertMemo(memo);
  }
  return snapshot;
}
