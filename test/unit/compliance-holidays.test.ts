import { describe, expect, it } from 'vitest';
import {
  assertValidHolidaySettings,
  calendarCoverage,
  calendarDay,
  CN_OFFICIAL_CALENDAR_YEARS,
  ComplianceError,
  holidayName,
  isPublicHoliday,
  isWorkingDay,
  type ProfileWithHolidays,
} from '../../src/domain/compliance';

const cn: ProfileWithHolidays = { holidays: { calendar: 'CN' } };
const us: ProfileWithHolidays = { holidays: { calendar: 'US' } };
const california: ProfileWithHolidays = { holidays: { calendar: 'US', region: 'CA' } };
const england: ProfileWithHolidays = { holidays: { calendar: 'GB', region: 'ENG' } };
const none: ProfileWithHolidays = { holidays: { calendar: 'none' } };

describe('China official calendar', () => {
  it('has Spring Festival 2026: holidays 02-15..02-23, make-up working days 02-14 and 02-28', () => {
    for (let day = 15; day <= 23; day += 1) {
      const date = `2026-02-${day}`;
      expect(holidayName(date, cn), date).toBe('Spring Festival');
      expect(isWorkingDay(date, cn), date).toBe(false);
    }
    expect(holidayName('2026-02-24', cn)).toBeUndefined();
    expect(isWorkingDay('2026-02-24', cn)).toBe(true);
    for (const date of ['2026-02-14', '2026-02-28']) {
      expect(isWorkingDay(date, cn), date).toBe(true);
      expect(isPublicHoliday(date, cn), date).toBe(false);
      expect(calendarDay(date, cn)).toMatchObject({ weekday: 'Saturday', weekend: true, makeUpWorkingDay: 'make-up working day for Spring Festival' });
    }
  });

  it('covers 2024, 2025 and 2026 with make-up working days', () => {
    expect(holidayName('2024-02-10', cn)).toBe('Spring Festival');
    expect(isWorkingDay('2024-02-04', cn)).toBe(true); // Sunday, make-up
    expect(isWorkingDay('2024-10-12', cn)).toBe(true); // Saturday, make-up
    expect(holidayName('2025-01-28', cn)).toBe('Spring Festival');
    expect(isWorkingDay('2025-01-26', cn)).toBe(true); // Sunday, make-up
    expect(holidayName('2025-10-06', cn)).toBe('Mid-autumn Festival');
    expect(holidayName('2026-01-02', cn)).toBe("New Year's Day");
    expect(isWorkingDay('2026-01-04', cn)).toBe(true); // Sunday, make-up
    expect(holidayName('2026-10-07', cn)).toBe('National Day');
  });

  it('treats ordinary weekends as non-working days but not as holidays', () => {
    expect(calendarDay('2026-03-07', cn)).toEqual({ date: '2026-03-07', weekday: 'Saturday', weekend: true, workingDay: false });
    expect(isPublicHoliday('2026-03-08', cn)).toBe(false);
  });

  it('documents the covered range; missing years are plain Monday-Friday', () => {
    expect(CN_OFFICIAL_CALENDAR_YEARS.from).toBe(2004);
    expect(CN_OFFICIAL_CALENDAR_YEARS.to).toBeGreaterThanOrEqual(2026);
    expect(calendarCoverage(cn)).toMatchObject({ calendar: 'CN', years: CN_OFFICIAL_CALENDAR_YEARS });
    if (CN_OFFICIAL_CALENDAR_YEARS.to < 2027) {
      // 2027-02-06 is a Saturday around the 2027 Spring Festival; no official data yet.
      expect(isPublicHoliday('2027-02-08', cn)).toBe(false);
      expect(isWorkingDay('2027-02-08', cn)).toBe(true);
      expect(isWorkingDay('2027-02-06', cn)).toBe(false);
    }
  });
});

describe('date-holidays calendars', () => {
  it('uses public holidays only, including observed days', () => {
    expect(holidayName('2026-07-03', us)).toBe('Independence Day (substitute day)');
    expect(holidayName('2026-12-25', us)).toBe('Christmas Day');
    expect(holidayName('2026-12-24', us)).toBeUndefined(); // not a public holiday
    expect(isWorkingDay('2026-11-26', us)).toBe(false);
    expect(isWorkingDay('2026-11-27', us)).toBe(true);
    expect(isWorkingDay('2026-11-27', california)).toBe(false); // Day after Thanksgiving in CA
  });

  it('supports regions and the UK alias', () => {
    expect(holidayName('2026-08-31', england)).toBe('Summer bank holiday');
    expect(holidayName('2026-08-31', { holidays: { calendar: 'GB', region: 'SCT' } })).toBeUndefined();
    expect(holidayName('2026-12-28', { holidays: { calendar: 'uk' } })).toBe('Boxing Day (substitute day)');
  });

  it('has no make-up working days: weekends are not working days', () => {
    expect(isWorkingDay('2026-07-04', us)).toBe(false);
    expect(isWorkingDay('2026-07-05', us)).toBe(false);
    expect(isPublicHoliday('2026-07-05', us)).toBe(false);
    expect(calendarCoverage(england)).toMatchObject({ calendar: 'GB', region: 'ENG' });
  });

  it('counts every day of a multi-day holiday and ignores part-day entries', () => {
    const uae: ProfileWithHolidays = { holidays: { calendar: 'AE' } };
    const eid = ['2026-03-20', '2026-03-21', '2026-03-22'];
    for (const date of eid) expect(isPublicHoliday(date, uae), date).toBe(true);
    // Iceland's Christmas Eve is a public holiday from 13:00 only: not a whole day off.
    const iceland: ProfileWithHolidays = { holidays: { calendar: 'IS' } };
    expect(holidayName('2026-12-24', iceland)).toBeUndefined();
    expect(holidayName('2026-12-25', iceland)).toBeDefined();
  });
});

describe('overrides, "none" and validation', () => {
  it('lets extraHolidays and extraWorkingDays override the calendar (holiday wins when both)', () => {
    const bank: ProfileWithHolidays = { holidays: { calendar: 'CN', extraHolidays: ['2026-03-03', '2026-03-05'], extraWorkingDays: ['2026-02-16', '2026-03-08', '2026-03-05'] } };
    expect(holidayName('2026-03-03', bank)).toBe('holiday set by the policy');
    expect(isWorkingDay('2026-02-16', bank)).toBe(true);
    expect(isPublicHoliday('2026-02-16', bank)).toBe(false);
    expect(calendarDay('2026-03-08', bank)).toMatchObject({ workingDay: true, makeUpWorkingDay: 'working day set by the policy' });
    expect(isWorkingDay('2026-03-05', bank)).toBe(false);
  });

  it('calendar "none": no holidays, every day a working day, extra holidays still apply', () => {
    expect(isWorkingDay('2026-02-17', none)).toBe(true);
    expect(isWorkingDay('2026-03-08', none)).toBe(true);
    expect(holidayName('2026-02-17', none)).toBeUndefined();
    expect(holidayName('2026-03-03', { holidays: { calendar: 'None', extraHolidays: ['2026-03-03'] } })).toBe('holiday set by the policy');
  });

  it('rejects unknown calendars, regions and bad dates', () => {
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
        return undefined;
      } catch (error) {
        return error instanceof ComplianceError ? error.code : 'other';
      }
    };
    expect(codeOf(() => assertValidHolidaySettings({ calendar: 'Narnia' }))).toBe('UNKNOWN_CALENDAR');
    expect(codeOf(() => assertValidHolidaySettings({ calendar: 'US', region: 'ZZ' }))).toBe('UNKNOWN_CALENDAR');
    expect(codeOf(() => assertValidHolidaySettings({ calendar: 'CN', extraHolidays: ['2026-02-30'] }))).toBe('INVALID_DATE');
    expect(codeOf(() => assertValidHolidaySettings({ calendar: 'GB', region: 'eng' }))).toBeUndefined();
    expect(codeOf(() => isWorkingDay('26-03-01', cn))).toBe('INVALID_DATE');
  });
});
