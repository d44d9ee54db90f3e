import { data as isoCurrencies } from 'currency-codes';

/**
 * Money is an integer count of minor units plus an ISO 4217 currency. Never floats:
 * amounts in major units (CSV, CLI) are parsed from their decimal text exactly.
 *
 * Minor units come from the ISO 4217 table (list one, shipped by the `currency-codes`
 * package), never from the runtime's Intl/ICU data: ICU gives HUF and IDR 0 decimals for
 * display, while ISO 4217 (and the banks' ledgers) count them in 2.
 */

/** ISO 4217 code -> decimals of its minor unit (CNY 2, JPY 0, KWD 3, HUF 2, IDR 2). */
const MINOR_UNIT_DIGITS: ReadonlyMap<string, number> = new Map(isoCurrencies.map((c) => [c.code, c.digits]));

export function isKnownCurrency(code: string): boolean {
  return MINOR_UNIT_DIGITS.has(code);
}

/** Number of decimals of a currency's minor unit (CNY 2, JPY 0, KWD 3). Throws for a code outside ISO 4217. */
export function currencyDecimals(currency: string): number {
  const digits = MINOR_UNIT_DIGITS.get(currency);
  if (digits === undefined) throw new MoneyFormatError(`${currency} is not an ISO 4217 currency`);
  return digits;
}

export class MoneyFormatError extends Error {
  override readonly name = 'MoneyFormatError';
}

/** Raised when a sum of minor units would pass Number.MAX_SAFE_INTEGER (beyond it integers are no longer exact). */
export class MoneyOverflowError extends Error {
  override readonly name = 'MoneyOverflowError';
}

/** Adds amounts of minor units exactly; refuses a sum beyond Number.MAX_SAFE_INTEGER. */
export function addMinor(...amounts: number[]): number {
  let sum = 0;
  for (const amount of amounts) {
    sum += amount;
    if (!Number.isSafeInteger(sum)) throw new MoneyOverflowError(`the sum passes ${Number.MAX_SAFE_INTEGER} minor units`);
  }
  return sum;
}

/** Parses "12345.67" into 1234567 for a 2-decimal currency; rejects more decimals than the currency has. */
export function parseMajorUnits(text: string, currency: string): number {
  const trimmed = text.trim();
  const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(trimmed);
  if (!match) throw new MoneyFormatError(`"${text}" is not a decimal amount`);
  const [, sign, whole = '', fraction = ''] = match;
  const decimals = currencyDecimals(currency);
  if (fraction.length > decimals) {
    throw new MoneyFormatError(`"${text}" has more than ${decimals} decimals for ${currency}`);
  }
  const minor = BigInt(whole + fraction.padEnd(decimals, '0'));
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new MoneyFormatError(`"${text}" is too large`);
  const value = Number(minor);
  return sign ? -value : value;
}

/** Formats minor units as a plain decimal string in major units: 1234567 CNY -> "12345.67". */
export function formatMajorUnits(minor: number, currency: string): string {
  const decimals = MINOR_UNIT_DIGITS.get(currency) ?? 2;
  const negative = minor < 0;
  const digits = Math.abs(minor).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = decimals > 0 ? `.${digits.slice(digits.length - decimals)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}
