import { DateTime } from 'luxon';
import type { Scoring } from '../policy/schema';
import { currencyDecimals, formatMajorUnits } from '../shared/money';
import type { CaseInput } from '../shared/schemas';

/**
 * Propensity to pay: a deterministic, explainable logistic model whose coefficients come
 * from the policy's `scoring` section.
 *
 *   p = 1 / (1 + e^-(intercept + sum(weight_i * feature_i)))
 *
 * Features (units matter when choosing weights):
 *   - daysPastDue: whole calendar days since `overdueSince`, in the debtor's time zone
 *   - amountDueLog10: log10 of the amount due in MAJOR units (CNY 5,000.00 -> 3.70), floored at 0
 *   - previousDelinquencies, brokenPromises: counts from `history` (0 when absent)
 *   - monthsOnBook: MONTHS (not years) from `history` (0 when absent)
 *   - corporate: 1 for a corporate debtor, else 0
 *   - product: one-hot, the weight of the case's product (0 when the policy gives none)
 *
 * Pure: `now` is an argument, never the clock.
 */

export interface ScoreFeatures {
  daysPastDue: number;
  amountDueLog10: number;
  previousDelinquencies: number;
  brokenPromises: number;
  monthsOnBook: number;
  corporate: 0 | 1;
  product: CaseInput['product'];
}

export interface Score {
  /** 0..1, higher = more likely to pay; rounded to 4 decimals. */
  propensity: number;
  /** 1 - propensity, rounded to 3 decimals (used for segmentation and display). */
  risk: number;
  /** The largest contributions first, e.g. "+0.43 long relationship (36 months on book)". */
  reasons: string[];
}

/** How many contributions `reasons` lists at most. */
export const MAX_REASONS = 4;

/** Whole calendar days from `overdueSince` to `now`, counted in the debtor's time zone; never negative. */
export function daysPastDue(overdueSince: string, timezone: string, now: string): number {
  const today = DateTime.fromISO(now, { setZone: true }).setZone(timezone).startOf('day');
  const since = DateTime.fromISO(overdueSince, { zone: timezone }).startOf('day');
  if (!today.isValid) throw new RangeError(`invalid instant "${now}"`);
  if (!since.isValid) throw new RangeError(`invalid date "${overdueSince}"`);
  return Math.max(0, Math.round(today.diff(since, 'days').days));
}

export function scoreFeatures(input: CaseInput, now: string): ScoreFeatures {
  const amountMajor = input.amountDueMinor / 10 ** currencyDecimals(input.currency);
  return {
    daysPastDue: daysPastDue(input.overdueSince, input.debtor.timezone, now),
    amountDueLog10: Math.log10(Math.max(1, amountMajor)),
    previousDelinquencies: input.history?.previousDelinquencies ?? 0,
    brokenPromises: input.history?.brokenPromises ?? 0,
    monthsOnBook: input.history?.monthsOnBook ?? 0,
    corporate: input.debtor.type === 'corporate' ? 1 : 0,
    product: input.product,
  };
}

interface Contribution {
  value: number;
  words: string;
}

export function scoreCase(scoring: Scoring, input: CaseInput, now: string): Score {
  const f = scoreFeatures(input, now);
  const w = scoring.weights;
  const amountText = `${input.currency} ${formatMajorUnits(input.amountDueMinor, input.currency)}`;
  const contributions: Contribution[] = [
    { value: w.daysPastDue * f.daysPastDue, words: `time overdue (${plural(f.daysPastDue, 'day')} past due)` },
    { value: w.amountDueLog10 * f.amountDueLog10, words: `amount due (${amountText})` },
    {
      value: w.previousDelinquencies * f.previousDelinquencies,
      words: `repayment history (${plural(f.previousDelinquencies, 'previous delinquency', 'previous delinquencies')})`,
    },
    { value: w.brokenPromises * f.brokenPromises, words: `promise record (${plural(f.brokenPromises, 'broken promise')})` },
    {
      value: w.monthsOnBook * f.monthsOnBook,
      words: `${f.monthsOnBook >= 24 ? 'long relationship' : 'short relationship'} (${plural(f.monthsOnBook, 'month')} on book)`,
    },
    { value: w.corporate * f.corporate, words: 'corporate borrower' },
    { value: w.product[f.product] ?? 0, words: `product (${f.product.replace(/_/g, ' ')})` },
  ];
  const logit = contributions.reduce((sum, c) => sum + c.value, scoring.intercept);
  const p = 1 / (1 + Math.exp(-logit));
  const propensity = round(p, 4);
  const reasons = contributions
    .map((c, order) => ({ ...c, order, rounded: round(c.value, 2) }))
    .filter((c) => c.rounded !== 0)
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.order - b.order)
    .slice(0, MAX_REASONS)
    .map((c) => `${c.rounded > 0 ? '+' : '-'}${Math.abs(c.rounded).toFixed(2)} ${c.words}`);
  return { propensity, risk: round(1 - p, 3), reasons };
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor + 0;
}
