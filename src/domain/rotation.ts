import { msToNumber } from '@temporalio/common/lib/time';
import type { Policy } from '../policy/schema';
import { stableHash32 } from './experiment';

/**
 * Collector rotation (anti-collusion): a debtor starts with a collector picked by a
 * stable hash of the loan id and moves to the next one on the roster every
 * `rotateEvery`, so no collector keeps the same debtor longer than that.
 */
export function assigneeAt(calls: Policy['calls'], loanId: string, openedAt: number, now: number): string {
  const roster = calls.roster;
  const periods = Math.max(0, Math.floor((now - openedAt) / msToNumber(calls.rotateEvery as never)));
  return roster[(stableHash32(loanId) + periods) % roster.length]!;
}
