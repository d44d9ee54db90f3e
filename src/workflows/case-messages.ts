import * as wf from '@temporalio/workflow';
import { apply, rejectMessage, type CaseMessage } from '../domain/apply';
import { checkPayment, indexPayments, type PaymentCheck } from '../domain/case-state';
import * as messages from '../shared/messages';
import * as schemas from '../shared/schemas';
import type { CaseContext } from './case-context';

/**
 * The case's signals, update and queries: plumbing around the engine's apply(). Every
 * payload is validated with the schema clients use; an invalid one is recorded on the
 * timeline and never crashes the case.
 */

const PAYMENT_REFUSALS: Record<Exclude<PaymentCheck, { ok: true }>['kind'], messages.PaymentRefusal> = {
  duplicate: 'DuplicatePayment',
  conflict: 'PaymentConflict',
  currency_mismatch: 'CurrencyMismatch',
  too_large: 'InvalidPayment',
};

/** A schema for each signal (the ones clients validate with), typed by the payload the engine takes. */
const SIGNAL_SCHEMAS: { [N in CaseMessage['name']]: { safeParse(v: unknown): { success: true; data: Extract<CaseMessage, { name: N }>['payload'] } | { success: false; error: import('zod').ZodError } } } = schemas.SIGNAL_SCHEMAS;

export function registerCaseHandlers(c: CaseContext): void {
  const paymentIds = c.paymentIds;
  if (paymentIds === 'indexed') indexPayments(c.data);

  const take = (message: CaseMessage) => {
    const applied = apply(c.data, message, c.now(), { paymentIds });
    c.took(applied);
    c.changed();
    return applied;
  };
  const accept = <N extends CaseMessage['name']>(name: N) =>
    (raw: unknown) =>
      c.afterOpening(() => {
        const parsed = SIGNAL_SCHEMAS[name].safeParse(raw);
        if (!parsed.success) return void c.took(rejectMessage(c.data, name, schemas.describeZodError(parsed.error), c.now()));
        take({ name, payload: parsed.data } as CaseMessage);
      });

  for (const name of Object.keys(SIGNAL_SCHEMAS) as Array<CaseMessage['name']>) {
    wf.setHandler(messages.CASE_SIGNALS[name] as wf.SignalDefinition<[unknown]>, accept(name));
  }

  // The validator refuses every payment that would not be applied (invalid, duplicate,
  // conflicting, other currency): a refused update leaves no event in history, so a
  // webhook delivered 30 times adds history once.
  wf.setHandler(
    messages.applyPaymentUpdate,
    (raw) =>
      c.afterOpening(() => {
        // The payment the validator checked: trimmed by the schema, like the signal's.
        const payment = paymentIds !== 'exact' ? schemas.PaymentReceived.parse(raw) : raw;
        return take({ name: 'paymentReceived', payload: payment }).reply!;
      }),
    {
      validator: (raw) => {
        const parsed = schemas.PaymentReceived.safeParse(raw);
        if (!parsed.success) throw wf.ApplicationFailure.create({ type: 'InvalidPayment' satisfies messages.PaymentRefusal, message: `invalid payment: ${schemas.describeZodError(parsed.error)}`, nonRetryable: true });
        const check = checkPayment(c.data, parsed.data, paymentIds);
        if (!check.ok) throw wf.ApplicationFailure.create({ type: PAYMENT_REFUSALS[check.kind], message: check.reason, nonRetryable: true });
        // Accepted now, the update would sit in history where replay cannot put it (see CaseContext.localActivitiesRunning).
        if (c.refuseUpdatesDuringLocalActivity && c.localActivitiesRunning > 0) {
          throw wf.ApplicationFailure.create({ type: 'CaseBusy' satisfies messages.PaymentRefusal, message: 'the case is deciding its next step (a local activity is running); retry shortly', nonRetryable: true });
        }
      },
    },
  );

  wf.setHandler(messages.statusQuery, () => c.status());
  wf.setHandler(messages.timelineQuery, () => c.data.timeline);
}
