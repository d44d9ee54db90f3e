import { currencyDecimals, formatMajorUnits } from '../shared/money';

/** Display formatting for the console (server-rendered; the browser formats nothing). */

const LOCALE = 'en';
const formatters = new Map<string, Intl.NumberFormat>();

/** 1234567 CNY -> "CN¥12,345.67"; minor units become major ones per the currency's ISO 4217 decimals. */
export function money(minor: number | undefined, currency: string | undefined): string {
  if (minor === undefined) return '—';
  if (!currency) return `${minor} (minor units)`;
  let formatter = formatters.get(currency);
  if (!formatter) {
    // The decimals come from src/shared/money (ISO 4217), not from the runtime's locale data.
    const decimals = currencyDecimals(currency);
    formatter = new Intl.NumberFormat(LOCALE, { style: 'currency', currency, minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    formatters.set(currency, formatter);
  }
  // The exact decimal text, not a float: Intl.NumberFormat formats numeric strings without rounding them through a double.
  return formatter.format(formatMajorUnits(minor, currency) as unknown as number);
}

/** A rate 0..1 as a percentage with one decimal ("12.5%"); "n/a" when undefined (as the CLI says). */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return 'n/a';
  return `${(rate * 100).toFixed(1)}%`;
}

export const words = (value: string | undefined): string => value?.replace(/_/g, ' ') ?? '';

/** "2026-11-28T10:00:00.000Z" -> "2026-11-28 10:00 UTC". */
export function instant(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
