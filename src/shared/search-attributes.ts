import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes every case upserts on each transition, so ops can find cases in visibility. */
export const CollectionStageKey = defineSearchAttributeKey('CollectionStage', SearchAttributeType.KEYWORD);
export const CollectionStateKey = defineSearchAttributeKey('CollectionState', SearchAttributeType.KEYWORD);
export const LoanIdKey = defineSearchAttributeKey('LoanId', SearchAttributeType.KEYWORD);
export const DebtorTypeKey = defineSearchAttributeKey('DebtorType', SearchAttributeType.KEYWORD);
export const SegmentKey = defineSearchAttributeKey('Segment', SearchAttributeType.KEYWORD);
export const StrategyKey = defineSearchAttributeKey('Strategy', SearchAttributeType.KEYWORD);
export const OutcomeKey = defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD);
export const OutstandingMinorKey = defineSearchAttributeKey('OutstandingMinor', SearchAttributeType.INT);
export const RecoveredMinorKey = defineSearchAttributeKey('RecoveredMinor', SearchAttributeType.INT);
export const CostMinorKey = defineSearchAttributeKey('CostMinor', SearchAttributeType.INT);

export const SEARCH_ATTRIBUTES = [
  CollectionStageKey,
  CollectionStateKey,
  LoanIdKey,
  DebtorTypeKey,
  SegmentKey,
  StrategyKey,
  OutcomeKey,
  OutstandingMinorKey,
  RecoveredMinorKey,
  CostMinorKey,
] as const;
