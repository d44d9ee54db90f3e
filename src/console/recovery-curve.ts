import type { CaseRow } from '../client/reports';
import type { TimelineEvent } from '../shared/schemas';
import { mapLimited } from './map-limited';

/**
 * The recovery curve: cumulative amount recovered by days since each case opened.
 *
 * Visibility (and so the report service) keeps totals, not payment dates, so this read
 * model asks each case that recovered something for its timeline and takes its
 * `payment_received` entries (applied amount, the payment's own `receivedAt`). That is
 * one query per paying case: the console reads at most MAX_PAYING_CASES of them (the
 * largest recoveries) and says so when it leaves some out.
 */

export const MAX_PAYING_CASES = 500;
const QUERY_CONCURRENCY = 8;
const DAY_MS = 86_400_000;

export interface PaymentPoint {
  /** Whole days from the case's opening to the payment (0 on the day it opened). */
  day: number;
  amountMinor: number;
}

export interface RecoveryCurve {
  /** Ascending days, one point per day that saw a payment. */
  days: number[];
  /** Cumulative minor units recovered by the end of each day in `days`. */
  cumulativeMinor: number[];
  casesRead: number;
  casesLeftOut: number;
}

/** The payments of one case's timeline as points since `openedAt` (pure). */
export function paymentPoints(openedAt: string, timeline: readonly TimelineEvent[]): PaymentPoint[] {
  const opened = Date.parse(openedAt);
  const points: PaymentPoint[] = [];
  for (const event of timeline) {
    if (event.kind !== 'payment_received') continue;
    const applied = event.data?.['appliedMinor'] ?? event.data?.['amountMinor'];
    if (typeof applied !== 'number' || applied <= 0) continue;
    const receivedAt = typeof event.data?.['receivedAt'] === 'string' ? Date.parse(event.data['receivedAt']) : NaN;
    const at = Number.isNaN(receivedAt) ? Date.parse(event.at) : receivedAt;
    points.push({ day: Math.max(0, Math.floor((at - opened) / DAY_MS)), amountMinor: applied });
  }
  return points;
}

/** Cumulative sums by day (pure). */
export function cumulate(points: readonly PaymentPoint[]): Pick<RecoveryCurve, 'days' | 'cumulativeMinor'> {
  const byDay = new Map<number, number>();
  for (const p of points) byDay.set(p.day, (byDay.get(p.day) ?? 0) + p.amountMinor);
  const days = [...byDay.keys()].sort((a, b) => a - b);
  let total = 0;
  return { days, cumulativeMinor: days.map((d) => (total += byDay.get(d) ?? 0)) };
}

export async function recoveryCurve(rows: readonly CaseRow[], timelineOf: (loanId: string) => Promise<TimelineEvent[]>): Promise<RecoveryCurve> {
  const paying = rows.filter((r) => (r.recoveredMinor ?? 0) > 0).sort((a, b) => (b.recoveredMinor ?? 0) - (a.recoveredMinor ?? 0));
  const read = paying.slice(0, MAX_PAYING_CASES);
  const perCase = await mapLimited(read, QUERY_CONCURRENCY, async (row) => {
    // A case whose worker cannot answer right now is left out of the curve rather than failing the page.
    const timeline = await timelineOf(row.loanId).catch(() => []);
    return paymentPoints(row.startTime, timeline);
  });
  return { ...cumulate(perCase.flat()), casesRead: read.length, casesLeftOut: paying.length - read.length };
}
