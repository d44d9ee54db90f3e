import { z } from 'zod';

/**
 * What the provider knows about unreachable contacts. A problem here is a 422, which
 * the orchestrator treats as final and answers with a contact-refresh step.
 */

export const E164 = /^\+[1-9]\d{7,14}$/;

export const InvalidContacts = z.strictObject({
  phones: z.array(z.string().trim().min(1)).optional(),
  addresses: z.array(z.string().trim().min(1)).optional(),
});
export type InvalidContacts = z.infer<typeof InvalidContacts>;

export interface ContactProblem {
  code: 'invalid_phone' | 'invalid_address';
  message: string;
}

/** Addresses are matched on line1, ignoring case and runs of whitespace. */
function addressKey(line1: string): string {
  return line1.trim().replace(/\s+/g, ' ').toLowerCase();
}

export class ContactBook {
  private readonly phones = new Set<string>();
  private readonly addresses = new Set<string>();

  markInvalid({ phones = [], addresses = [] }: InvalidContacts): void {
    for (const phone of phones) this.phones.add(phone.trim());
    for (const line1 of addresses) this.addresses.add(addressKey(line1));
  }

  list(): { phones: string[]; addresses: string[] } {
    return { phones: [...this.phones], addresses: [...this.addresses] };
  }

  clear(): void {
    this.phones.clear();
    this.addresses.clear();
  }

  checkPhone(phone: string): ContactProblem | undefined {
    if (!E164.test(phone)) return { code: 'invalid_phone', message: 'phone number is not in E.164 format' };
    if (this.phones.has(phone)) return { code: 'invalid_phone', message: 'phone number is unreachable' };
    return undefined;
  }

  checkAddress(address: { line1: string }): ContactProblem | undefined {
    const key = addressKey(address.line1);
    if (key === '') return { code: 'invalid_address', message: 'address line1 is blank' };
    if (this.addresses.has(key)) return { code: 'invalid_address', message: 'address is undeliverable' };
    return undefined;
  }
}
