import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeOverdueSince } from '../../src/domain/admission';
import { applyPayment, checkPayment, openCase, pruneContacts, record, stateOf, TIMELINE_WINDOW, type CaseData } from '../../src/domain/case-state';
import { initialProgress, nextDueStep } from '../../src/domain/ladder';
import { checkNotice, isNoticeStep, noteNoticeGiven } from '../../src/domain/notice';
import { planCase } from '../../src/domain/plan-case';
import { describeDecision, reviewOutcome, type ReviewRecord } from '../../src/domain/review';
import { loadPolicyFile } from '../../src/policy/load';
import { rowToCaseInput } from '../../src/client/intake';
import { addMinor, currencyDecimals, MoneyOverflowError, parseMajorUnits } from '../../src/shared/money';
import type { CaseInput } from '../../src/shared/schemas';

const POLICIES = path.resolve(__dirname, '../../policies');
const policy = loadPolicyFile(path.join(POLICIES, 'default.yaml'));
const DAY = 24 * 3600 * 1000;

describe('notice before legal steps (checkNotice)', () => {
  const legal = { noticeBeforeLawyerLetter: '15 days', noticeBeforeLitigation: '30 days' };
  const t0 = Date.parse('2026-01-01T02:00:00Z');
  const cases: Array<[string, Parameters<typeof checkNotice>[0], Parameters<typeof checkNotice>[1], number, string]> = [
    ['reminders need no notice', 'sms', {}, t0, 'clear'],
    ['a demand letter needs no notice', 'letter', {}, t0, 'clear'],
    ['lawyer letter without a demand letter', 'lawyer_letter', {}, t0, 'missing'],
    ['lawyer letter 14 days after the demand letter', 'lawyer_letter', { demandLetterAt: new Date(t0).toISOString() }, t0 + 14 * DAY, 'wait'],
    ['lawyer letter 15 days after the demand letter', 'lawyer_letter', { demandLetterAt: new Date(t0).toISOString() }, t0 + 15 * DAY, 'clear'],
    ['litigation without a lawyer letter', 'litigation', { demandLetterAt: new Date(t0).toISOString() }, t0 + 400 * DAY, 'missing'],
    ['litigation 29 days after the lawyer letter', 'litigation', { lawyerLetterAt: new Date(t0).toISOString() }, t0 + 29 * DAY, 'wait'],
    ['litigation 30 days after the lawyer letter', 'litigation', { lawyerLetterAt: new Date(t0).toISOString() }, t0 + 30 * DAY, 'clear'],
    ['agency placement needs no notice', 'agency', {}, t0, 'clear'],
  ];
  it.each(cases)('%s', (_name, channel, notices, now, kind) => {
    expect(checkNotice(channel, notices, legal, now).kind).toBe(kind);
  });

  it('says until when and why a step waits', () => {
    const verdict = checkNotice('lawyer_letter', { demandLetterAt: '2026-01-01T02:00:00.000Z' }, legal, t0 + DAY);
    expect(verdict).toEqual({ kind: 'wait', until: t0 + 15 * DAY, reason: expect.stringMatching(/demand letter delivered .*15 days of notice run until 2026-01-16T02:00:00.000Z/) });
  });

  it('records deliveries that count as notice', () => {
    expect(noteNoticeGiven({}, 'letter', 'A')).toEqual({ demandLetterAt: 'A' });
    expect(noteNoticeGiven({ demandLetterAt: 'A' }, 'lawyer_letter', 'B')).toEqual({ demandLetterAt: 'A', lawyerLetterAt: 'B' });
    expect(noteNoticeGiven({}, 'sms', 'A')).toEqual({});
  });
});

describe('a case opened late passes over reminders, never a notice (initialProgress)', () => {
  const ladder = policy.ladders.standard!.steps;
  const anchor = Date.parse('2025-01-01T00:00:00+08:00');
  const table: Array<[number, string, string[]]> = [
    [0, 'sms', []],
    [8, 'call', ['sms']],
    [20, 'demand_letter', ['sms', 'call']],
    [45, 'demand_letter', ['sms', 'call']],
    [400, 'demand_letter', ['sms', 'call']],
  ];
  it.each(table)('opened at DPD %i starts at %s', (dpd, start, skipped) => {
    const { progress, skipped: passed } = initialProgress(ladder, anchor, anchor + dpd * DAY, { keepNotices: isNoticeStep });
    expect(ladder[progress.index]!.id).toBe(start);
    expect(passed.map((s) => s.id)).toEqual(skipped);
  });

  it('without notices kept (older cases), DPD 400 went straight to litigation', () => {
    const { progress } = initialProgress(ladder, anchor, anchor + 400 * DAY);
    expect(ladder[progress.index]!.id).toBe('litigation');
  });

  it('after the demand letter, the lawyer letter and litigation are due at once on the ladder (the notice decides)', () => {
    const { progress } = initialProgress(ladder, anchor, anchor + 400 * DAY, { keepNotices: isNoticeStep });
    const first = nextDueStep(ladder, progress, anchor)!;
    expect(first.key).toBe('demand_letter-1');
  });
});

describe('plausible dates (judgeOverdueSince)', () => {
  // 2026-11-28 23:30 in Shanghai is still 2026-11-28 15:30 UTC.
  const now = Date.parse('2026-11-28T15:30:00Z');
  const table: Array<[string, string, boolean]> = [
    ['2026-11-28', 'Asia/Shanghai', true],
    ['2026-11-29', 'Asia/Shanghai', false],
    ['2026-11-29', 'Pacific/Kiritimati', true], // already the 29th there
    ['2016-12-01', 'Asia/Shanghai', true], // 3649 days
    ['2016-11-30', 'Asia/Shanghai', true], // 3650 days
    ['2016-11-29', 'Asia/Shanghai', false], // 3651 days
    ['2020-01-01', 'Asia/Shanghai', true],
    ['1999-01-01', 'Asia/Shanghai', false],
  ];
  it.each(table)('%s in %s is plausible: %s', (date, zone, ok) => {
    expect(judgeOverdueSince(date, zone, '3650 days', now) === undefined).toBe(ok);
  });

  it('names the limit it applied', () => {
    expect(judgeOverdueSince('2030-01-01', 'Asia/Shanghai', '3650 days', now)?.message).toBe('overdueSince 2030-01-01 is later than today (2026-11-28 in Asia/Shanghai)');
    expect(judgeOverdueSince('2001-01-01', 'Asia/Shanghai', '3650 days', now)?.message).toMatch(/older than the policy allows \(maxOverdueAge 3650 days: not before 2016-11-30\)/);
  });
});

describe('reviews (reviewOutcome)', () => {
  const review: ReviewRecord = { cause: 'provider_failed', reason: 'down', step: 'litigation-1', since: '2026-01-01T00:00:00Z' };
  it.each([
    ['retry', { kind: 'retry' }],
    ['skip', { kind: 'skip', step: 'litigation-1' }],
    ['close', { kind: 'close' }],
  ] as const)('%s', (action, outcome) => {
    const decided = { ...review, decision: { action, note: 'checked with the law firm', actor: 'sup-1' } };
    expect(reviewOutcome(decided)).toEqual(outcome);
    expect(describeDecision(decided)).toMatch(new RegExp(`by sup-1 \\(${action}\\).*note: checked with the law firm`));
  });

  it('undecided: the case waits', () => {
    expect(reviewOutcome(review)).toBeUndefined();
  });

  it('a case in review is in state needs_review until resolved', () => {
    const data = openCase(input(), '2026-01-01T00:00:00Z');
    data.review = review;
    expect(stateOf(data)).toBe('needs_review');
    data.outcome = 'cancelled';
    expect(stateOf(data)).toBe('resolved');
  });
});

describe('money: ISO 4217 minor units, not the runtime locale data', () => {
  it.each([
    ['JPY', 0],
    ['CNY', 2],
    ['HUF', 2],
    ['IDR', 2],
    ['KWD', 3],
    ['BHD', 3],
    ['CLF', 4],
  ])('%s has %i decimals', (code, digits) => {
    expect(currencyDecimals(code)).toBe(digits);
  });

  it('IDR 1234.56 is 123456 minor units and HUF 100.50 is 10050', () => {
    expect(parseMajorUnits('1234.56', 'IDR')).toBe(123_456);
    expect(parseMajorUnits('100.50', 'HUF')).toBe(10_050);
  });

  it('imports IDR and HUF rows of an intake file exactly', () => {
    const row = { loanId: 'L-IDR', product: 'personal_loan', reason: 'overdue', debtorId: 'D', debtorType: 'individual', debtorName: 'N', timezone: 'Asia/Jakarta', overdueSince: '2026-11-01' };
    expect(rowToCaseInput({ ...row, currency: 'IDR', amountDue: '1234.56' })).toMatchObject({ ok: true, input: { amountDueMinor: 123_456 } });
    expect(rowToCaseInput({ ...row, currency: 'HUF', amountDue: '100.50' })).toMatchObject({ ok: true, input: { amountDueMinor: 10_050 } });
  });

  it('refuses sums past Number.MAX_SAFE_INTEGER', () => {
    expect(addMinor(Number.MAX_SAFE_INTEGER - 1, 1)).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => addMinor(Number.MAX_SAFE_INTEGER, 1)).toThrow(MoneyOverflowError);
    const data = openCase(input(), '2026-01-01T00:00:00Z');
    applyPayment(data, { paymentId: 'P1', amountMinor: Number.MAX_SAFE_INTEGER - 10, currency: 'CNY', receivedAt: '2026-01-02T00:00:00Z' }, 0);
    expect(checkPayment(data, { paymentId: 'P2', amountMinor: 11, currency: 'CNY', receivedAt: '2026-01-02T00:00:00Z' })).toMatchObject({ ok: false, kind: 'too_large' });
  });
});

describe('bounded state (spec section 9: under 256 KiB)', () => {
  it('3 years of daily reminders and 10,000 duplicate deliveries keep the case state under 256 KiB', () => {
    const openedAt = '2023-01-01T02:00:00.000Z';
    const data: CaseData = openCase(input(), openedAt);
    data.plan = planCase(policy, data.input, openedAt);
    const start = Date.parse(openedAt);
    // Three years of reminders, each recorded as the workflow records them.
    for (let day = 0; day < 3 * 365; day += 1) {
      const at = new Date(start + day * DAY).toISOString();
      data.contacts.push({ at, channel: 'sms', number: '+8613800138000', result: 'sent' });
      data.contacts = pruneContacts(data.contacts, Date.parse(at));
      record(data, at, 'sms_sent', `SMS reminder sms-${day + 1} sent to +86138****8000 (msg-${'x'.repeat(24)}-${day})`, { step: `sms-${day + 1}`, providerRef: `msg-${day}`, channel: 'sms' });
    }
    // One payment, then the same payment delivered 10,000 times.
    const payment = { paymentId: 'PSP-2026-000000000001', amountMinor: 1_000, currency: 'CNY', receivedAt: '2026-01-01T00:00:00Z' };
    applyPayment(data, payment, 0);
    for (let i = 0; i < 10_000; i += 1) {
      const check = checkPayment(data, payment);
      expect(check).toMatchObject({ ok: false, kind: 'duplicate' });
      if (!check.ok) record(data, '2026-01-01T00:00:01.000Z', 'payment_duplicate', check.reason, { paymentId: payment.paymentId });
    }
    const bytes = Buffer.byteLength(JSON.stringify(data));
    process.stdout.write(`[bounded state] case state after 3 years of reminders + 10,000 duplicates: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB), timeline window ${data.timeline.length}\n`);
    expect(bytes).toBeLessThan(256 * 1024);
    expect(data.timeline).toHaveLength(TIMELINE_WINDOW);
    expect(data.timelineCounts).toEqual({ sms_sent: 3 * 365, payment_duplicate: 10_000 });
    expect(data.timeline.at(-1)?.kind).toBe('payment_duplicate');
  });
});

function input(): CaseInput {
  return {
    loanId: 'L-SAFE-1',
    product: 'personal_loan',
    reason: 'overdue',
    debtor: { id: 'D-1', type: 'individual', name: 'Wang Fang', phone: '+8613800138000', timezone: 'Asia/Shanghai' },
    currency: 'CNY',
    amountDueMinor: 8_000_000,
    overdueSince: '2026-11-01',
  };
}
