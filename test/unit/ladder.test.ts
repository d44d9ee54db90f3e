import { describe, expect, it } from 'vitest';
import { advance, initialProgress, nextDueStep, stageOf, type LadderProgress } from '../../src/domain/ladder';
import { isNoticeStep } from '../../src/domain/notice';
import type { LadderStep } from '../../src/policy/schema';

/** The escalation ladder, table by table: where a case starts, what is due next, and how it moves on. */

const DAY = 24 * 3600 * 1000;
const A = Date.parse('2026-11-01T00:00:00Z');
const iso = (t: number) => new Date(t).toISOString();
const step = (id: string, channel: LadderStep['channel'], at: string, more: Partial<LadderStep> = {}): LadderStep => ({ id, channel, at, copyGuarantors: false, ...more });

const LADDER: LadderStep[] = [
  step('sms', 'sms', '1 day', { repeatEvery: '3 days' }),
  step('call', 'call', '7 days', { repeatEvery: '1 day', maxRepeats: 2 }),
  step('demand_letter', 'letter', '15 days'),
  step('lawyer_letter', 'lawyer_letter', '30 days', { minGapAfterPrevious: '20 days' }),
  step('litigation', 'litigation', '60 days'),
];

describe('stageOf', () => {
  it.each([
    ['sms', 'sms'],
    ['call', 'phone'],
    ['letter', 'letter'],
    ['lawyer_letter', 'lawyer_letter'],
    ['litigation', 'litigation'],
    ['agency', 'agency'],
  ] as const)('%s -> %s', (channel, stage) => expect(stageOf(channel)).toBe(stage));
});

describe('initialProgress', () => {
  it.each([
    ['opened before the first step', A, 0, []],
    ['opened on DPD 1 (the first step due)', A + DAY, 0, []],
    ['opened on DPD 8 (calls due)', A + 8 * DAY, 1, ['sms']],
    ['opened on DPD 20 (demand letter due)', A + 20 * DAY, 2, ['sms', 'call']],
    ['opened on DPD 400', A + 400 * DAY, 4, ['sms', 'call', 'demand_letter', 'lawyer_letter']],
  ])('%s', (_what, openedAt, index, skipped) => {
    const { progress, skipped: passed } = initialProgress(LADDER, A, openedAt);
    expect(progress).toEqual({ index, occurrences: 0 });
    expect(passed.map((s) => s.id)).toEqual(skipped);
  });

  it.each([
    ['DPD 400 keeping notices starts at the demand letter', A + 400 * DAY, 2],
    ['DPD 8 keeping notices is unchanged', A + 8 * DAY, 1],
  ])('%s', (_what, openedAt, index) => {
    expect(initialProgress(LADDER, A, openedAt, { keepNotices: isNoticeStep }).progress.index).toBe(index);
  });
});

describe('nextDueStep', () => {
  it.each<[string, LadderProgress, { key: string; dueAt: number } | undefined]>([
    ['a new case: the first SMS', { index: 0, occurrences: 0 }, { key: 'sms-1', dueAt: A + DAY }],
    ['after one SMS: the repeat', { index: 0, occurrences: 1, lastAt: iso(A + DAY) }, { key: 'sms-2', dueAt: A + 4 * DAY }],
    ['an SMS repeat past the next step: the call', { index: 0, occurrences: 2, lastAt: iso(A + 4 * DAY) }, { key: 'call-1', dueAt: A + 7 * DAY }],
    ['calls up to maxRepeats', { index: 1, occurrences: 3, lastAt: iso(A + 9 * DAY) }, { key: 'demand_letter-1', dueAt: A + 15 * DAY }],
    ['a call repeat', { index: 1, occurrences: 1, lastAt: iso(A + 7 * DAY) }, { key: 'call-2', dueAt: A + 8 * DAY }],
    ['a minimum gap after the previous step', { index: 3, occurrences: 0, previousDoneAt: iso(A + 25 * DAY) }, { key: 'lawyer_letter-1', dueAt: A + 45 * DAY }],
    ['a gap already kept', { index: 3, occurrences: 0, previousDoneAt: iso(A + 5 * DAY) }, { key: 'lawyer_letter-1', dueAt: A + 30 * DAY }],
    ['a step without repeats moves on', { index: 2, occurrences: 1, lastAt: iso(A + 15 * DAY) }, { key: 'lawyer_letter-1', dueAt: A + 35 * DAY }],
    ['the last step done: exhausted', { index: 4, occurrences: 1, lastAt: iso(A + 60 * DAY) }, undefined],
  ])('%s', (_what, progress, expected) => {
    const due = nextDueStep(LADDER, progress, A);
    if (expected === undefined) expect(due).toBeUndefined();
    else expect(due).toMatchObject(expected);
  });
});

describe('advance', () => {
  it.each<[string, LadderProgress, number, LadderProgress]>([
    ['a repeat of the current step', { index: 0, occurrences: 1, lastAt: iso(A + DAY) }, 0, { index: 0, occurrences: 2, lastAt: iso(A + 10 * DAY) }],
    ['the next step', { index: 0, occurrences: 2, lastAt: iso(A + 4 * DAY) }, 1, { index: 1, occurrences: 1, lastAt: iso(A + 10 * DAY), previousDoneAt: iso(A + 4 * DAY) }],
    ['a step after one never carried out', { index: 2, occurrences: 0, previousDoneAt: iso(A + 9 * DAY) }, 3, { index: 3, occurrences: 1, lastAt: iso(A + 10 * DAY), previousDoneAt: iso(A + 9 * DAY) }],
  ])('%s', (_what, progress, index, expected) => {
    const due = { index, step: LADDER[index]!, occurrence: 1, dueAt: A, key: `${LADDER[index]!.id}-1` };
    expect(advance(progress, due, iso(A + 10 * DAY))).toEqual(expected);
  });
});
