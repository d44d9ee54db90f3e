import { z } from 'zod';
import { regexes } from 'zod/v4/core';
import { isKnownCurrency } from './money';
import { TIMELINE_KINDS } from './timeline';

/**
 * The external contract of a collection case (spec section 3), validated with zod at
 * every entrance: HTTP API, CLI, CSV intake and inside the workflow for signals.
 * Pure: no Node APIs, so the workflow bundle can import it.
 *
 * Every schema is built on first use, not when the module loads, and in the workflow bundle
 * this module is shared by every workflow of a worker (`preloadModules`, src/workflow-bundle.ts):
 * a case's input schema alone is about 136 KiB of heap, which every cached case paid when each
 * evaluated this module for itself.
 */

/**
 * The schema `build` returns, built the first time anything reads it (parse, a method, a
 * property, or a schema that contains it being built): a Proxy that forwards reads, writes and
 * `in` to the built schema, so callers and zod use it as that schema.
 *
 * Its target is a frozen empty object and it has no other traps: key listing, descriptors and
 * the prototype are the target's. That is what makes the module safe to share between
 * workflows: the SDK deep-freezes a shared module's exports once loaded, and sees these as
 * already frozen, so it neither builds the schemas nor freezes them (zod caches what it computes
 * on a schema's own objects, and fails on frozen ones). A schema built later is shared, unfrozen.
 * (`instanceof` still works: zod answers it from the schema's traits, read through `get`.)
 */
function lazy<T extends object>(build: () => T): T {
  let built: T | undefined;
  const schema = (): T => (built ??= build());
  return new Proxy(Object.freeze({}) as T, {
    get: (_, key) => Reflect.get(schema(), key),
    set: (_, key, value) => Reflect.set(schema(), key, value),
    has: (_, key) => Reflect.has(schema(), key),
  });
}

export const LoanId = lazy(() =>
  z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-", at most 64 characters'),
);

export const Currency = lazy(() =>
  z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as CNY')
    .refine(isKnownCurrency, 'an unknown ISO 4217 currency'),
);

export const MinorUnits = lazy(() => z.number().int('an integer count of minor units').min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER));
export const PositiveMinorUnits = lazy(() => z.number().int('an integer count of minor units').positive('must be greater than 0').max(Number.MAX_SAFE_INTEGER));

export const IanaTimeZone = lazy(() => z.string().refine(isValidTimeZone, 'an IANA time zone such as Asia/Shanghai'));

/** Zones already found valid: building an Intl.DateTimeFormat costs about 50 µs, once per case opened. */
const validTimeZones = new Set<string>();

export function isValidTimeZone(zone: string): boolean {
  if (validTimeZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    return false;
  }
  if (zone.length === 0) return false;
  validTimeZones.add(zone);
  return true;
}

// Not `z.iso.date()`: the workflow bundler (webpack) resolves `z.iso.date` to the top-level
// `z.date` (both are re-exported under the name `date`), which rejects every string inside the workflow.
// zod's own date and e-mail RegExps are module-level objects, frozen once zod is shared between
// workflows (src/shared/zod-preload.ts); its checks reset `lastIndex`, so each gets a copy of its own.
// (zod's types omit `pattern` from `.date()`'s parameters; its ISO date check reads it all the same.)
export const IsoDate = lazy(() => z.string().date({ pattern: new RegExp(regexes.date) } as z.core.$ZodCheckISODateParams));
export const IsoInstant = lazy(() => z.string().datetime({ offset: true }));
/** A due date: a calendar date (due by the end of that day in the debtor's time zone) or an exact instant. */
export const DueDate = lazy(() => z.union([IsoDate, IsoInstant]));
export const Phone = lazy(() => z.string().trim().min(5).max(32));
const Email = lazy(() => z.email({ pattern: new RegExp(regexes.email) }));

export const Product = lazy(() => z.enum(['personal_loan', 'credit_card', 'corporate_loan', 'bill_discount']));
export const OpenReason = lazy(() => z.enum(['overdue', 'contract_breach', 'risk_control']));
export const DebtorType = lazy(() => z.enum(['individual', 'corporate']));

const StructuredAddress = lazy(() =>
  z.object({
    line1: z.string().trim().min(1),
    city: z.string().trim().min(1).optional(),
    postalCode: z.string().trim().min(1).optional(),
    country: z.string().trim().min(2).optional(),
  }),
);
/** A postal address; a single line of text is accepted too and kept as `line1`. */
export const Address = lazy(() => z.union([StructuredAddress, z.string().trim().min(1).transform((line1): z.infer<typeof StructuredAddress> => ({ line1 }))]));
export type Address = z.infer<typeof Address>;

export const Debtor = lazy(() =>
  z.object({
    id: z.string().trim().min(1).max(64),
    type: DebtorType,
    name: z.string().trim().min(1).max(200),
    phone: Phone.optional(),
    email: Email.optional(),
    address: Address.optional(),
    timezone: IanaTimeZone,
    locale: z.string().min(2).max(35).optional(),
  }),
);
export type Debtor = z.infer<typeof Debtor>;

const GuarantorDetails = lazy(() =>
  z.object({
    id: z.string().trim().min(1).max(64).optional(),
    name: z.string().trim().min(1).max(200),
    phone: Phone.optional(),
    email: Email.optional(),
    address: Address.optional(),
  }),
);
/** A guarantor; a bare name is accepted too. */
export const Guarantor = lazy(() => z.union([GuarantorDetails, z.string().trim().min(1).max(200).transform((name): z.infer<typeof GuarantorDetails> => ({ name }))]));
export type Guarantor = z.infer<typeof Guarantor>;

export const CreditHistory = lazy(() =>
  z.object({
    previousDelinquencies: z.number().int().min(0),
    brokenPromises: z.number().int().min(0),
    monthsOnBook: z.number().int().min(0),
  }),
);
export type CreditHistory = z.infer<typeof CreditHistory>;

export const CaseInput = lazy(() =>
  z.object({
    loanId: LoanId,
    product: Product,
    reason: OpenReason,
    debtor: Debtor,
    guarantors: z.array(Guarantor).max(20).optional(),
    currency: Currency,
    amountDueMinor: PositiveMinorUnits,
    overdueSince: IsoDate,
    history: CreditHistory.optional(),
    policyId: z.string().min(1).max(64).optional(),
  }),
);
export type CaseInput = z.infer<typeof CaseInput>;

// ---- Signals -------------------------------------------------------------------------

export const PaymentReceived = lazy(() =>
  z.object({
    paymentId: z.string().trim().min(1).max(128),
    amountMinor: PositiveMinorUnits,
    currency: Currency,
    receivedAt: IsoInstant,
    channel: z.string().max(64).optional(),
  }),
);
export type PaymentReceived = z.infer<typeof PaymentReceived>;

export const PromiseToPay = lazy(() =>
  z.object({
    amountMinor: PositiveMinorUnits,
    dueDate: DueDate,
    actor: z.string().max(128).optional(),
  }),
);
export type PromiseToPay = z.infer<typeof PromiseToPay>;

export const RepaymentPlan = lazy(() =>
  z.object({
    instalments: z.array(z.object({ amountMinor: PositiveMinorUnits, dueDate: DueDate })).min(1).max(60),
    actor: z.string().max(128).optional(),
  }),
);
export type RepaymentPlan = z.infer<typeof RepaymentPlan>;

export const SettlementOffer = lazy(() =>
  z.object({
    amountMinor: PositiveMinorUnits,
    validUntil: DueDate,
    actor: z.string().max(128).optional(),
  }),
);
export type SettlementOffer = z.infer<typeof SettlementOffer>;

export const DisputeRaised = lazy(() => z.object({ reason: z.string().trim().min(1).max(500), actor: z.string().max(128).optional() }));
export type DisputeRaised = z.infer<typeof DisputeRaised>;

export const DisputeResolved = lazy(() => z.object({ upheld: z.boolean(), note: z.string().max(500).optional(), actor: z.string().max(128).optional() }));
export type DisputeResolved = z.infer<typeof DisputeResolved>;

export const ContactUpdated = lazy(() =>
  z
    .object({ phone: Phone.optional(), email: Email.optional(), address: Address.optional(), actor: z.string().max(128).optional() })
    .refine((c) => c.phone !== undefined || c.email !== undefined || c.address !== undefined, 'give at least one of phone, email, address'),
);
export type ContactUpdated = z.infer<typeof ContactUpdated>;

export const CeaseContact = lazy(() => z.object({ reason: z.string().trim().min(1).max(500), actor: z.string().max(128).optional() }));
export type CeaseContact = z.infer<typeof CeaseContact>;

export const Pause = lazy(() =>
  z.object({
    reason: z.string().trim().min(1).max(500),
    until: IsoInstant.optional(),
    actor: z.string().max(128).optional(),
  }),
);
export type Pause = z.infer<typeof Pause>;

export const Resume = lazy(() => z.object({ reason: z.string().max(500).optional(), actor: z.string().max(128).optional() }));
export type Resume = z.infer<typeof Resume>;

export const CallOutcomeKind = lazy(() => z.enum(['promise', 'refused', 'no_answer', 'wrong_number', 'paid_claimed']));
export const CallOutcome = lazy(() =>
  z.object({
    outcome: CallOutcomeKind,
    note: z.string().max(1000).optional(),
    taskId: z.string().max(128).optional(),
    promise: z.object({ amountMinor: PositiveMinorUnits, dueDate: DueDate }).optional(),
    actor: z.string().max(128).optional(),
  }),
);
export type CallOutcome = z.infer<typeof CallOutcome>;

export const SurveyResponse = lazy(() => z.object({ score: z.number().int().min(1).max(5), comment: z.string().max(1000).optional(), actor: z.string().max(128).optional() }));
export type SurveyResponse = z.infer<typeof SurveyResponse>;

export const ReviewAction = lazy(() => z.enum(['retry', 'skip', 'close']));
export type ReviewAction = z.infer<typeof ReviewAction>;
/** Ends a `needs_review` state (spec section 9): retry the step, skip it, or close the case (cancelled). */
export const ReviewResolved = lazy(() =>
  z.object({
    action: ReviewAction,
    note: z.string().trim().min(1).max(1000),
    actor: z.string().max(128).optional(),
  }),
);
export type ReviewResolved = z.infer<typeof ReviewResolved>;

// ---- Query results -------------------------------------------------------------------

export const CaseState = lazy(() => z.enum(['active', 'paused', 'promised', 'disputed', 'needs_review', 'resolved']));
export type CaseState = z.infer<typeof CaseState>;
export const Stage = lazy(() => z.enum(['sms', 'phone', 'letter', 'lawyer_letter', 'litigation', 'agency']));
export type Stage = z.infer<typeof Stage>;
export const Outcome = lazy(() => z.enum(['paid_in_full', 'settled', 'litigation_filed', 'placed_with_agency', 'written_off', 'cancelled']));
export type Outcome = z.infer<typeof Outcome>;

export const PromiseView = lazy(() =>
  z.object({
    amountMinor: MinorUnits,
    dueDate: DueDate,
    graceUntil: IsoInstant,
    paidTowardsMinor: MinorUnits,
    kind: z.enum(['promise', 'plan', 'settlement']),
  }),
);
export type PromiseView = z.infer<typeof PromiseView>;

export const CaseStatus = lazy(() =>
  z.object({
    loanId: z.string(),
    state: CaseState,
    stage: Stage,
    outstandingMinor: MinorUnits,
    paidMinor: MinorUnits,
    costMinor: MinorUnits,
    currency: z.string(),
    amountDueMinor: MinorUnits,
    nextAction: z.string().optional(),
    nextActionAt: IsoInstant.optional(),
    pausedUntil: IsoInstant.optional(),
    promise: PromiseView.optional(),
    assignee: z.string().optional(),
    outcome: Outcome.optional(),
    segment: z.string().optional(),
    strategy: z.string().optional(),
    riskScore: z.number().optional(),
    scoreReasons: z.array(z.string()).optional(),
    contactStopped: z.boolean().optional(),
    awaitingContactRefresh: z.array(z.enum(['phone', 'address'])).optional(),
    brokenPromises: z.number().int().optional(),
    /** Redeliveries of payments already applied: counted once each, never applied (nor listed on the timeline of newer cases). */
    duplicatePayments: z.number().int().optional(),
    satisfactionScore: z.number().int().optional(),
    /** Present while the case is in state needs_review. */
    review: z.object({ cause: z.string(), reason: z.string(), step: z.string(), since: IsoInstant }).optional(),
  }),
);
export type CaseStatus = z.infer<typeof CaseStatus>;

export const TimelineEvent = lazy(() =>
  z.object({
    at: IsoInstant,
    /** One of the typed vocabulary (src/shared/timeline.ts): readers match on it, a typo is a type error. */
    kind: z.enum(TIMELINE_KINDS),
    detail: z.string(),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
);
export type TimelineEvent = z.infer<typeof TimelineEvent>;

/** One line per zod issue, naming the field: "debtor.timezone: an IANA time zone ...". */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(input)'}: ${issue.message}`)
    .join('; ');
}

/** Each signal's payload schema, by signal name: clients and the workflow validate with the same ones. */
export const SIGNAL_SCHEMAS = {
  paymentReceived: PaymentReceived,
  promiseToPay: PromiseToPay,
  repaymentPlan: RepaymentPlan,
  settlementOffer: SettlementOffer,
  disputeRaised: DisputeRaised,
  disputeResolved: DisputeResolved,
  contactUpdated: ContactUpdated,
  ceaseContact: CeaseContact,
  pause: Pause,
  resume: Resume,
  callOutcome: CallOutcome,
  surveyResponse: SurveyResponse,
  reviewResolved: ReviewResolved,
} as const;
