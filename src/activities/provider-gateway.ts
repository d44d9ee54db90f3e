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
    /** For a 422: the contact detail the request was addressed to, now known to be wrong. */
    readonly invalidContact?: 'phone' | 'address',
  ) {
    super(message);
  }
}

/** The provider is down or overloaded (5xx, 429, timeout, connection error): retry with backoff. */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
  constructor(
    message: string,
    /** The provider's `Retry-After` (a 429 or 503), when it gave one: the next attempt waits that long. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
