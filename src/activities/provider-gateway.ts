/**
 * The provider gateway port (spec section 7): outbound calls to the SMS gateway, the
 * dialer, the print-and-mail house, the law firm and collection agencies. Activities
 * depend on this interface; `http-provider-gateway.ts` is the real adapter.
 */
export interface Recipient {
  name: string;
  role?: 'debtor' | 'guarantor';
}

export interface PostalAddress {
  line1: string;
  city?: string;
  postalCode?: string;
  country?: string;
}

export interface ProviderGateway {
  sendSms(key: string, body: { to: string; template: string; params: Record<string, unknown>; locale?: string }): Promise<{ messageId: string }>;
  createCallTask(
    key: string,
    body: { to: string; debtorRef: string; assignee: string; script: string; params: Record<string, unknown> },
  ): Promise<{ taskId: string }>;
  sendLetter(key: string, body: { recipient: Recipient; address: PostalAddress; template: string; params: Record<string, unknown> }): Promise<{ letterId: string }>;
  sendLawyerLetter(
    key: string,
    body: { recipient: Recipient; address: PostalAddress; loanId: string; amountMinor: number; currency: string },
  ): Promise<{ referenceNo: string }>;
  fileLitigation(
    key: string,
    body: { loanId: string; debtor: unknown; guarantors: unknown[]; amountMinor: number; currency: string; evidence: unknown },
  ): Promise<{ caseNo: string }>;
  placeWithAgency(key: string, body: { loanId: string; debtorRef: string; amountMinor: number; currency: string; agency?: string }): Promise<{ placementId: string }>;
  recallFromAgency(key: string, body: { placementId: string; loanId: string }): Promise<{ recalled: boolean }>;
}

/** A provider refused the request for good (4xx): retrying cannot help. */
export class ProviderRejectedError extends Error {
  override readonly name = 'ProviderRejectedError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
  /** 422 with a contact code: the phone or address on file is wrong. */
  get invalidContact(): 'phone' | 'address' | undefined {
    if (this.status !== 422) return undefined;
    if (this.code === 'invalid_phone') return 'phone';
    if (this.code === 'invalid_address') return 'address';
    return undefined;
  }
}

/** The provider is down or overloaded (5xx, timeout, connection error): retry with backoff. */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
}
