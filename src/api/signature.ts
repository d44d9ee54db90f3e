import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The payment webhook's signature (spec section 5):
 *
 *     X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
 *
 * keyed with a shared secret: any of WEBHOOK_SECRETS (comma-separated, so a secret can
 * rotate: add the new one, move senders over, drop the old one) or WEBHOOK_SECRET. The timestamp is part of the signed
 * text, so an old signature cannot be replayed with a fresh `t`; signatures older than
 * the tolerance (or that far in the future, for skewed clocks) are refused. Several
 * `v1=` values may be given (e.g. while a sender rotates secrets): one match is enough.
 */

export const SIGNATURE_HEADER = 'x-signature';
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export type SignatureCheck =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'mismatch' };

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

export function computeSignature(secret: string, timestamp: number, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** The header value a sender puts on a request (used by tests, the CLI and integrators' examples). */
export function signatureHeader(secret: string, rawBody: Buffer | string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${computeSignature(secret, timestamp, rawBody)}`;
}

export function parseSignatureHeader(header: string): { timestamp: number; signatures: string[] } | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const index = part.indexOf('=');
    if (index <= 0) return undefined;
    const key = part.slice(0, index).trim();
    const value = part.slice(index + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestamp !== undefined) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value)) return undefined;
      signatures.push(value.toLowerCase());
    }
    // Unknown schemes (v0, v2...) are ignored, as senders may add newer ones.
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

export function verifySignature(options: {
  header: string | string[] | undefined;
  rawBody: Buffer;
  /** Every secret currently valid (config.ts webhookSecrets). */
  secrets: readonly string[];
  nowSeconds?: number;
  toleranceSeconds?: number;
}): SignatureCheck {
  const { header, rawBody, secrets } = options;
  if (header === undefined || header === '') return { ok: false, reason: 'missing' };
  if (Array.isArray(header)) return { ok: false, reason: 'malformed' };
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - parsed.timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { ok: false, reason: 'expired' };
  // Every candidate is compared with every secret (no early exit), each in constant time; all are 32 bytes.
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(computeSignature(secret, parsed.timestamp, rawBody), 'hex');
    for (const candidate of parsed.signatures) {
      if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) matched = true;
    }
  }
  return matched ? { ok: true, timestamp: parsed.timestamp } : { ok: false, reason: 'mismatch' };
}
