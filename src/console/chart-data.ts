import type { Report } from '../client/reports';
import { currencyDecimals } from '../shared/money';
import type { RecoveryCurve } from './recovery-curve';

/**
 * What the portfolio charts draw, computed on the server and embedded in the page as JSON.
 * Amounts are major units as plain numbers: a chart's bar height, never a figure anyone
 * reads off as money (tiles and tables use exact formatting).
 */
export interface ChartData {
  currency?: string;
  funnel: { labels: string[]; cases: number[]; recovered: number[] };
  segments: { labels: string[]; kinds: Array<'segment' | 'strategy'>; recoveryPercent: number[] };
  curve: { days: number[]; cumulative: number[] };
}

const label = (key: string) => key.replace(/_/g, ' ');

export function chartData(report: Report, currency: string | undefined, curve: Pick<RecoveryCurve, 'days' | 'cumulativeMinor'>): ChartData {
  const scale = 10 ** (currency ? currencyDecimals(currency) : 0);
  const major = (minor: number) => minor / scale;
  const segmentRows = Object.entries(report.bySegment).map(([k, g]) => ({ label: `segment: ${label(k)}`, kind: 'segment' as const, rate: g.recoveryRate }));
  const strategyRows = Object.entries(report.byStrategy).map(([k, g]) => ({ label: `arm: ${label(k)}`, kind: 'strategy' as const, rate: g.recoveryRate }));
  const groups = [...segmentRows, ...strategyRows];
  return {
    currency,
    funnel: {
      labels: report.funnel.map((f) => label(f.stage)),
      cases: report.funnel.map((f) => f.casesAtStage),
      recovered: report.funnel.map((f) => major(f.recoveredMinor)),
    },
    segments: {
      labels: groups.map((g) => g.label),
      kinds: groups.map((g) => g.kind),
      recoveryPercent: groups.map((g) => Math.round((g.rate ?? 0) * 1000) / 10),
    },
    // The curve starts from nothing recovered on the day cases open.
    curve: curve.days[0] === 0 || curve.days.length === 0 ? { days: curve.days, cumulative: curve.cumulativeMinor.map(major) } : { days: [0, ...curve.days], cumulative: [0, ...curve.cumulativeMinor.map(major)] },
  };
}
