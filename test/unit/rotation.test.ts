import { describe, expect, it } from 'vitest';
import { stableHash32 } from '../../src/domain/experiment';
import { assigneeAt } from '../../src/domain/rotation';

/** Collector rotation: a stable first collector per loan, the next on the roster every `rotateEvery`. */

const DAY = 24 * 3600 * 1000;
const calls = { roster: ['c-1', 'c-2', 'c-3'], rotateEvery: '30 days' } as Parameters<typeof assigneeAt>[0];
const T0 = Date.parse('2026-11-01T00:00:00Z');
const first = (loanId: string) => stableHash32(loanId) % 3;

describe('assigneeAt', () => {
  it.each([
    ['at opening', 0, 0],
    ['a day later', 1, 0],
    ['just before the rotation', 29.99, 0],
    ['at the rotation', 30, 1],
    ['two rotations later', 60, 2],
    ['back to the first after a full round', 90, 0],
    ['before the opening (clock skew): no negative period', -5, 0],
  ])('%s', (_what, days, shift) => {
    for (const loanId of ['L-1', 'L-2', 'DEMO-CC-0002']) {
      expect(assigneeAt(calls, loanId, T0, T0 + days * DAY)).toBe(calls.roster[(first(loanId) + shift) % 3]);
    }
  });

  it('spreads loans over the roster', () => {
    const assigned = new Set(Array.from({ length: 60 }, (_, i) => assigneeAt(calls, `L-${i}`, T0, T0)));
    expect(assigned).toEqual(new Set(calls.roster));
  });
});
