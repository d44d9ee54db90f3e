/** Masking for personal data that must never appear in clear in logs or timelines. */

/** "+8613812345678" -> "+86138****5678"; short or odd input keeps at most its last 2 digits. */
export function maskPhone(phone: string | undefined): string {
  if (!phone) return '(none)';
  const digits = phone.replace(/[^\d+]/g, '');
  if (digits.length < 8) return `***${digits.slice(-2)}`;
  return `${digits.slice(0, digits.length - 8)}****${digits.slice(-4)}`;
}

export const REDACTED = '[redacted]';

/**
 * Keys whose values are personal data wherever they appear, at any depth (compared
 * case-insensitively, ignoring `_` and `-`). `name` is among them: pino keeps the logger's
 * own name in its bindings, which this never sees.
 */
const PERSONAL_KEYS = new Set(
  [
    'name', 'fullName', 'firstName', 'lastName', 'phone', 'phones', 'mobile', 'to', 'recipient', 'email', 'address',
    'line1', 'line2', 'street', 'postalCode', 'idNumber', 'nationalId', 'debtorId', 'debtor', 'guarantor', 'guarantors',
    'contact', 'authorization', 'xSignature', 'cookie',
  ].map(normalizeKey),
);

function normalizeKey(key: string): string {
  return key.replace(/[-_]/g, '').toLowerCase();
}

// Values that are personal data whatever their key: e-mail addresses and E.164 phone numbers.
const EMAIL = /[^\s@"'<>]+@[^\s@"'<>]+\.[A-Za-z]{2,}/g;
const E164 = /\+\d{8,15}/g;

/** A string with e-mail addresses and E.164 phone numbers masked (log messages, free text). */
export function redactText(text: string): string {
  return text.replace(EMAIL, REDACTED).replace(E164, (phone) => maskPhone(phone));
}

/**
 * A copy of `value` with personal data redacted at any depth: the value of a personal key
 * becomes "[redacted]" (whatever its type), strings elsewhere lose e-mails and phone numbers.
 * Errors keep their type (pino serializes them) but their message is scrubbed the same way.
 */
export function redactDeep(value: unknown, seen: WeakSet<object> = new WeakSet(), depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value) || depth > 20) return '[circular or too deep]';
  seen.add(value);
  if (value instanceof Error) {
    const copy = new Error(redactText(value.message));
    copy.name = value.name;
    copy.stack = value.stack ? redactText(value.stack) : undefined;
    for (const [k, v] of Object.entries(value)) (copy as unknown as Record<string, unknown>)[k] = PERSONAL_KEYS.has(normalizeKey(k)) ? REDACTED : redactDeep(v, seen, depth + 1);
    return copy;
  }
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, seen, depth + 1));
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = PERSONAL_KEYS.has(normalizeKey(k)) && v !== undefined ? REDACTED : redactDeep(v, seen, depth + 1);
  return out;
}
