import { formatMajorUnits } from '../shared/money';
import type { CaseData } from './case-state';
import type { DueStep } from './ladder';
import type { LetterRecipient } from './steps';
import { litigationEvidence } from './steps';

/**
 * What the case asks each provider for: templates (the step's, or the default of its
 * channel), amounts as the debtor reads them (major units), the policy's opt-out text, the
 * forbearance options; and what the compliance calendar is asked before a contact. Pure: the
 * workflow adds the idempotency key and makes the call.
 */

const DEFAULT_TEMPLATES = { sms: 'payment_reminder', call: 'collection_call', letter: 'demand_letter' } as const;

/** The options a forbearance offer lists (UK CONC: plan, reduced payments, suspended charges). */
export const FORBEARANCE_OPTIONS = 'repayment_plan,reduced_payments,suspended_charges';

/** What every reminder, call script and demand letter says about the debt. */
function amountParams(d: CaseData) {
  return { loanId: d.input.loanId, amountDue: formatMajorUnits(d.outstandingMinor, d.input.currency), currency: d.input.currency };
}

/** An SMS reminder of the ladder, with the profile's opt-out text when it has one. */
export function reminderSms(d: CaseData, due: DueStep, phone: string) {
  const params = { ...amountParams(d), dpdStep: due.step.id };
  const optOut = d.plan!.profile.optOutText;
  return { to: phone, template: due.step.template ?? DEFAULT_TEMPLATES.sms, params: optOut ? { ...params, optOut } : params, locale: d.input.debtor.locale };
}

/** A collector's call task (the debtor by reference only: the dialer has the details). */
export function callTask(d: CaseData, due: DueStep, phone: string, assignee: string) {
  return { to: phone, debtorRef: d.input.debtor.id, assignee, script: due.step.template ?? DEFAULT_TEMPLATES.call, params: { ...amountParams(d), dpdStep: due.step.id } };
}

/** A demand letter to one recipient. */
export function demandLetter(d: CaseData, due: DueStep, to: LetterRecipient) {
  return { recipient: { name: to.name, role: to.role }, address: to.address, template: due.step.template ?? DEFAULT_TEMPLATES.letter, params: amountParams(d) };
}

/** A lawyer's letter to one recipient: the law firm takes the amount in minor units. */
export function lawyerLetter(d: CaseData, to: LetterRecipient) {
  return { recipient: { name: to.name, role: to.role }, address: to.address, loanId: d.input.loanId, amountMinor: d.outstandingMinor, currency: d.input.currency };
}

/** A litigation filing with its evidence (contact attempts, payments, broken promises). */
export function litigationFiling(d: CaseData) {
  return { loanId: d.input.loanId, debtor: d.input.debtor, guarantors: d.input.guarantors ?? [], amountMinor: d.outstandingMinor, currency: d.input.currency, evidence: litigationEvidence(d) };
}

/** A placement with the policy's agency. */
export function agencyPlacement(d: CaseData) {
  return { loanId: d.input.loanId, debtorRef: d.input.debtor.id, amountMinor: d.outstandingMinor, currency: d.input.currency, agency: d.plan!.agency.name };
}

/** The forbearance offer by text, open until `respondBy`. */
export function forbearanceSms(d: CaseData, phone: string, template: string, respondBy: string) {
  return { to: phone, template, params: { ...amountParams(d), respondBy, options: FORBEARANCE_OPTIONS }, locale: d.input.debtor.locale };
}

/** The satisfaction survey by text. */
export function surveySms(d: CaseData, phone: string) {
  return { to: phone, template: d.plan!.survey.template, params: { loanId: d.input.loanId }, locale: d.input.debtor.locale };
}

/** What the compliance calendar (a local activity) is asked before a contact: the channel, from when, and the debtor's recent contacts. */
export function contactRulesQuestion(d: CaseData, due: DueStep, now: number, number?: string) {
  const plan = d.plan!;
  return { channel: due.step.channel, notBefore: new Date(now).toISOString(), timezone: d.input.debtor.timezone, jurisdiction: plan.jurisdiction, profile: plan.profile, recentContacts: d.contacts, number };
}
