/** Why a policy cannot be used; thrown while loading policy files and when a case names a policy. */

export type PolicyErrorCode = 'POLICY_INVALID' | 'POLICY_UNREADABLE' | 'POLICY_UNKNOWN' | 'POLICY_NOT_ALLOWED';

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly code: PolicyErrorCode,
    message: string,
    /** One entry per bad field: "segments.2.ladder: unknown ladder ...". */
    readonly issues: readonly string[] = [],
  ) {
    super(message);
  }
}
