import { describe, expect, it } from 'vitest';
import { classifyTimeline, escapeHtml, renderEvidenceHtml, type EvidencePack } from '../../src/client/evidence';
import { summarize, type CaseRow } from '../../src/client/reports';
import { assertWellFormedFilter, OPEN_CASE_SCOPE, scoped, stageStateFilter } from '../../src/client/visibility-query';
import type { TimelineEvent } from '../../src/shared/schemas';

const row = (overrides: Partial<CaseRow>): CaseRow => ({
  loanId: 'L',
  workflowId: 'collection-L',
  runId: 'r',
  status: 'RUNNING',
  startTime: '2026-11-01T00:00:00.000Z',
  currency: 'CNY',
  ...overrides,
});

describe('summarize', () => {
  it('computes the KPIs from search attributes and memo facts', () => {
    const report = summarize([
      row({ loanId: 'A', stage: 'phone', state: 'resolved', status: 'COMPLETED', outcome: 'paid_in_full', amountDueMinor: 100_000, recoveredMinor: 100_000, outstandingMinor: 0, costMinor: 2_000, segment: 'standard', strategy: 'champion', promisesKept: 1, promisesBroken: 1, rightPartyContact: true, recoveredByStage: { sms: 40_000, phone: 60_000 } }),
      row({ loanId: 'B', stage: 'letter', state: 'active', amountDueMinor: 300_000, recoveredMinor: 50_000, outstandingMinor: 250_000, costMinor: 3_000, segment: 'standard', strategy: 'challenger', promisesKept: 0, promisesBroken: 0, rightPartyContact: false, recoveredByStage: { letter: 50_000 } }),
      row({ loanId: 'C', stage: 'sms', state: 'active', amountDueMinor: 600_000, recoveredMinor: 0, outstandingMinor: 600_000, costMinor: 0, segment: 'corporate', strategy: 'champion' }),
    ]);
    expect(report.cases).toBe(3);
    expect(report.recoveryRate).toBeCloseTo(150_000 / 1_000_000, 12);
    expect(report.costEffectivenessRatio).toBeCloseTo(5_000 / 150_000, 12);
    expect(report.cureRate).toBeCloseTo(1 / 3, 12);
    expect(report.promiseKeptRate).toBe(0.5);
    expect(report.rightPartyContactRate).toBe(0.5); // C does not report the fact: not counted
    expect(report.byStage.phone).toMatchObject({ cases: 1, paidInFull: 1, recoveryRate: 1 });
    expect(report.byStage.lawyer_letter).toMatchObject({ cases: 0, recoveryRate: null }); // every stage is listed
    expect(report.byState.active).toMatchObject({ cases: 2, amountDueMinor: 900_000, recoveredMinor: 50_000 });
    expect(report.bySegment.corporate).toMatchObject({ cases: 1, costEffectivenessRatio: null });
    expect(report.byStrategy.challenger?.cases).toBe(1);
    expect(report.funnel.map((f) => [f.stage, f.recoveredMinor, f.payingCases])).toEqual([
      ['sms', 40_000, 1],
      ['phone', 60_000, 1],
      ['letter', 50_000, 1],
      ['lawyer_letter', 0, 0],
      ['litigation', 0, 0],
      ['agency', 0, 0],
    ]);
    expect(report.funnel.find((f) => f.stage === 'phone')?.share).toBeCloseTo(0.4, 12);
  });

  it('says "unknown" rather than zero when a figure cannot be computed', () => {
    const report = summarize([row({ stage: 'sms', state: 'active', amountDueMinor: 1_000, recoveredMinor: 500, costMinor: 10 })]);
    expect(report.promiseKeptRate).toBeNull();
    expect(report.rightPartyContactRate).toBeNull();
    expect(report.funnel.at(-1)).toEqual({ stage: 'unattributed', casesAtStage: 0, payingCases: 1, recoveredMinor: 500, share: 1 });
    const empty = summarize([]);
    expect(empty).toMatchObject({ cases: 0, recoveryRate: null, costEffectivenessRatio: null, cureRate: null });
  });

  it('counts a run that ended without an outcome under its execution status, and a case not yet planned as unknown', () => {
    const report = summarize([row({ status: 'TERMINATED', state: 'active', stage: 'sms', amountDueMinor: 5 }), row({ amountDueMinor: 7 })]);
    expect(report.byState.terminated?.cases).toBe(1);
    expect(report.byState.unknown?.cases).toBe(1);
    expect(report.byStage.unknown).toMatchObject({ cases: 1, outstandingMinor: 7 });
  });
});

describe('visibility queries', () => {
  it('scopes every filter to open collection cases', () => {
    expect(scoped(OPEN_CASE_SCOPE, "Segment = 'corporate'")).toBe("WorkflowType = 'collectionCase' AND ExecutionStatus = 'Running' AND (Segment = 'corporate')");
    expect(scoped(OPEN_CASE_SCOPE, '  ')).toBe(OPEN_CASE_SCOPE);
  });

  it('refuses filters that would escape their parentheses', () => {
    expect(() => assertWellFormedFilter("x = 'a') OR (WorkflowType != ''")).toThrow(/closes a parenthesis/);
    expect(() => assertWellFormedFilter('(a = 1')).toThrow(/unclosed parenthesis/);
    expect(() => assertWellFormedFilter("a = 'b")).toThrow(/unclosed quoted string/);
    expect(() => assertWellFormedFilter("LoanId IN ('a)', 'b') AND (x = 1)")).not.toThrow();
  });

  it('builds stage and state filters from the enums only', () => {
    expect(stageStateFilter({ stage: 'lawyer_letter', state: 'active' })).toBe("CollectionStage = 'lawyer_letter' AND CollectionState = 'active'");
    expect(stageStateFilter({})).toBeUndefined();
    expect(() => stageStateFilter({ stage: "sms' OR 'a" })).toThrow(/unknown stage/);
  });
});

describe('evidence pack', () => {
  const at = '2026-11-28T02:00:00.000Z';
  const timeline: TimelineEvent[] = [
    { at, kind: 'case_opened', detail: 'Case opened' },
    { at, kind: 'contact_deferred', detail: 'sms-1 deferred: quiet hours', data: { step: 'sms-1', rule: 'contact_window', until: '2026-11-28T00:00:00.000Z' } },
    { at, kind: 'sms_sent', detail: 'SMS sms-1 sent', data: { step: 'sms-1', providerRef: 'sms_1', channel: 'sms' } },
    { at, kind: 'call_task_created', detail: 'Call call-1', data: { step: 'call-1', providerRef: 'call_1', channel: 'call' } },
    { at, kind: 'call_outcome', detail: 'Call call_1 outcome: promise', data: { outcome: 'promise', taskId: 'call_1' } },
    { at, kind: 'promise_made', detail: 'Promise to pay', data: { amountMinor: 100 } },
    { at, kind: 'letter_sent', detail: 'Demand letter to the guarantor', data: { step: 'demand_letter-1-g1', providerRef: 'ltr_1', channel: 'letter', recipient: 'guarantor' } },
    { at, kind: 'contact_refresh_requested', detail: 'Debtor phone not valid', data: { contact: 'phone' } },
    { at, kind: 'payment_received', detail: 'Payment P-1', data: { paymentId: 'P-1', amountMinor: 100, receivedAt: at } },
    { at, kind: 'payment_duplicate', detail: 'P-1 again', data: { paymentId: 'P-1' } },
    { at, kind: 'dispute_raised', detail: 'Dispute' },
    { at, kind: 'litigation_filed', detail: 'Filed', data: { providerRef: 'CASE-1' } },
  ];

  it('sorts the timeline into contact attempts (with call outcomes), letters, payments, promises, disputes and deferrals', () => {
    const sections = classifyTimeline(timeline);
    expect(sections.contactAttempts.map((c) => [c.channel, c.providerRef, c.outcome])).toEqual([
      ['sms', 'sms_1', 'sent'],
      ['call', 'call_1', 'promise'],
      ['letter', 'ltr_1', 'sent'],
      ['sms/call', undefined, 'invalid contact'],
    ]);
    expect(sections.letters).toEqual([expect.objectContaining({ providerRef: 'ltr_1', recipient: 'guarantor' })]);
    expect(sections.deferrals).toEqual([{ at, step: 'sms-1', rule: 'contact_window', until: '2026-11-28T00:00:00.000Z', detail: 'sms-1 deferred: quiet hours' }]);
    expect(sections.payments.map((p) => p.result)).toEqual(['received', 'duplicate']);
    expect(sections.promises.map((p) => p.kind)).toEqual(['promise_made']);
    expect(sections.disputes).toHaveLength(1);
    expect(sections.legal.map((e) => e.kind)).toEqual(['litigation_filed']);
    expect(sections.caseHandling.map((e) => e.kind)).toEqual(['case_opened']);
  });

  it('renders a self-contained document with every value escaped', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const pack: EvidencePack = {
      generatedAt: at,
      exportedBy: 'zhang.min',
      loanId: 'L-1',
      workflowId: 'collection-L-1',
      runId: 'r',
      firstRunId: 'r',
      executionStatus: 'RUNNING',
      openedAt: at,
      loan: { loanId: 'L-1', product: 'personal_loan', reason: 'overdue', currency: 'CNY', amountDueMinor: 123_456, overdueSince: '2026-11-01' },
      debtor: { id: 'C-1', type: 'individual', name: '<img src=x onerror=alert(1)>', timezone: 'Asia/Shanghai' },
      guarantors: [],
      status: { loanId: 'L-1', state: 'active', stage: 'sms', outstandingMinor: 123_356, paidMinor: 100, costMinor: 5, currency: 'CNY', amountDueMinor: 123_456 },
      ...classifyTimeline(timeline),
      timeline,
    };
    const html = renderEvidenceHtml(pack);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
    expect(html).not.toMatch(/<script|<link|https?:\/\//);
    expect(html).toContain('1234.56 CNY');
    expect(html).toContain('2026-11-28 10:00:00 GMT+8'); // debtor's local time
    expect(html).toContain('contact window');
    expect(html).toContain('by zhang.min');
  });
});
