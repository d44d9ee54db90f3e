import { describe, expect, it } from 'vitest';
import { judgePromise, nextPromiseCheck, openCase, promiseView, pruneContacts, record, stateOf, tally, TIMELINE_WINDOW, type CaseData, type PromiseRecord } from '../../src/domain/case-state';
import type { CaseInput } from '../../src/shared/schemas';

/** The case's state reducers, table by table: derived state, the timeline window, promise verdicts, the contact log. */

const DAY = 24 * 3600 * 1000;
const T0 = Date.parse('2026-11-10T00:00:00Z');
const iso = (t: number) => new Date(t).toISOString();
const input = { loanId: 'L-1', currency: 'CNY', amountDueMinor: 1_000_000 } as CaseInput;
const fresh = (tweak: (d: CaseData) => void = () => undefined) => {
  const d = openCase(input, iso(T0));
  tweak(d);
  return d;
};

describe('stateOf', () => {
  const review = { cause: 'provider_failed' as const, reason: 'r', step: 's', since: iso(T0) };
  const promise: PromiseRecord = { kind: 'promise', amountMinor: 1, dueDate: '2026-11-20', graceUntil: iso(T0), paidAtStart: 0 };
  it.each<[string, (d: CaseData) => void, string]>([
    ['a new case', () => undefined, 'active'],
    ['with a promise', (d) => (d.promise = promise), 'promised'],
    ['paused with a promise', (d) => ((d.promise = promise), (d.pause = { reason: 'x' })), 'paused'],
    ['disputed while paused', (d) => ((d.pause = { reason: 'x' }), (d.dispute = { reason: 'y' })), 'disputed'],
    ['in review while disputed', (d) => ((d.dispute = { reason: 'y' }), (d.review = review)), 'needs_review'],
    ['resolved, whatever else', (d) => ((d.review = review), (d.outcome = 'cancelled')), 'resolved'],
  ])('%s -> %s', (_what, tweak, state) => expect(stateOf(fresh(tweak))).toBe(state));
});

describe('record and tally', () => {
  it.each([
    ['a few events', 3],
    ['exactly the window', TIMELINE_WINDOW],
    ['past the window', TIMELINE_WINDOW + 50],
  ])('%s: the window keeps the latest, the counts keep everything', (_what, n) => {
    const d = fresh();
    for (let i = 0; i < n; i += 1) record(d, iso(T0 + i), i % 2 ? 'sms_sent' : 'call_outcome', `event ${i}`);
    expect(d.timeline).toHaveLength(Math.min(n, TIMELINE_WINDOW));
    expect(d.timeline.at(-1)?.detail).toBe(`event ${n - 1}`);
    expect(d.eventsRecorded).toBe(n);
    expect((d.timelineCounts?.sms_sent ?? 0) + (d.timelineCounts?.call_outcome ?? 0)).toBe(n);
  });

  it('tally counts without recording', () => {
    const d = fresh();
    tally(d, 'payment_duplicate');
    tally(d, 'payment_duplicate');
    expect(d).toMatchObject({ timeline: [], timelineCounts: { payment_duplicate: 2 } });
    expect(d.eventsRecorded).toBeUndefined();
  });
});

describe('judgePromise and nextPromiseCheck', () => {
  const promise = (over: Partial<PromiseRecord> = {}): PromiseRecord => ({ kind: 'promise', amountMinor: 100_000, dueDate: '2026-11-20', graceUntil: iso(T0 + 10 * DAY), paidAtStart: 0, ...over });
  const plan = promise({
    kind: 'plan',
    amountMinor: 300_000,
    graceUntil: iso(T0 + 30 * DAY),
    instalments: [
      { amountMinor: 100_000, dueDate: '2026-11-15', graceUntil: iso(T0 + 5 * DAY) },
      { amountMinor: 200_000, dueDate: '2026-12-10', graceUntil: iso(T0 + 30 * DAY) },
    ],
  });
  it.each<[string, PromiseRecord, number, number, string, number]>([
    ['nothing paid before the grace ends', promise(), 0, T0 + DAY, 'pending', T0 + 10 * DAY],
    ['paid in part when the grace ends', promise(), 50_000, T0 + 10 * DAY, 'broken', T0 + 10 * DAY],
    ['paid in full early', promise(), 100_000, T0 + DAY, 'kept', T0 + 10 * DAY],
    ['paid beyond what was promised since it was made', promise({ paidAtStart: 20_000 }), 120_000, T0 + DAY, 'kept', T0 + 10 * DAY],
    ['a plan before its first instalment', plan, 0, T0 + DAY, 'pending', T0 + 5 * DAY],
    ['a plan whose first instalment was missed', plan, 0, T0 + 5 * DAY, 'broken', T0 + 30 * DAY],
    ['a plan on track', plan, 100_000, T0 + 6 * DAY, 'pending', T0 + 30 * DAY],
    ['a plan paid off', plan, 300_000, T0 + 6 * DAY, 'kept', T0 + 30 * DAY],
  ])('%s -> %s', (_what, p, paid, now, verdict, next) => {
    const d = fresh((x) => ((x.promise = p), (x.paidMinor = paid), (x.outstandingMinor = 1_000_000 - paid)));
    expect(judgePromise(d, now)).toBe(verdict);
    expect(nextPromiseCheck(p, now)).toBe(next);
    expect(promiseView(d)).toMatchObject({ kind: p.kind, paidTowardsMinor: paid - p.paidAtStart });
  });

  it('calls a promise kept once nothing is outstanding, whatever was promised', () => {
    expect(judgePromise(fresh((x) => ((x.promise = promise({ amountMinor: 5_000_000 })), (x.outstandingMinor = 0))), T0)).toBe('kept');
  });
});

describe('pruneContacts', () => {
  it.each([
    ['today', 0, true],
    ['a week ago', 7, true],
    ['eight days ago (the edge)', 8, true],
    ['nine days ago', 9, false],
  ])('keeps a contact from %s: %s', (_what, daysAgo, kept) => {
    const contacts = [{ at: iso(T0 - daysAgo * DAY), channel: 'sms' as const, result: 'sent' as const }];
    expect(pruneContacts(contacts, T0)).toHaveLength(kept ? 1 : 0);
  });
});
