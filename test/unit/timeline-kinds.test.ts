import { describe, expect, it } from 'vitest';
import { classifyTimeline } from '../../src/client/evidence';
import { hasOpenCallTask } from '../../src/console/work-queue';
import { TimelineEvent } from '../../src/shared/schemas';
import { isTimelineKind, TIMELINE_KINDS, type TimelineKind } from '../../src/shared/timeline';

/** The timeline's one vocabulary: readers match on typed kinds (a typo fails `npm run typecheck`), and the boundary refuses unknown ones. */

describe('timeline kinds', () => {
  it('a misspelt kind is a type error wherever a reader compares it', () => {
    const e: TimelineEvent = { at: '2026-11-28T10:00:00Z', kind: 'payment_received', detail: '' };
    // @ts-expect-error -- 'payment_recieved' is not a TimelineKind
    const typo = e.kind === 'payment_recieved';
    // @ts-expect-error -- nor can a reader build an event with it
    const built: TimelineEvent = { at: e.at, kind: 'call_task_creatd', detail: '' };
    expect([typo, built.kind]).toEqual([false, 'call_task_creatd']);
  });

  it.each<[unknown, boolean]>([
    ['payment_received', true],
    ['resolved', true],
    ['payment_recieved', false],
    ['', false],
  ])('the schema accepts %j: %s', (kind, ok) => {
    expect(TimelineEvent.safeParse({ at: '2026-11-28T10:00:00Z', kind, detail: '' }).success).toBe(ok);
    expect(typeof kind === 'string' && isTimelineKind(kind)).toBe(ok);
  });

  it('every kind is spelt once', () => expect(new Set(TIMELINE_KINDS).size).toBe(TIMELINE_KINDS.length));

  it.each<[TimelineKind, keyof ReturnType<typeof classifyTimeline>]>([
    ['sms_sent', 'contactAttempts'],
    ['lawyer_letter_sent', 'letters'],
    ['agency_placed', 'legal'],
    ['payment_duplicate', 'payments'],
    ['settlement_paid', 'promises'],
    ['dispute_raised', 'disputes'],
    ['contact_deferred', 'deferrals'],
    ['steps_skipped', 'skipped'],
    ['segment_assigned', 'caseHandling'],
  ])('the evidence pack files %s under %s', (kind, section) => {
    const sections = classifyTimeline([{ at: '2026-11-28T10:00:00Z', kind, detail: '' }]);
    expect(sections[section]).toHaveLength(1);
  });

  it('the work queue reads call kinds', () => {
    const e = (kind: TimelineKind): TimelineEvent => ({ at: '2026-11-28T10:00:00Z', kind, detail: '' });
    expect(hasOpenCallTask([e('call_task_created'), e('call_outcome')])).toBe(false);
  });
});
