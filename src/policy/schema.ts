import { z } from 'zod';
import { msToNumber } from '@temporalio/common/lib/time';
import { DebtorType, IsoDate, Product } from '../shared/schemas';

/**
 * A collection policy is data: a YAML or JSON file validated by this schema at start-up.
 * It says, per segment, which ladder of steps a case walks, when, through which channel,
 * under which compliance profile, and what each action costs.
 */

/** A duration in the `ms` format Temporal accepts: "7 days", "36h", "90s". */
export const PolicyDuration = z.string().refine((text) => {
  try {
    return msToNumber(text as never) >= 0;
  } catch {
    return false;
  }
}, 'a duration such as "7 days", "36h" or "90s"');

function durationMs(text: string): number | undefined {
  try {
    return msToNumber(text as never);
  } catch {
    return undefined;
  }
}

export const LocalTime = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'a local time "HH:MM" (24:00 = end of day)');

export const Channel = z.enum(['sms', 'call', 'letter', 'lawyer_letter', 'litigation', 'agency']);
export type Channel = z.infer<typeof Channel>;

export const LadderStep = z.strictObject({
  /** Unique within the ladder; part of every provider idempotency key. */
  id: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'lower-case id such as "sms" or "demand_letter"'),
  channel: Channel,
  /** When the step first becomes due, measured from the policy's anchor. */
  at: PolicyDuration,
  /** The step is never due sooner than this after the previous step was carried out. */
  minGapAfterPrevious: PolicyDuration.optional(),
  /** Repeat (reminders, calls) at this interval until the next step is due. */
  repeatEvery: PolicyDuration.optional(),
  maxRepeats: z.number().int().min(1).optional(),
  template: z.string().min(1).optional(),
  /** Letters and lawyer's letters also go to each guarantor. */
  copyGuarantors: z.boolean().default(false),
});
export type LadderStep = z.infer<typeof LadderStep>;

export const Ladder = z
  .strictObject({ description: z.string().optional(), steps: z.array(LadderStep).min(1) })
  .superRefine((ladder, ctx) => {
    const seen = new Set<string>();
    ladder.steps.forEach((step, index) => {
      if (seen.has(step.id)) ctx.addIssue({ code: 'custom', path: ['steps', index, 'id'], message: `duplicate step id "${step.id}"` });
      seen.add(step.id);
      const previous = ladder.steps[index - 1];
      // Zod still runs this after a bad duration was reported; compare only valid ones.
      const at = durationMs(step.at);
      const previousAt = previous ? durationMs(previous.at) : undefined;
      if (at !== undefined && previousAt !== undefined && at < previousAt) {
        ctx.addIssue({ code: 'custom', path: ['steps', index, 'at'], message: 'steps must be in time order' });
      }
    });
  });
export type Ladder = z.infer<typeof Ladder>;

export const JurisdictionName = z.enum(['CN', 'US_REG_F', 'UK_CONC']);
export type JurisdictionName = z.infer<typeof JurisdictionName>;

/** Every number of a jurisdiction profile; the built-in profiles give defaults, a policy overrides any of them. */
export const ComplianceProfile = z.strictObject({
  contactWindow: z.strictObject({ start: LocalTime, end: LocalTime }),
  holidays: z.strictObject({
    /** "CN" uses China's official calendar with make-up working days; another ISO country code uses date-holidays; "none" disables. */
    calendar: z.string().min(2),
    /** Optional region for date-holidays (e.g. "CA" for the US state). */
    region: z.string().optional(),
    /** "reduced": no calls or SMS on public holidays, deferred to the next working day. */
    behaviour: z.enum(['reduced', 'normal']),
    extraHolidays: z.array(IsoDate).default([]),
    extraWorkingDays: z.array(IsoDate).default([]),
  }),
  /** Weekends without debtor calls/SMS are decided by the holiday calendar; letters need a working day when true. */
  lettersOnWorkingDaysOnly: z.boolean(),
  caps: z.strictObject({
    conversationsPerDebtorPerDay: z.number().int().min(1).optional(),
    unansweredAttemptsPerNumberPerDay: z.number().int().min(1).optional(),
    callAttemptsPerWeek: z.number().int().min(1).optional(),
    quietPeriodAfterConversation: PolicyDuration.optional(),
    smsPerDebtorPerDay: z.number().int().min(1).optional(),
  }),
  /** Electronic messages carry an opt-out text (US Reg F). */
  optOutText: z.string().optional(),
  /** A dispute pauses collection until verification is sent. */
  disputeSuspendsCollection: z.boolean(),
  /** Upper bound on repayment plans, in months (CN: 5 years). */
  maxPlanMonths: z.number().int().min(1).optional(),
  /** Offer forbearance (plan) before each escalation to letters and beyond (UK CONC). */
  forbearanceBeforeEscalation: z.boolean().default(false),
});
export type ComplianceProfile = z.infer<typeof ComplianceProfile>;

const DeepPartialProfile = z.strictObject({
  contactWindow: ComplianceProfile.shape.contactWindow.optional(),
  holidays: z
    .strictObject({
      calendar: z.string().min(2).optional(),
      region: z.string().optional(),
      behaviour: z.enum(['reduced', 'normal']).optional(),
      extraHolidays: z.array(IsoDate).optional(),
      extraWorkingDays: z.array(IsoDate).optional(),
    })
    .optional(),
  lettersOnWorkingDaysOnly: z.boolean().optional(),
  /** A cap set to null is removed; `caps: null` removes every cap (compressed demo policies). */
  caps: z
    .strictObject({
      conversationsPerDebtorPerDay: z.number().int().min(1).nullable().optional(),
      unansweredAttemptsPerNumberPerDay: z.number().int().min(1).nullable().optional(),
      callAttemptsPerWeek: z.number().int().min(1).nullable().optional(),
      quietPeriodAfterConversation: PolicyDuration.nullable().optional(),
      smsPerDebtorPerDay: z.number().int().min(1).nullable().optional(),
    })
    .nullable()
    .optional(),
  optOutText: z.string().optional(),
  disputeSuspendsCollection: z.boolean().optional(),
  maxPlanMonths: z.number().int().min(1).optional(),
  forbearanceBeforeEscalation: z.boolean().optional(),
});
export type ProfileOverride = z.infer<typeof DeepPartialProfile>;

export const SegmentRule = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/),
  description: z.string().optional(),
  /** All given conditions must hold; segments are tried in order, first match wins. */
  when: z
    .strictObject({
      debtorTypes: z.array(DebtorType).optional(),
      products: z.array(Product).optional(),
      minAmountDueMinor: z.number().int().min(0).optional(),
      maxAmountDueMinor: z.number().int().min(0).optional(),
      minRisk: z.number().min(0).max(1).optional(),
      maxRisk: z.number().min(0).max(1).optional(),
      minDaysPastDue: z.number().int().min(0).optional(),
    })
    .default({}),
  ladder: z.string().min(1),
  jurisdiction: JurisdictionName.optional(),
  litigationThresholdMinor: z.number().int().min(0).optional(),
});
export type SegmentRule = z.infer<typeof SegmentRule>;

export const Scoring = z.strictObject({
  /** Logistic model of propensity to pay: p = 1 / (1 + e^-(intercept + sum(weight * feature))). */
  intercept: z.number(),
  weights: z.strictObject({
    daysPastDue: z.number().default(0),
    amountDueLog10: z.number().default(0),
    previousDelinquencies: z.number().default(0),
    brokenPromises: z.number().default(0),
    monthsOnBook: z.number().default(0),
    corporate: z.number().default(0),
    product: z.partialRecord(Product, z.number()).default({}),
  }),
});
export type Scoring = z.infer<typeof Scoring>;

export const Costs = z.strictObject({
  sms: z.number().int().min(0),
  call: z.number().int().min(0),
  letter: z.number().int().min(0),
  lawyer_letter: z.number().int().min(0),
  litigation: z.number().int().min(0),
  /** Agency commission on what the agency recovers, in basis points. */
  agencyCommissionBps: z.number().int().min(0).max(10_000),
  survey: z.number().int().min(0).default(0),
});

export const Policy = z
  .strictObject({
    id: z.string().min(1).max(64),
    version: z.string().min(1),
    description: z.string().optional(),
    /**
     * A policy for demos and automated tests (compressed time, relaxed rules). It loads only
     * when ALLOW_TEST_POLICIES=true; otherwise cases naming it are refused and a worker whose
     * POLICY_FILE is test-only refuses to start.
     */
    testOnly: z.boolean().default(false),
    /** The oldest `overdueSince` a case may have: a calendar age, never compressed (3650 days in every shipped policy). */
    maxOverdueAge: PolicyDuration.default('3650 days'),
    /**
     * Notice before legal steps: a lawyer's letter only after a demand letter to the debtor
     * was delivered at least `noticeBeforeLawyerLetter` earlier; litigation only after a
     * lawyer's letter to the debtor was delivered at least `noticeBeforeLitigation` earlier.
     */
    legal: z
      .strictObject({ noticeBeforeLawyerLetter: PolicyDuration, noticeBeforeLitigation: PolicyDuration })
      .default({ noticeBeforeLawyerLetter: '15 days', noticeBeforeLitigation: '30 days' }),
    /** What step offsets are measured from: the overdue date (production) or the moment the case opened (demos). */
    anchor: z.enum(['overdue_since', 'case_opened']).default('overdue_since'),
    jurisdiction: JurisdictionName.default('CN'),
    profiles: z.partialRecord(JurisdictionName, DeepPartialProfile).default({}),
    scoring: Scoring,
    segments: z.array(SegmentRule).min(1),
    ladders: z.record(z.string(), Ladder),
    experiment: z
      .strictObject({
        challengerLadder: z.string(),
        /** Share of cases (0..1) assigned to the challenger arm, by a stable hash of the loan id. */
        share: z.number().min(0).max(1),
        salt: z.string().default('challenger'),
        segments: z.array(z.string()).optional(),
      })
      .optional(),
    litigationThresholdMinor: z.number().int().min(0),
    promises: z.strictObject({ grace: PolicyDuration, maxDuration: PolicyDuration }),
    /** Jurisdictions with forbearanceBeforeEscalation (UK CONC): how long a forbearance offer stays open before letters and legal steps. */
    forbearance: z.strictObject({ offerWindow: PolicyDuration, template: z.string().default('forbearance_offer') }).default({ offerWindow: '14 days', template: 'forbearance_offer' }),
    calls: z.strictObject({
      roster: z.array(z.string().min(1)).min(1),
      rotateEvery: PolicyDuration,
      outcomeTimeout: PolicyDuration,
    }),
    contactRefresh: z.strictObject({ waitFor: PolicyDuration }),
    agency: z.strictObject({ name: z.string().min(1), recallAfter: PolicyDuration }),
    survey: z.strictObject({ enabled: z.boolean(), window: PolicyDuration, template: z.string().default('satisfaction_survey') }),
    costs: Costs,
    providers: z.strictObject({
      timeout: PolicyDuration,
      retry: z.strictObject({
        initialInterval: PolicyDuration,
        maximumInterval: PolicyDuration,
        backoffCoefficient: z.number().min(1).default(2),
        maximumAttempts: z.number().int().min(1),
      }),
    }),
  })
  .superRefine((policy, ctx) => {
    const ladderNames = Object.keys(policy.ladders);
    policy.segments.forEach((segment, index) => {
      if (!policy.ladders[segment.ladder]) {
        ctx.addIssue({ code: 'custom', path: ['segments', index, 'ladder'], message: `unknown ladder "${segment.ladder}" (have: ${ladderNames.join(', ')})` });
      }
    });
    const last = policy.segments[policy.segments.length - 1];
    if (last && Object.keys(last.when).length > 0) {
      ctx.addIssue({ code: 'custom', path: ['segments', policy.segments.length - 1, 'when'], message: 'the last segment must match every case (no conditions)' });
    }
    for (const [name, ladder] of Object.entries(policy.ladders)) {
      ladderNoticeIssues(ladder.steps).forEach(({ index, message }) => ctx.addIssue({ code: 'custom', path: ['ladders', name, 'steps', index, 'channel'], message }));
    }
    if (policy.experiment && !policy.ladders[policy.experiment.challengerLadder]) {
      ctx.addIssue({ code: 'custom', path: ['experiment', 'challengerLadder'], message: `unknown ladder "${policy.experiment.challengerLadder}"` });
    }
  });
export type Policy = z.infer<typeof Policy>;

/**
 * A legal step needs a notice step before it on its ladder: a demand letter before a
 * lawyer's letter, a lawyer's letter before litigation. Without one, the case could never
 * give the notice the step waits for.
 */
function ladderNoticeIssues(steps: readonly LadderStep[]): Array<{ index: number; message: string }> {
  const issues: Array<{ index: number; message: string }> = [];
  steps.forEach((step, index) => {
    const before = steps.slice(0, index).map((s) => s.channel);
    if (step.channel === 'lawyer_letter' && !before.includes('letter')) {
      issues.push({ index, message: "a lawyer's letter needs a demand letter (channel letter) earlier on the ladder, as its notice" });
    }
    if (step.channel === 'litigation' && !before.includes('lawyer_letter')) {
      issues.push({ index, message: "litigation needs a lawyer's letter earlier on the ladder, as its notice" });
    }
  });
  return issues;
}
export type PolicyInput = z.input<typeof Policy>;
