/**
 * The compliance calendar: pure functions that decide the earliest instant a contact may
 * happen under a jurisdiction profile (contact window, public holidays with China's
 * make-up working days, working days for letters, frequency caps). Deterministic and
 * free of I/O, so a workflow may call them directly.
 */
export { nextAllowedContact, isContactAllowed } from './next-allowed';
export {
  isWorkingDay,
  holidayName,
  isPublicHoliday,
  calendarDay,
  calendarCoverage,
  assertValidHolidaySettings,
  CN_OFFICIAL_CALENDAR_YEARS,
  POLICY_HOLIDAY_NAME,
  type CalendarDay,
  type CalendarCoverage,
  type HolidaySettings,
  type ProfileWithHolidays,
} from './holidays';
export { BUSINESS_HOURS, parseWindow, type DailyWindow } from './contact-window';
export { DEFERRAL_RULES, MAX_SEARCH_DAYS, type DeferralRule } from './rules';
export { ComplianceError, type ComplianceErrorCode } from './errors';
