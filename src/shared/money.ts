/**
 * Money is an integer count of minor units plus an ISO 4217 currency. Never floats:
 * amounts in major units (CSV, CLI) are parsed from their decimal text exactly.
 */

let knownCurrencies: Set<string> | undefined;

export function isKnownCurrency(code: string): boolean {
  knownCurrencies ??= new Set(Intl.supportedValuesOf('currency'));
  return knownCurrencies.has(code);
}

/** Number of decimals of a currency's minor unit (CNY 2, JPY 0, KWD 3). */
export function currencyDecimals(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

export class MoneyFormatError extends Error {
  override readonly name = 'MoneyFormatError';
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
  const decimals = currencyDecimals(currency);
  const negative = minor < 0;
  const digits = Math.abs(minor).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = decimals > 0 ? `.${digits.slice(digits.length - decimals)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}
