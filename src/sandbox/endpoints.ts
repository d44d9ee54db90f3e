import { z } from 'zod';
import type { ContactBook, ContactProblem } from './contacts';
import type { ProviderIds } from './ids';

/**
 * The provider catalogue (spec section 7): request bodies, the contact checks a
 * provider makes before accepting (-> 422), and the accepted response. Bodies are loose
 * objects: the listed fields are required, extra fields are kept and recorded.
 */

const Text = z.string().min(1);
const Params = z.record(z.string(), z.unknown());
// Contact fields are only type-checked here; their validity is a 422, not a 400.
const Phone = z.string();
const Recipient = z.looseObject({ name: Text, role: z.string().optional() });
const Address = z.looseObject({
  line1: z.string(),
  city: z.string().optional(),
  postalCode: z.string().optional(),
  country: z.string().optional(),
});
const AmountMinor = z.number().int().nonnegative().refine(Number.isSafeInteger, 'too large');
const Currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as CNY');
const Party = z.looseObject({ name: Text });

export interface Endpoint<S extends z.ZodType = z.ZodType> {
  path: string;
  body: S;
  // Method syntax on purpose: lets differently typed endpoints share one array.
  check?(body: z.output<S>, contacts: ContactBook): ContactProblem | undefined;
  accept(ids: ProviderIds, at: Date): Record<string, unknown>;
}

function endpoint<S extends z.ZodType>(definition: Endpoint<S>): Endpoint<S> {
  return definition;
}

export const endpoints: readonly Endpoint[] = [
  endpoint({
    path: '/v1/sms',
    body: z.looseObject({ to: Phone, template: Text, params: Params, locale: z.string().optional() }),
    check: (body, contacts) => contacts.checkPhone(body.to),
    accept: (ids, at) => ({ messageId: ids.next('sms', at) }),
  }),
  endpoint({
    path: '/v1/calls',
    body: z.looseObject({ to: Phone, debtorRef: Text, assignee: Text, script: Text, params: Params }),
    check: (body, contacts) => contacts.checkPhone(body.to),
    accept: (ids, at) => ({ taskId: ids.next('call', at) }),
  }),
  endpoint({
    path: '/v1/letters',
    body: z.looseObject({ recipient: Recipient, address: Address, template: Text, params: Params }),
    check: (body, contacts) => contacts.checkAddress(body.address),
    accept: (ids, at) => ({ letterId: ids.next('letter', at) }),
  }),
  endpoint({
    path: '/v1/lawyer-letters',
    body: z.looseObject({ recipient: Recipient, address: Address, loanId: Text, amountMinor: AmountMinor, currency: Currency }),
    check: (body, contacts) => contacts.checkAddress(body.address),
    accept: (ids, at) => ({ referenceNo: ids.next('lawyerLetter', at) }),
  }),
  endpoint({
    path: '/v1/litigations',
    body: z.looseObject({
      loanId: Text,
      debtor: Party,
      guarantors: z.array(Party),
      amountMinor: AmountMinor,
      currency: Currency,
      evidence: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]),
    }),
    accept: (ids, at) => ({ caseNo: ids.next('litigation', at) }),
  }),
  endpoint({
    path: '/v1/agency-placements',
    body: z.looseObject({ loanId: Text, debtorRef: Text, amountMinor: AmountMinor, currency: Currency, agency: z.string().optional() }),
    accept: (ids, at) => ({ placementId: ids.next('agencyPlacement', at) }),
  }),
  endpoint({
    // Unknown placement IDs are accepted, so a recall still works after a sandbox restart.
    path: '/v1/agency-recalls',
    body: z.looseObject({ placementId: Text, loanId: Text }),
    accept: () => ({ recalled: true }),
  }),
];
