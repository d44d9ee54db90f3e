/**
 * Log redaction for phone numbers: "+8613812345678" -> "+86138****5678". Enough to tell
 * two numbers apart in a log, not enough to dial. Short or odd input is masked whole.
 */
export function maskPhone(phone: string): string {
  const p = phone.trim();
  if (p.length < 8) return '****';
  // Always hide at least four characters; show at most a six-character prefix.
  const prefix = Math.min(6, p.length - 8);
  return `${p.slice(0, prefix)}****${p.slice(-4)}`;
}
