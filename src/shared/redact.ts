/** Masking for personal data that must never appear in clear in logs or timelines. */

/** "+8613812345678" -> "+86138****5678"; short or odd input keeps at most its last 2 digits. */
export function maskPhone(phone: string | undefined): string {
  if (!phone) return '(none)';
  const digits = phone.replace(/[^\d+]/g, '');
  if (digits.length < 8) return `***${digits.slice(-2)}`;
  return `${digits.slice(0, digits.length - 8)}****${digits.slice(-4)}`;
}

/** Paths pino redacts wherever they appear in a logged object. */
// Not a bare 'name': pino writes the logger's own name there.
export const REDACTED_LOG_PATHS = [
  'phone',
  'to',
  'email',
  'address',
  'idNumber',
  '*.phone',
  '*.to',
  '*.name',
  '*.email',
  '*.address',
  '*.idNumber',
  'debtor',
  'guarantors',
  'recipient',
  '*.debtor',
  '*.guarantors',
  '*.recipient',
  'req.headers.authorization',
  'req.headers["x-signature"]',
];
