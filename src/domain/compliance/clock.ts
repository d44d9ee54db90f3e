import { DateTime, IANAZone } from 'luxon';
import { ComplianceError } from './errors';

/**
 * Wall-clock arithmetic in the debtor's IANA time zone, built on luxon's zone data.
 *
 * Everything is a UTC epoch in milliseconds; a "wall" value is the local date and time
 * of an instant re-read as if it were UTC (instant + offset). Nothing here reads the
 * machine's time zone, locale or clock. DST is handled explicitly: a local time can
 * occur zero times (spring-forward gap), once, or twice (fall-back overlap).
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Offsets are sampled this far apart when looking for DST transitions (none are closer). */
const TRANSITION_SCAN_STEP_MS = 6 * HOUR_MS;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** ISO-8601 date-time that ends with an explicit offset: Z, +08, +0800 or +08:00. */
const ISO_INSTANT_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T[\d:.,]+(Z|[+-]\d{2}(:?\d{2})?)$/i;

const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/** Parses an ISO-8601 instant that carries an offset; `what` names it in the error. */
export function parseInstant(text: string, what: string): number {
  if (typeof text !== 'string' || !ISO_INSTANT_WITH_OFFSET.test(text)) {
    throw new ComplianceError('INVALID_INSTANT', `${what} must be an ISO-8601 instant with an offset (e.g. "2026-02-24T08:00:00+08:00"), got ${JSON.stringify(text)}`);
  }
  const parsed = DateTime.fromISO(text, { setZone: true });
  if (!parsed.isValid) {
    throw new ComplianceError('INVALID_INSTANT', `${what} is not a valid instant: ${JSON.stringify(text)} (${parsed.invalidExplanation ?? parsed.invalidReason ?? 'invalid'})`);
  }
  return parsed.toMillis();
}

/** Checks a `yyyy-mm-dd` calendar date and returns its parts. */
export function parseIsoDate(date: string): { year: number; month: number; day: number } {
  const match = typeof date === 'string' ? ISO_DATE.exec(date) : null;
  if (match) {
    const year = Number(match[1]);
    const month = Number(match[2]);
    const day = Number(match[3]);
    const utc = new Date(Date.UTC(year, month - 1, day));
    if (utc.getUTCFullYear() === year && utc.getUTCMonth() === month - 1 && utc.getUTCDate() === day) return { year, month, day };
  }
  throw new ComplianceError('INVALID_DATE', `expected a calendar date "yyyy-mm-dd", got ${JSON.stringify(date)}`);
}

/** Midnight UTC of a calendar date: the "wall" value of that date's 00:00. */
function wallOfDate(date: string): number {
  const { year, month, day } = parseIsoDate(date);
  return Date.UTC(year, month - 1, day);
}

/** The calendar date `days` after `date` (plain date arithmetic, no zone involved). */
export function addDays(date: string, days: number): string {
  return isoDateOfWall(wallOfDate(date) + days * DAY_MS);
}

/** ISO weekday of a calendar date: 1 = Monday ... 7 = Sunday. */
export function weekdayOf(date: string): number {
  const sundayZero = new Date(wallOfDate(date)).getUTCDay();
  return sundayZero === 0 ? 7 : sundayZero;
}

export function weekdayName(date: string): string {
  return WEEKDAY_NAMES[weekdayOf(date) - 1] ?? '?';
}

function isoDateOfWall(wall: number): string {
  return new Date(wall).toISOString().slice(0, 10);
}

const zones = new Map<string, IANAZone>();

function zoneFor(timezone: string): IANAZone {
  let zone = zones.get(timezone);
  if (!zone) {
    if (typeof timezone !== 'string' || !IANAZone.isValidZone(timezone)) {
      throw new ComplianceError('INVALID_TIMEZONE', `${JSON.stringify(timezone)} is not an IANA time zone (e.g. "Asia/Shanghai")`);
    }
    zone = IANAZone.create(timezone);
    zones.set(timezone, zone);
  }
  return zone;
}

/** The debtor's clock: local dates and times of instants in one IANA zone. */
export class LocalClock {
  private readonly zone: IANAZone;

  constructor(readonly timezone: string) {
    this.zone = zoneFor(timezone);
  }

  /** UTC offset at an instant, in minutes. */
  offsetMinutes(at: number): number {
    return this.zone.offset(at);
  }

  /** The local date and time of `at`, re-read as UTC. */
  wall(at: number): number {
    return at + this.offsetMinutes(at) * MINUTE_MS;
  }

  /** Local calendar date `yyyy-mm-dd`. */
  dateOf(at: number): string {
    return isoDateOfWall(this.wall(at));
  }

  /** Milliseconds since local midnight by the wall clock (0 .. 86_399_999). */
  timeOfDay(at: number): number {
    const wall = this.wall(at);
    return ((wall % DAY_MS) + DAY_MS) % DAY_MS;
  }

  /**
   * Every instant whose local date is `date` and local time is `minutes` after midnight:
   * none inside a spring-forward gap, two inside a fall-back overlap. Ascending.
   */
  occurrences(date: string, minutes: number): number[] {
    const wall = wallOfDate(date) + minutes * MINUTE_MS;
    const offsets = new Set([this.offsetMinutes(wall - DAY_MS), this.offsetMinutes(wall), this.offsetMinutes(wall + DAY_MS)]);
    const found: number[] = [];
    for (const offset of offsets) {
      const at = wall - offset * MINUTE_MS;
      if (this.offsetMinutes(at) === offset && !found.includes(at)) found.push(at);
    }
    return found.sort((a, b) => a - b);
  }

  /** Instants in (from, to] at which the zone's offset changes (DST starts or ends). */
  transitionsBetween(from: number, to: number): number[] {
    const found: number[] = [];
    let previous = from;
    let previousOffset = this.offsetMinutes(from);
    while (previous < to) {
      const next = Math.min(previous + TRANSITION_SCAN_STEP_MS, to);
      const nextOffset = this.offsetMinutes(next);
      if (nextOffset !== previousOffset) {
        // Binary search for the first millisecond with the new offset.
        let low = previous;
        let high = next;
        while (high - low > 1) {
          const middle = Math.floor((low + high) / 2);
          if (this.offsetMinutes(middle) === previousOffset) low = middle;
          else high = middle;
        }
        found.push(high);
      }
      previous = next;
      previousOffset = nextOffset;
    }
    return found;
  }

  /**
   * The first instant whose local date is `date` or later: local midnight, or, where
   * midnight falls in a DST gap (some zones switch at 00:00), the end of that gap.
   */
  startOfDay(date: string): number {
    const midnights = this.occurrences(date, 0);
    if (midnights[0] !== undefined) return midnights[0];
    const wall = wallOfDate(date);
    for (const transition of this.transitionsBetween(wall - 16 * HOUR_MS, wall + 16 * HOUR_MS)) {
      if (this.dateOf(transition) >= date && this.dateOf(transition - 1) < date) return transition;
    }
    /* c8 ignore next */
    throw new ComplianceError('INVALID_TIMEZONE', `cannot find the start of ${date} in ${this.timezone}`);
  }

  /** "2026-02-24 08:00" (seconds only when not zero), local wall time. */
  formatLocal(at: number): string {
    const text = new Date(this.wall(at)).toISOString();
    const seconds = text.slice(17, 19);
    return `${text.slice(0, 10)} ${text.slice(11, 16)}${seconds === '00' ? '' : `:${seconds}`}`;
  }

  /** "08:00" local wall time. */
  formatTime(at: number): string {
    return new Date(this.wall(at)).toISOString().slice(11, 16);
  }

  /** ISO-8601 with the local offset, e.g. "2026-02-24T08:00:00+08:00". */
  toIso(at: number): string {
    const text = DateTime.fromMillis(at, { zone: this.zone }).toISO({ suppressMilliseconds: true });
    /* c8 ignore next */
    if (!text) throw new ComplianceError('INVALID_INSTANT', `cannot format ${at} in ${this.timezone}`);
    return text;
  }
}
