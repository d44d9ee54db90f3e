import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyDecimals, formatMajorUnits, isKnownCurrency, MoneyFormatError, parseMajorUnits } from '../../src/shared/money';

describe('parseMajorUnits', () => {
  it('parses decimal text exactly into minor units', () => {
    expect(parseMajorUnits('12345.67', 'CNY')).toBe(1_234_567);
    expect(parseMajorUnits('1000.00', 'CNY')).toBe(100_000);
    expect(parseMajorUnits('1000', 'CNY')).toBe(100_000);
    expect(parseMajorUnits('0.1', 'CNY')).toBe(10);
    expect(parseMajorUnits('0.07', 'USD')).toBe(7);
    expect(parseMajorUnits(' 42.5 ', 'EUR')).toBe(4_250);
    expect(parseMajorUnits('00012.30', 'CNY')).toBe(1_230);
  });

  it('never goes through binary floating point (values floats get wrong)', () => {
    // 0.29 * 100 === 28.999999999999996 and 1.005 * 100 === 100.49999999999999 in floats.
    expect(parseMajorUnits('0.29', 'CNY')).toBe(29);
    expect(parseMajorUnits('19.99', 'CNY')).toBe(1_999);
    expect(parseMajorUnits('1.005', 'KWD')).toBe(1_005);
    expect(parseMajorUnits('90071992547409.91', 'CNY')).toBe(9_007_199_254_740_991);
  });

  it('uses the decimals of the currency', () => {
    expect(currencyDecimals('CNY')).toBe(2);
    expect(currencyDecimals('JPY')).toBe(0);
    expect(currencyDecimals('KWD')).toBe(3);
    expect(parseMajorUnits('1500', 'JPY')).toBe(1_500);
    expect(parseMajorUnits('1.234', 'KWD')).toBe(1_234);
    expect(parseMajorUnits('1.2', 'KWD')).toBe(1_200);
  });

  it('rejects more decimals than the currency has', () => {
    expect(() => parseMajorUnits('12.345', 'CNY')).toThrow(MoneyFormatError);
    expect(() => parseMajorUnits('12.345', 'CNY')).toThrow(/more than 2 decimals for CNY/);
    expect(() => parseMajorUnits('1500.5', 'JPY')).toThrow(/more than 0 decimals/);
  });

  it('rejects anything that is not a plain decimal number', () => {
    for (const text of ['', ' ', 'abc', '1,000.00', '1.000,00', '1e3', '0x10', '+5', '.5', '5.', '1 000', '¥100', 'NaN', 'Infinity', '--1']) {
      expect(() => parseMajorUnits(text, 'CNY'), text).toThrow(MoneyFormatError);
    }
  });

  it('keeps the sign of negative amounts (callers decide whether they are allowed)', () => {
    expect(parseMajorUnits('-150.00', 'CNY')).toBe(-15_000);
  });

  it('rejects amounts beyond the safe integer range', () => {
    expect(() => parseMajorUnits('90071992547409.92', 'CNY')).toThrow(/too large/);
    expect(() => parseMajorUnits('99999999999999999999', 'JPY')).toThrow(/too large/);
  });

  it('round-trips with formatMajorUnits for every safe amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom('CNY', 'JPY', 'KWD', 'USD'), (minor, currency) => {
        expect(parseMajorUnits(formatMajorUnits(minor, currency), currency)).toBe(minor);
      }),
    );
  });
});

describe('formatMajorUnits', () => {
  it('formats minor units as plain major-unit text', () => {
    expect(formatMajorUnits(1_234_567, 'CNY')).toBe('12345.67');
    expect(formatMajorUnits(5, 'CNY')).toBe('0.05');
    expect(formatMajorUnits(0, 'CNY')).toBe('0.00');
    expect(formatMajorUnits(-15_000, 'CNY')).toBe('-150.00');
    expect(formatMajorUnits(1_500, 'JPY')).toBe('1500');
    expect(formatMajorUnits(1_234, 'KWD')).toBe('1.234');
  });
});

describe('isKnownCurrency', () => {
  it('knows ISO 4217 codes and nothing else', () => {
    expect(isKnownCurrency('CNY')).toBe(true);
    expect(isKnownCurrency('USD')).toBe(true);
    expect(isKnownCurrency('XYZ')).toBe(false);
    expect(isKnownCurrency('cny')).toBe(false);
  });
});
