import { msToNumber } from '@temporalio/common/lib/time';
import type { Channel, LadderStep, Policy } from '../policy/schema';

/**
 * Notice before legal action (spec section 9). A lawyer's letter goes out only after a
 * demand letter to the debtor was delivered at least `noticeBeforeLawyerLetter` earlier;
 * litigation is filed only after a lawyer's letter to the debtor was delivered at least
 * `noticeBeforeLitigation` earlier. Pure functions over plain JSON.
 */

/** When each notice was delivered to the debtor (ISO-8601); kept in the case's state. */
export interface NoticesGiven {
  demandLetterAt?: string;
  lawyerLetterAt?: string;
}

export type LegalNotice = Policy['legal'];

/** What a step needs before it may go out. */
export type NoticeVerdict =
  | { kind: 'clear' }
  /** The notice was given; its period runs until `until` (epoch ms). */
  | { kind: 'wait'; until: number; reason: string }
  /** No notice was delivered to the debtor: a person must look at the case. */
  | { kind: 'missing'; reason: string };

const ms = (duration: string): number => msToNumber(duration as never);

const NOTICES: Partial<Record<Channel, { given: keyof NoticesGiven; period: keyof LegalNotice; notice: string; step: string }>> = {
  lawyer_letter: { given: 'demandLetterAt', period: 'noticeBeforeLawyerLetter', notice: 'demand letter', step: "lawyer's letter" },
  litigation: { given: 'lawyerLetterAt', period: 'noticeBeforeLitigation', notice: "lawyer's letter", step: 'litigation' },
};

/** Whether a legal step may go out at `now`. Steps that need no notice are always clear. */
export function checkNotice(channel: Channel, notices: NoticesGiven, legal: LegalNotice, now: number): NoticeVerdict {
  const rule = NOTICES[channel];
  if (!rule) return { kind: 'clear' };
  const period = legal[rule.period];
  const givenAt = notices[rule.given];
  if (givenAt === undefined) {
    return { kind: 'missing', reason: `no ${rule.notice} was delivered to the debtor, and ${rule.step} needs one at least ${period} before (${rule.period})` };
  }
  const until = Date.parse(givenAt) + ms(period);
  if (until <= now) return { kind: 'clear' };
  return { kind: 'wait', until, reason: `${rule.step} waits for its notice period: ${rule.notice} delivered to the debtor at ${givenAt}, ${period} of notice run until ${new Date(until).toISOString()}` };
}

/** Records a delivery to the debtor that counts as notice (a demand letter or a lawyer's letter). */
export function noteNoticeGiven(notices: NoticesGiven, channel: Channel, at: string): NoticesGiven {
  if (channel === 'letter') return { ...notices, demandLetterAt: at };
  if (channel === 'lawyer_letter') return { ...notices, lawyerLetterAt: at };
  return notices;
}

/** Steps that give notice: a case opened late never passes over them. */
export function isNoticeStep(step: LadderStep): boolean {
  return step.channel === 'letter' || step.channel === 'lawyer_letter';
}
