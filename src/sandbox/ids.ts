/**
 * Provider-side identifiers: readable sequence numbers per kind ("sms_000001",
 * "LL-2026-000001"). Counters only ever go up, so an ID is never handed out twice by
 * one sandbox process, even across reset().
 */

export type IdKind = 'delivery' | 'sms' | 'call' | 'letter' | 'lawyerLetter' | 'litigation' | 'agencyPlacement';

const formats: Record<IdKind, (seq: string, at: Date) => string> = {
  delivery: (seq) => `dlv_${seq}`,
  sms: (seq) => `sms_${seq}`,
  call: (seq) => `call_${seq}`,
  letter: (seq) => `ltr_${seq}`,
  lawyerLetter: (seq, at) => `LL-${at.getUTCFullYear()}-${seq}`,
  litigation: (seq) => `CASE-${seq}`,
  agencyPlacement: (seq) => `agy_${seq}`,
};

export class ProviderIds {
  private readonly counters = new Map<IdKind, number>();

  /** @param after every counter starts past this (the deliveries a restarted sandbox read back), so no ID is handed out again. */
  constructor(private readonly after = 0) {}

  next(kind: IdKind, at: Date): string {
    const n = (this.counters.get(kind) ?? this.after) + 1;
    this.counters.set(kind, n);
    return formats[kind](String(n).padStart(6, '0'), at);
  }
}
