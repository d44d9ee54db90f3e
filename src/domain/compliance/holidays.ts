import Holidays from 'date-holidays';
import chineseDaysData from 'chinese-days/dist/chinese-days.json';
import { addDays, HOUR_MS, parseIsoDate, weekdayName, weekdayOf } from './clock';
import { ComplianceError } from './errors';

/**
 * Public holidays and working days, per calendar date (a date is already local to the
 * debtor; no time zone is involved here).
 *
 * Calendars (`profile.holidays.calendar`, case-insensitive):
 *
 * - `"CN"`: China's official State Council calendar, public holidays *and* make-up working
 *   days (调休, e.g. Saturday 2026-02-14 is a working day). Data: the `chinese-days` package
 *   (`dist/chinese-days.json`, compiled from the State Council's yearly notices), which
 *   covers 2004 through {@link CN_OFFICIAL_CALENDAR_YEARS}.to (2026 in chinese-days
 *   1.5.7). Years outside that range are treated as plain Monday-Friday weeks with no
 *   public holidays: the State Council publishes each year's arrangement only around
 *   November of the year before, so the 2027 dates are not shipped here. Upgrading
 *   `chinese-days` extends the range automatically. We read the package's bundled JSON
 *   rather than calling `isWorkday()`/`getDayDetail()`, because those parse dates with
 *   the machine's time zone and return the wrong day west of UTC.
 * - Any other ISO 3166 country code (`"US"`, `"GB"`, `"JP"`...; `"UK"` is accepted for
 *   `"GB"`), with an optional `region` (a state/subdivision code such as `"CA"` or
 *   `"ENG"`): the `date-holidays` package, holidays of type "public" only (bank, school,
 *   optional and observance days are not public holidays). Part-day entries (e.g. a
 *   half-day starting at noon) are ignored; multi-day holidays count every day. These
 *   calendars have no make-up working days.
 * - `"none"`: no public holidays, and every day (weekends included) is a working day.
 *
 * Working days: Monday-Friday unless a public holiday, plus make-up working days.
 * Saturdays and Sundays are not working days (that matters for letters and legal steps),
 * but they are not public holidays either: calls and SMS may go out on an ordinary
 * weekend under every calendar; only public holidays (with behaviour "reduced") stop them.
 *
 * The profile's `extraHolidays` and `extraWorkingDays` override the calendar (a date in
 * both lists is a holiday: the cautious reading).
 */

/** What the holiday functions read from a profile (a `ComplianceProfile` fits). */
export interface HolidaySettings {
  calendar: string;
  region?: string | undefined;
  extraHolidays?: readonly string[] | undefined;
  extraWorkingDays?: readonly string[] | undefined;
}

export interface ProfileWithHolidays {
  holidays: HolidaySettings;
}

export interface CalendarDay {
  date: string;
  /** "Monday" ... "Sunday". */
  weekday: string;
  weekend: boolean;
  /** Name of the public holiday on that date, if any. */
  holiday?: string;
  /** Set when a Saturday/Sunday is an official working day (调休) or a policy extra working day. */
  makeUpWorkingDay?: string;
  workingDay: boolean;
}

export interface CalendarCoverage {
  calendar: string;
  region?: string;
  source: string;
  /** Years with official data; outside them the calendar has no holidays. Absent: every year (rule-based or "none"). */
  years?: { from: number; to: number };
}

/** Name given to a date of the profile's `extraHolidays`. */
export const POLICY_HOLIDAY_NAME = 'holiday set by the policy';
const POLICY_WORKING_DAY_NAME = 'working day set by the policy';

// ---------------------------------------------------------------- China (chinese-days)

interface ChineseDaysData {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}

function loadChineseDays(data: unknown): ChineseDaysData {
  const candidate = data as Partial<ChineseDaysData> | null;
  if (!candidate || typeof candidate.holidays !== 'object' || typeof candidate.workdays !== 'object') {
    throw new ComplianceError('UNKNOWN_CALENDAR', 'chinese-days/dist/chinese-days.json no longer has "holidays" and "workdays"; check the chinese-days version');
  }
  return { holidays: candidate.holidays as Record<string, string>, workdays: candidate.workdays as Record<string, string> };
}

const CN_DATA = loadChineseDays(chineseDaysData);

function yearRange(dates: string[]): { from: number; to: number } {
  const years = dates.map((date) => Number(date.slice(0, 4)));
  return { from: Math.min(...years), to: Math.max(...years) };
}

/** Years of China's official calendar shipped with chinese-days (2004-2026 in 1.5.7). */
export const CN_OFFICIAL_CALENDAR_YEARS: Readonly<{ from: number; to: number }> = Object.freeze(yearRange(Object.keys(CN_DATA.holidays)));

/** "Spring Festival,春节,4" -> "Spring Festival". */
function chineseDaysName(raw: string): string {
  return raw.split(',')[0]?.trim() || raw;
}

// ---------------------------------------------------------------- calendar resolution

type ResolvedCalendar =
  | { kind: 'none'; key: string }
  | { kind: 'cn'; key: string }
  | { kind: 'date-holidays'; key: string; country: string; state?: string; engine: Holidays };

const DATE_HOLIDAYS_OPTIONS = { languages: ['en'], types: ['public' as const] };
const COUNTRY_ALIASES: Record<string, string> = { UK: 'GB' };

let directory: Holidays | undefined;
const resolvedCalendars = new Map<string, ResolvedCalendar>();

function resolveCalendar(settings: HolidaySettings): ResolvedCalendar {
  const rawCalendar = typeof settings.calendar === 'string' ? settings.calendar.trim() : '';
  const rawRegion = settings.region?.trim() || undefined;
  const cacheKey = `${rawCalendar}|${rawRegion ?? ''}`;
  const cached = resolvedCalendars.get(cacheKey);
  if (cached) return cached;

  let resolved: ResolvedCalendar;
  const upper = rawCalendar.toUpperCase();
  if (upper === 'NONE') {
    resolved = { kind: 'none', key: 'none' };
  } else if (upper === 'CN') {
    // The official calendar is national; a region does not change it.
    resolved = { kind: 'cn', key: 'CN' };
  } else {
    directory ??= new Holidays();
    const country = COUNTRY_ALIASES[upper] ?? upper;
    const countries = directory.getCountries('en');
    if (!/^[A-Z]{2}$/.test(country) || !countries[country]) {
      throw new ComplianceError('UNKNOWN_CALENDAR', `unknown holiday calendar ${JSON.stringify(settings.calendar)}: use "CN", "none" or an ISO 3166 country code known to date-holidays (e.g. "US", "GB")`);
    }
    let state: string | undefined;
    if (rawRegion) {
      const states = directory.getStates(country, 'en') ?? {};
      state = Object.keys(states).find((code) => code.toUpperCase() === rawRegion.toUpperCase());
      if (!state) {
        const known = Object.keys(states);
        throw new ComplianceError(
          'UNKNOWN_CALENDAR',
          `unknown region ${JSON.stringify(rawRegion)} for holiday calendar ${country}${known.length ? ` (known: ${known.slice(0, 30).join(', ')}${known.length > 30 ? ', ...' : ''})` : ' (it has no regions)'}`,
        );
      }
    }
    const engine = state ? new Holidays(country, state, DATE_HOLIDAYS_OPTIONS) : new Holidays(country, DATE_HOLIDAYS_OPTIONS);
    resolved = state ? { kind: 'date-holidays', key: `${country}-${state}`, country, state, engine } : { kind: 'date-holidays', key: country, country, engine };
  }
  resolvedCalendars.set(cacheKey, resolved);
  return resolved;
}

// ---------------------------------------------------------------- per-year tables (cached)

interface YearTable {
  /** date -> holiday name */
  holidays: Map<string, string>;
  /** date -> name of the holiday a make-up working day belongs to */
  workdays: Map<string, string>;
}

const EMPTY_YEAR: YearTable = { holidays: new Map(), workdays: new Map() };
const MAX_CACHED_YEARS = 512;
const yearTables = new Map<string, YearTable>();

function yearTable(calendar: ResolvedCalendar, year: number): YearTable {
  if (calendar.kind === 'none') return EMPTY_YEAR;
  const key = `${calendar.key}|${year}`;
  let table = yearTables.get(key);
  if (!table) {
    table = calendar.kind === 'cn' ? chineseYear(year) : dateHolidaysYear(calendar.engine, year);
    if (yearTables.size >= MAX_CACHED_YEARS) yearTables.clear();
    yearTables.set(key, table);
  }
  return table;
}

function chineseYear(year: number): YearTable {
  const prefix = `${year}-`;
  const holidays = new Map<string, string>();
  const workdays = new Map<string, string>();
  for (const [date, raw] of Object.entries(CN_DATA.holidays)) if (date.startsWith(prefix)) holidays.set(date, chineseDaysName(raw));
  for (const [date, raw] of Object.entries(CN_DATA.workdays)) if (date.startsWith(prefix)) workdays.set(date, chineseDaysName(raw));
  return { holidays, workdays };
}

function dateHolidaysYear(engine: Holidays, year: number): YearTable {
  const prefix = `${year}-`;
  const holidays = new Map<string, string>();
  // A multi-day holiday that starts in December of the year before can reach into this year.
  for (const holiday of [...engine.getHolidays(year - 1), ...engine.getHolidays(year)]) {
    if (holiday.type !== 'public') continue;
    const [datePart, timePart] = holiday.date.split(' ');
    if (!datePart || timePart !== '00:00:00') continue; // part-day entries (from noon, evening)
    const hours = (holiday.end.getTime() - holiday.start.getTime()) / HOUR_MS;
    if (!(hours >= 20)) continue;
    const days = Math.max(1, Math.round(hours / 24));
    for (let offset = 0; offset < days; offset += 1) {
      const date = addDays(datePart, offset);
      if (!date.startsWith(prefix)) continue;
      const existing = holidays.get(date);
      if (existing === undefined) holidays.set(date, holiday.name);
      else if (!existing.split(' / ').includes(holiday.name)) holidays.set(date, `${existing} / ${holiday.name}`);
    }
  }
  return { holidays, workdays: new Map() };
}

// ---------------------------------------------------------------- public helpers

/** Everything the calendar says about one local date (`yyyy-mm-dd`). */
export function calendarDay(date: string, profile: ProfileWithHolidays): CalendarDay {
  const { year } = parseIsoDate(date);
  const settings = profile.holidays;
  const weekday = weekdayOf(date);
  const weekend = weekday >= 6;
  const base = { date, weekday: weekdayName(date), weekend };

  if (settings.extraHolidays?.includes(date)) return { ...base, holiday: POLICY_HOLIDAY_NAME, workingDay: false };
  if (settings.extraWorkingDays?.includes(date)) {
    return weekend ? { ...base, makeUpWorkingDay: POLICY_WORKING_DAY_NAME, workingDay: true } : { ...base, workingDay: true };
  }

  const calendar = resolveCalendar(settings);
  if (calendar.kind === 'none') return { ...base, workingDay: true };
  const table = yearTable(calendar, year);
  const makeUpFor = table.workdays.get(date);
  if (makeUpFor !== undefined) {
    return weekend ? { ...base, makeUpWorkingDay: `make-up working day for ${makeUpFor}`, workingDay: true } : { ...base, workingDay: true };
  }
  const holiday = table.holidays.get(date);
  if (holiday !== undefined) return { ...base, holiday, workingDay: false };
  return { ...base, workingDay: !weekend };
}

/**
 * Whether letters and legal steps may go out on this local date: Monday-Friday unless a
 * public holiday, plus make-up working days (调休) and the profile's extra working days.
 * Under calendar "none" every day is a working day.
 */
export function isWorkingDay(date: string, profile: ProfileWithHolidays): boolean {
  return calendarDay(date, profile).workingDay;
}

/** The public holiday on this local date (including the profile's extra holidays), or undefined. */
export function holidayName(date: string, profile: ProfileWithHolidays): string | undefined {
  return calendarDay(date, profile).holiday;
}

export function isPublicHoliday(date: string, profile: ProfileWithHolidays): boolean {
  return calendarDay(date, profile).holiday !== undefined;
}

/**
 * Throws `ComplianceError('UNKNOWN_CALENDAR' | 'INVALID_DATE')` for a calendar, region or
 * extra date this module cannot use. Meant for policy loading, so a bad file stops start-up.
 */
export function assertValidHolidaySettings(settings: HolidaySettings): void {
  resolveCalendar(settings);
  for (const date of settings.extraHolidays ?? []) parseIsoDate(date);
  for (const date of settings.extraWorkingDays ?? []) parseIsoDate(date);
}

/** Where a profile's holidays come from and which years have data. */
export function calendarCoverage(profile: ProfileWithHolidays): CalendarCoverage {
  const calendar = resolveCalendar(profile.holidays);
  switch (calendar.kind) {
    case 'none':
      return { calendar: 'none', source: 'no public holidays; every day is a working day (extraHolidays still apply)' };
    case 'cn':
      return {
        calendar: 'CN',
        source: 'chinese-days (State Council holiday arrangements, with make-up working days); other years are plain Monday-Friday',
        years: { ...CN_OFFICIAL_CALENDAR_YEARS },
      };
    case 'date-holidays':
      return {
        calendar: calendar.country,
        ...(calendar.state ? { region: calendar.state } : {}),
        source: 'date-holidays (rule-based, public holidays only, every year)',
      };
  }
}
