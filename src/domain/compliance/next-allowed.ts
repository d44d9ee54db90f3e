import type { ContactDecision, ContactRequest, Deferral } from '../types';
import { conversationCapRule, normaliseNumber, quietPeriodRule, smsCapRule, unansweredCapRule, weeklyCallCapRule } from './caps';
import { DAY_MS, LocalClock, parseInstant } from './clock';
import { parseWindow } from './contact-window';
import { ComplianceError } from './errors';
import {
  businessHoursRule,
  CHANNEL_LABELS,
  contactWindowRule,
  holidayRule,
  type LoggedContact,
  MAX_SEARCH_DAYS,
  type Rule,
  type RuleContext,
  workingDayRule,
} from './rules';

/** A safety net on top of the 400-day bound: no realistic request needs this many deferrals. */
const MAX_DEFERRALS = 5_000;

/**
 * The earliest instant at or after `req.notBefore` at which the contact is allowed, and
 * every deferral applied on the way, in order.
 *
 * - Calls and SMS: public holiday (behaviour "reduced"), then the contact window (debtor
 *   local time, start inclusive, end exclusive), then the caps the profile sets
 *   (calls: quiet period, weekly attempts, daily conversations, daily unanswered attempts
 *   per number; SMS: daily SMS).
 * - Letters, lawyer's letters, litigation, agency placement: with
 *   `lettersOnWorkingDaysOnly`, working days only, 09:00-17:00 debtor local time;
 *   otherwise any time.
 *
 * After each deferral every rule is checked again at the new instant, until all agree
 * (a fixed point). A search that passes 400 days throws `ComplianceError('NO_ALLOWED_INSTANT')`.
 * When nothing is deferred, `at` is `notBefore` unchanged; otherwise it is ISO-8601 in the
 * debtor's offset. Pure: no clock, no I/O; the same request always gives the same answer,
 * and asking again at the returned instant returns it with no deferrals.
 */
export function nextAllowedContact(req: ContactRequest): ContactDecision {
  const clock = new LocalClock(req.timezone);
  const start = parseInstant(req.notBefore, 'notBefore');
  const rules = rulesFor(buildContext(req, clock));
  const limit = start + MAX_SEARCH_DAYS * DAY_MS;

  const deferrals: Deferral[] = [];
  let at = start;
  for (;;) {
    let violation = null;
    for (const rule of rules) {
      violation = rule(at);
      if (violation) break;
    }
    if (!violation) break;
    if (!(violation.until > at)) {
      throw new Error(`compliance rule ${violation.rule} did not move the contact forward from ${clock.toIso(at)}`);
    }
    deferrals.push({ rule: violation.rule, detail: violation.detail, until: clock.toIso(violation.until) });
    at = violation.until;
    if (at > limit || deferrals.length >= MAX_DEFERRALS) {
      throw new ComplianceError(
        'NO_ALLOWED_INSTANT',
        `no allowed instant for ${CHANNEL_LABELS[req.channel]} within ${MAX_SEARCH_DAYS} days after ${req.notBefore} (${req.jurisdiction}, ${req.timezone}); last deferral: ${violation.rule}: ${violation.detail}`,
      );
    }
  }
  return { at: deferrals.length === 0 ? req.notBefore : clock.toIso(at), deferrals };
}

/** Whether the contact may happen exactly at `req.notBefore`. */
export function isContactAllowed(req: ContactRequest): boolean {
  const clock = new LocalClock(req.timezone);
  const at = parseInstant(req.notBefore, 'notBefore');
  return rulesFor(buildContext(req, clock)).every((rule) => rule(at) === null);
}

function buildContext(req: ContactRequest, clock: LocalClock): RuleContext {
  const contacts: LoggedContact[] = req.recentContacts.map((entry, index) => {
    const at = parseInstant(entry.at, `recentContacts[${index}].at`);
    const logged: LoggedContact = { at, date: clock.dateOf(at), channel: entry.channel, result: entry.result };
    if (entry.number !== undefined) logged.number = normaliseNumber(entry.number);
    return logged;
  });
  const ctx: RuleContext = { channel: req.channel, clock, profile: req.profile, window: parseWindow(req.profile.contactWindow), contacts };
  if (req.number !== undefined) ctx.number = normaliseNumber(req.number);
  return ctx;
}

function rulesFor(ctx: RuleContext): Rule[] {
  const { profile } = ctx;
  const caps = profile.caps;
  const rules: Rule[] = [];
  switch (ctx.channel) {
    case 'sms':
    case 'call':
      if (profile.holidays.behaviour === 'reduced') rules.push(holidayRule(ctx));
      rules.push(contactWindowRule(ctx));
      if (ctx.channel === 'sms') {
        if (caps.smsPerDebtorPerDay !== undefined) rules.push(smsCapRule(ctx, caps.smsPerDebtorPerDay));
      } else {
        if (caps.quietPeriodAfterConversation !== undefined) rules.push(quietPeriodRule(ctx, caps.quietPeriodAfterConversation));
        if (caps.callAttemptsPerWeek !== undefined) rules.push(weeklyCallCapRule(ctx, caps.callAttemptsPerWeek));
        if (caps.conversationsPerDebtorPerDay !== undefined) rules.push(conversationCapRule(ctx, caps.conversationsPerDebtorPerDay));
        if (caps.unansweredAttemptsPerNumberPerDay !== undefined) rules.push(unansweredCapRule(ctx, caps.unansweredAttemptsPerNumberPerDay));
      }
      return rules;
    case 'letter':
    case 'lawyer_letter':
    case 'litigation':
    case 'agency':
      if (profile.lettersOnWorkingDaysOnly) rules.push(workingDayRule(ctx), businessHoursRule(ctx));
      return rules;
    default:
      throw new ComplianceError('INVALID_REQUEST', `unknown channel ${JSON.stringify(ctx.channel satisfies never)}`);
  }
}
