/**
 * A report's raw sums, the same whether PostgreSQL adds them up (the archive) or the
 * client does (a visibility listing): src/client/reports.ts turns them into the report.
 */
export interface GroupTotals {
  cases: number;
  amountDueMinor: number;
  recoveredMinor: number;
  /** Outstanding, or the amount due for a case that has not reported a balance yet. */
  outstandingMinor: number;
  costMinor: number;
  paidInFull: number;
}

export interface ReportTotals {
  total: GroupTotals;
  promisesKept: number;
  promisesBroken: number;
  /** Cases that report right-party contact, and those where it happened. */
  rpcKnown: number;
  rpcYes: number;
  /** Keyed by stage / reported state / segment / strategy; `unknown` when the case has none. */
  byStage: Record<string, GroupTotals>;
  byState: Record<string, GroupTotals>;
  bySegment: Record<string, GroupTotals>;
  byStrategy: Record<string, GroupTotals>;
  /** Money recovered while in each stage, and how many cases paid something in it. */
  recoveredInStage: Record<string, { recoveredMinor: number; payingCases: number }>;
  /** Recovery on cases that do not say in which stage it came. */
  unattributed: { recoveredMinor: number; payingCases: number };
}

export const emptyTotals = (): GroupTotals => ({ cases: 0, amountDueMinor: 0, recoveredMinor: 0, outstandingMinor: 0, costMinor: 0, paidInFull: 0 });
