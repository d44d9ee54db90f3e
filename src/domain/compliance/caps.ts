import { msToNumber } from '@temporalio/common/lib/time';
import { addDays, DAY_MS } from './clock';
import { describeDay, windowStartOfDay } from './contact-window';
import { ComplianceError } from './errors';
import type { LoggedContact, Rule, RuleContext, Violation } from './rules';

/**
 * Frequency caps over the contact log. Only the caps set in the profile apply. "A day"
 * is the debtor's local calendar day; a daily cap that is reached defers the contact to
 * the contact-window start of the next local day. Entries count wherever they fall in
 * that day (also after the instant asked about), so adding the contact never breaks a cap.
 */

const WEEK_MS = 7 * DAY_MS;

/** "+86 138-0013-8000" and "+8613800138000" are the same number. */
export function normaliseNumber(number: string): string {
  return number.replace(/[\s\-().]/g, '');
}

function isUnanswered(entry: LoggedContact): boolean {
  return entry.channel === 'call' && (entry.result === 'no_answer' || entry.result === 'attempt');
}

function isConversation(entry: LoggedContact): boolean {
  return entry.channel === 'call' && entry.result === 'conversation';
}

function dailyCap(
  ctx: RuleContext,
  cap: number,
  rule: Violation['rule'],
  counts: (entry: LoggedContact) => boolean,
  describe: (count: number, date: string) => string,
): Rule {
  const { clock, window } = ctx;
  const relevant = ctx.contacts.filter(counts);
  return (at) => {
    const date = clock.dateOf(at);
    let count = 0;
    for (const entry of relevant) if (entry.date === date) count += 1;
    if (count < cap) return null;
    const until = windowStartOfDay(clock, addDays(date, 1), window);
    return { rule, until, detail: `${describe(count, date)}; deferred to ${clock.formatTime(until)} ${describeDay(clock, at, until)}` };
  };
}

/** At most `cap` effective voice conversations with the debtor per local day (CN: 3). */
export function conversationCapRule(ctx: RuleContext, cap: number): Rule {
  return dailyCap(ctx, cap, 'conversation_cap', isConversation, (count, date) => `${count} conversation${count === 1 ? '' : 's'} with the debtor already on ${date} (cap ${cap} a day)`);
}

/**
 * At most `cap` unanswered attempts (no answer, or outcome still pending) per number per
 * local day (CN: 6). Without a number in the request, every unanswered attempt counts.
 */
export function unansweredCapRule(ctx: RuleContext, cap: number): Rule {
  const number = ctx.number;
  const counts = (entry: LoggedContact): boolean => isUnanswered(entry) && (number === undefined || entry.number === number);
  const whose = number === undefined ? 'the debtor' : 'this number';
  return dailyCap(ctx, cap, 'unanswered_cap', counts, (count, date) => `${count} unanswered call attempt${count === 1 ? '' : 's'} to ${whose} on ${date} (cap ${cap} a day per number)`);
}

/** At most `cap` SMS to the debtor per local day. */
export function smsCapRule(ctx: RuleContext, cap: number): Rule {
  return dailyCap(ctx, cap, 'sms_cap', (entry) => entry.channel === 'sms', (count, date) => `${count} SMS already sent to the debtor on ${date} (cap ${cap} a day)`);
}

/**
 * No call until `quietPeriod` after a conversation (US Reg F: 7 days). A conversation at
 * `c` blocks calls in [c, c + quietPeriod).
 */
export function quietPeriodRule(ctx: RuleContext, quietPeriod: string): Rule {
  const { clock } = ctx;
  const quietMs = parseDuration(quietPeriod, 'caps.quietPeriodAfterConversation');
  const conversations = ctx.contacts.filter(isConversation).map((entry) => entry.at);
  return (at) => {
    let latest: number | undefined;
    for (const conversation of conversations) {
      if (conversation <= at && at < conversation + quietMs && (latest === undefined || conversation > latest)) latest = conversation;
    }
    if (latest === undefined) return null;
    const until = latest + quietMs;
    return {
      rule: 'quiet_period',
      until,
      detail: `a conversation with the debtor took place at ${clock.formatLocal(latest)} ${clock.timezone}; no calls for ${quietPeriod} after a conversation, deferred to ${clock.formatLocal(until)}`,
    };
  };
}

/**
 * At most `cap` call attempts (any result) in any 7 × 24 h (US Reg F: 7 in 7 days).
 *
 * A new call at `x` is allowed when every 7-day window [a, a + 7d) that contains `x`
 * holds fewer than `cap` logged calls. With a log of past calls only, that is "fewer than
 * `cap` calls in the last 7 days", and a blocked call waits until the oldest of them is
 * 7 days old (it ages out at exactly its time + 7 days). Calls logged after `x` are
 * counted too, so the answer stays correct whatever the log holds.
 */
export function weeklyCallCapRule(ctx: RuleContext, cap: number): Rule {
  const { clock } = ctx;
  const calls = ctx.contacts
    .filter((entry) => entry.channel === 'call')
    .map((entry) => entry.at)
    .sort((a, b) => a - b);

  const countIn = (from: number): number => {
    let count = 0;
    for (const call of calls) if (call >= from && call < from + WEEK_MS) count += 1;
    return count;
  };
  /** Most logged calls in any 7-day window containing `x` (windows start in (x - 7d, x]). */
  const busiestWindow = (x: number): number => {
    let most = countIn(x - WEEK_MS + 1);
    for (const call of calls) if (call >= x && call < x + WEEK_MS) most = Math.max(most, countIn(call - WEEK_MS + 1));
    return most;
  };
  const allowed = (x: number): boolean => busiestWindow(x) < cap;

  return (at) => {
    if (allowed(at)) return null;
    // Allowed-ness only returns when a call ages out, at (call + 7 days).
    for (const call of calls) {
      const until = call + WEEK_MS;
      if (until <= at || !allowed(until)) continue;
      const lastWeek = calls.filter((c) => c > at - WEEK_MS && c <= at).length;
      return {
        rule: 'weekly_call_cap',
        until,
        detail: `${lastWeek} call attempt${lastWeek === 1 ? '' : 's'} in the 7 days up to ${clock.formatLocal(at)} ${clock.timezone} (cap ${cap} in any 7 days); deferred until the attempt of ${clock.formatLocal(call)} is 7 days old, ${clock.formatLocal(until)}`,
      };
    }
    /* c8 ignore next */
    throw new ComplianceError('NO_ALLOWED_INSTANT', `the weekly call cap of ${cap} never clears`);
  };
}

function parseDuration(text: string, what: string): number {
  let value: number;
  try {
    value = msToNumber(text as never);
  } catch {
    value = Number.NaN;
  }
  if (!(value >= 0)) throw new ComplianceError('INVALID_DURATION', `${what} must be a duration such as "7 days" or "36h", got ${JSON.stringify(text)}`);
  return value;
}
