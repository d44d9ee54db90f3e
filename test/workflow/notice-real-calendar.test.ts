import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';
import type { TimelineEvent } from '../../src/shared/schemas';
import { createTimeSkippingEnv } from '../setup/time-skipping';
import { eventually } from '../support/eventually';
import { caseInput, DEFAULT_POLICY, deliveriesFor, quietTemporalRuntime, startHarness, type Harness } from '../support/harness';

/**
 * Notice before legal steps with the default (production) policy on the real calendar, on
 * the Java time-skipping test server: a case opened at DPD 400 gets its demand letter, then
 * its lawyer's letter 15 days later at the earliest, then litigation 30 days after that.
 */
let env: TestWorkflowEnvironment | undefined;
let h: Harness | undefined;

afterEach(async () => {
  await h?.stop();
  await env?.teardown();
  h = undefined;
  env = undefined;
});

describe('notice before legal steps on the real calendar (time skipping, default policy)', () => {
  it('a case opened at DPD 400: demand letter, then lawyer letter after 15 days, then litigation after 30 more', async () => {
    quietTemporalRuntime();
    env = await createTimeSkippingEnv();
    const types = { KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT } as const;
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, types[key.type as keyof typeof types]])),
    });
    h = await startHarness({ env, policyFiles: [DEFAULT_POLICY] });
    const zone = 'Asia/Shanghai';
    const today = DateTime.fromMillis(await env.currentTimeMs(), { zone });
    const input = caseInput({ overdueSince: today.minus({ days: 400 }).toISODate()! });
    await h.cases.open(input);

    // Days at a time: the server skips from timer to timer.
    for (let day = 0; day < 80; day += 5) await env.sleep('5 days');
    // The last step's activity may still be on its way (real HTTP): read until it is recorded.
    const cases = h.cases;
    const timeline = await eventually(() => cases.timeline(input.loanId), (t) => t.some((e) => e.kind === 'litigation_filed'), { timeoutMs: 20_000, intervalMs: 100, what: 'litigation filed' });
    const kinds = timeline.map((e) => `${e.at} ${e.kind}`).join(' | ');
    const toDebtor = (kind: string) => timeline.find((e) => e.kind === kind && (e.data?.recipient === undefined || e.data.recipient === 'debtor'));
    const letter = toDebtor('letter_sent');
    const lawyer = toDebtor('lawyer_letter_sent');
    const filed = toDebtor('litigation_filed');
    expect(letter, kinds).toBeDefined();
    expect(lawyer, kinds).toBeDefined();
    expect(filed, kinds).toBeDefined();
    expect(timeline.find((e) => e.kind === 'steps_skipped')?.detail).toMatch(/the case starts at demand_letter/);
    // Each legal step after its full notice period (and in business hours on a working day).
    const days = (from: TimelineEvent, to: TimelineEvent) => (Date.parse(to.at) - Date.parse(from.at)) / (24 * 3600 * 1000);
    expect(days(letter!, lawyer!)).toBeGreaterThanOrEqual(15);
    expect(days(lawyer!, filed!)).toBeGreaterThanOrEqual(30);
    expect(days(letter!, lawyer!)).toBeLessThan(19);
    expect(days(lawyer!, filed!)).toBeLessThan(34);
    // Nothing legal happened before the demand letter; the waits are on the timeline.
    expect(timeline.filter((e) => e.kind === 'notice_period').map((e) => e.data?.step)).toEqual(['lawyer_letter-1', 'litigation-1']);
    const paths = deliveriesFor(h.sandbox, input.loanId).filter((d) => !d.idempotencyKey.includes('-g')).map((d) => d.path);
    expect(paths).toEqual(['/v1/letters', '/v1/lawyer-letters', '/v1/litigations']);
  });
});
