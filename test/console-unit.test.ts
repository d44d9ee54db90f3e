import { describe, expect, it } from 'vitest';
import type { CaseStatus, TimelineEvent } from '../src/shared/schemas';
import type { TimelineKind } from '../src/shared/timeline';
import { applicableActions, caseBody } from '../src/console/case-page';
import { chartData } from '../src/console/chart-data';
import { money, percent } from '../src/console/format';
import { html } from '../src/console/html';
import { can, CONSOLE_ACTIONS, operatorForToken, type Role } from '../src/console/operators';
import { cumulate, paymentPoints } from '../src/console/recovery-curve';
import { hasOpenCallTask, promiseDue, rankQueue, type QueueItem } from '../src/console/work-queue';

/** The console's pure parts: roles, formatting, escaping, queue ranking, the recovery curve. */

describe('roles', () => {
  it.each<[Role, string[]]>([
    ['viewer', []],
    ['collector', ['pay', 'pause', 'resume', 'promise']],
    ['supervisor', ['pay', 'pause', 'resume', 'promise', 'settle', 'resolve-dispute', 'resolve-review']],
    ['admin', ['pay', 'pause', 'resume', 'promise', 'settle', 'resolve-dispute', 'resolve-review']],
  ])('%s may %j', (role, allowed) => {
    expect(CONSOLE_ACTIONS.filter((a) => can(role, a))).toEqual(allowed);
  });

  it('knows API_TOKEN as the admin operator and nothing else', () => {
    const lookup = operatorForToken({ API_TOKEN: 'a-token-of-sixteen-chars' });
    expect(lookup('a-token-of-sixteen-chars')).toEqual({ id: 'admin', role: 'admin' });
    expect(lookup('a-token-of-sixteen-charz')).toBeUndefined();
    expect(operatorForToken({ API_TOKEN: undefined })('')).toBeUndefined();
  });
});

const status: CaseStatus = {
  loanId: 'L-1', state: 'active', stage: 'phone', outstandingMinor: 1_234_567, paidMinor: 0, costMinor: 0, currency: 'CNY', amountDueMinor: 1_234_567,
};

describe('case page', () => {
  it('offers no action to a viewer and every applicable one to a supervisor', () => {
    const view = { status: { ...status, state: 'disputed' as const }, timeline: [{ at: '2026-11-28T10:00:00Z', kind: 'case_opened' as const, detail: '<b>opened</b>' }], temporalUiUrl: 'http://ui/namespaces/default' };
    const viewer = caseBody({ ...view, role: 'viewer' }).text;
    expect(viewer).not.toMatch(/<button|<form/);
    expect(viewer).toContain('&lt;b&gt;opened&lt;/b&gt;');
    const supervisor = caseBody({ ...view, role: 'supervisor' }).text;
    expect(supervisor.match(/data-testid="action-button"/g)).toHaveLength(5);
  });

  it('offers resolve review (retry, skip, close with a note) to a supervisor or admin of a case in needs_review, not to a collector', () => {
    const review = { cause: 'provider_failed', reason: 'litigation-1 (litigation filing) failed after the provider\'s retries', step: 'litigation-1', since: '2026-11-28T10:00:00Z' };
    const view = { status: { ...status, state: 'needs_review' as const, review }, timeline: [], temporalUiUrl: 'http://ui/namespaces/default' };
    expect(applicableActions(view.status)).toContain('resolve-review');
    expect(applicableActions({ ...status, state: 'disputed' })).not.toContain('resolve-review');
    for (const role of ['supervisor', 'admin'] as const) {
      const page = caseBody({ ...view, role }).text;
      const form = page.match(/<form[^>]*data-testid="action-resolve-review"[\s\S]*?<\/form>/)?.[0] ?? '';
      expect(form).toContain('action="/console/cases/L-1/actions/resolve-review"');
      expect([...form.matchAll(/<option value="(\w+)"/g)].map((m) => m[1])).toEqual(['retry', 'skip', 'close']);
      expect(form).toMatch(/<input name="note" required/);
      expect(page).toContain('litigation-1 (litigation filing) failed');
    }
    expect(caseBody({ ...view, role: 'collector' }).text).not.toContain('action-resolve-review');
    expect(caseBody({ ...view, role: 'viewer' }).text).not.toMatch(/<form/);
  });

  it('offers pause to an active case, resume to a paused one, nothing to a closed one', () => {
    expect(applicableActions(status)).toEqual(['pay', 'pause', 'promise', 'settle']);
    expect(applicableActions({ ...status, state: 'paused' })).toContain('resume');
    expect(applicableActions({ ...status, state: 'resolved', outcome: 'paid_in_full' })).toEqual([]);
  });
});

describe('formatting', () => {
  it.each([
    [1_234_567, 'CNY', 'CN¥12,345.67'],
    [1_234_567, 'JPY', '¥1,234,567'],
    [1_234_567, 'KWD', 'KWD 1,234.567'],
    [9_007_199_254_740_991, 'USD', '$90,071,992,547,409.91'],
  ])('%d minor units of %s read %s', (minor, currency, text) => {
    expect(money(minor, currency).replace(/\u00a0/g, ' ')).toBe(text);
  });

  it('shows rates as percentages with one decimal, n/a when undefined', () => {
    expect(percent(0.125)).toBe('12.5%');
    expect(percent(1)).toBe('100.0%');
    expect(percent(null)).toBe('n/a');
  });

  it('escapes every interpolation', () => {
    expect(html`<p title="${'"x"'}">${'<script>'}</p>`.text).toBe('<p title="&quot;x&quot;">&lt;script&gt;</p>');
  });
});

describe('work queue', () => {
  const item = (loanId: string, outstandingMinor: number, openedAt: string): QueueItem => ({ loanId, reasons: ['disputed'], outstandingMinor, openedAt });

  it('puts the largest first, then the oldest', () => {
    const ranked = rankQueue([item('small', 100, '2026-01-01T00:00:00Z'), item('big-new', 900, '2026-06-01T00:00:00Z'), item('big-old', 900, '2026-02-01T00:00:00Z')]);
    expect(ranked.map((i) => i.loanId)).toEqual(['big-old', 'big-new', 'small']);
  });

  it('sees a call task without an outcome, and a promise due today or earlier', () => {
    const e = (kind: TimelineKind) => ({ at: '2026-11-28T10:00:00Z', kind, detail: '' });
    expect(hasOpenCallTask([e('call_task_created')])).toBe(true);
    expect(hasOpenCallTask([e('call_task_created'), e('call_outcome')])).toBe(false);
    expect(hasOpenCallTask([e('call_task_created'), e('call_outcome'), e('call_task_created')])).toBe(true);
    const promise = (dueDate: string) => ({ promise: { amountMinor: 1, dueDate, graceUntil: '2026-12-01T00:00:00Z', paidTowardsMinor: 0, kind: 'promise' as const } });
    expect(promiseDue(promise('2026-11-28'), '2026-11-28')).toBe(true);
    expect(promiseDue(promise('2026-11-27T16:00:00+08:00'), '2026-11-28')).toBe(true);
    expect(promiseDue(promise('2026-11-29'), '2026-11-28')).toBe(false);
    expect(promiseDue({}, '2026-11-28')).toBe(false);
  });
});

describe('recovery curve', () => {
  it('places applied payments by days since opening and accumulates them', () => {
    const timeline: TimelineEvent[] = [
      { at: '2026-11-01T00:00:00Z', kind: 'case_opened', detail: '' },
      { at: '2026-11-03T09:00:00Z', kind: 'payment_received', detail: '', data: { amountMinor: 500, appliedMinor: 500, receivedAt: '2026-11-02T23:00:00Z' } },
      { at: '2026-11-10T09:00:00Z', kind: 'payment_received', detail: '', data: { amountMinor: 900, appliedMinor: 700 } },
      { at: '2026-11-11T09:00:00Z', kind: 'payment_duplicate', detail: '', data: { amountMinor: 900 } },
    ];
    const points = paymentPoints('2026-11-01T00:00:00Z', timeline);
    expect(points).toEqual([{ day: 1, amountMinor: 500 }, { day: 9, amountMinor: 700 }]);
    expect(cumulate([...points, { day: 1, amountMinor: 50 }])).toEqual({ days: [1, 9], cumulativeMinor: [550, 1250] });
  });
});

describe('chart data', () => {
  it('turns minor units into major ones per the currency and starts the curve at day 0', () => {
    const empty = { cases: 0, amountDueMinor: 0, recoveredMinor: 0, outstandingMinor: 0, costMinor: 0, paidInFull: 0, recoveryRate: 0.25, costEffectivenessRatio: null, cureRate: null };
    const report = {
      cases: 1, recoveryRate: null, costEffectivenessRatio: null, cureRate: null, promiseKeptRate: null, rightPartyContactRate: null, byStage: {}, byState: {},
      funnel: [{ stage: 'sms' as const, casesAtStage: 1, payingCases: 1, recoveredMinor: 12_345, share: 1 }],
      bySegment: { high_risk: empty }, byStrategy: { champion: { ...empty, recoveryRate: 0.1234 } },
    };
    const data = chartData(report, 'KWD', { days: [3, 7], cumulativeMinor: [1_000, 3_500] });
    expect(data.funnel).toEqual({ labels: ['sms'], cases: [1], recovered: [12.345] });
    expect(data.segments).toEqual({ labels: ['segment: high risk', 'arm: champion'], kinds: ['segment', 'strategy'], recoveryPercent: [25, 12.3] });
    expect(data.curve).toEqual({ days: [0, 3, 7], cumulative: [0, 1, 3.5] });
  });
});
