import type { DateRange } from './search-values';

/**
 * FHIR date search values as ranges of instants. A value stands for every instant its precision
 * leaves open (`2020` is the whole year), which is how R4 compares dates (search.html#date).
 * Ranges use the same form as stored search values: inclusive ISO 8601 UTC instants, ms precision.
 */

export type DatePrecision = 'year' | 'month' | 'day' | 'minute' | 'second' | 'millisecond';

export interface ParsedDate {
  readonly range: DateRange;
  readonly precision: DatePrecision;
}

export const MIN_INSTANT = '0001-01-01T00:00:00.000Z';
export const MAX_INSTANT = '9999-12-31T23:59:59.999Z';
const MIN_MS = Date.parse(MIN_INSTANT);
const MAX_MS = Date.parse(MAX_INSTANT);

// yyyy[-mm[-dd[Thh:mm[:ss[.fff…]][Z|±hh:mm]]]]: no nested quantifiers, so matching stays linear.
const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * Parses a search date (`2013`, `2013-01`, `2013-01-14`, `2013-01-14T10:00`, `…T10:00:00.5+01:00`).
 * Returns undefined when it is not one, or names no real calendar day or time.
 * A time without a zone is taken as UTC (R4 says "the server's zone"; ours is UTC).
 */
export function parseSearchDate(text: string): ParsedDate | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  if (year < 1) return undefined;
  const month = mo === undefined ? 1 : Number(mo);
  const day = d === undefined ? 1 : Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const offset = zone === undefined ? 0 : zoneOffsetMinutes(zone);
  if (offset === undefined) return undefined;

  let precision: DatePrecision;
  let width: (start: number) => number; // first instant after the range, from its (local) start
  if (fraction !== undefined) {
    precision = 'millisecond';
    // `.5` covers 500–599 ms; digits beyond milliseconds narrow it to one millisecond.
    const stepMs = 10 ** Math.max(0, 3 - fraction.length);
    width = (start) => start + stepMs;
  } else if (s !== undefined) {
    precision = 'second';
    width = (start) => start + 1000;
  } else if (h !== undefined) {
    precision = 'minute';
    width = (start) => start + 60_000;
  } else if (d !== undefined) {
    precision = 'day';
    width = () => utcMillis(year, month, day + 1);
  } else if (mo !== undefined) {
    precision = 'month';
    width = () => utcMillis(year, month + 1, 1);
  } else {
    precision = 'year';
    width = () => utcMillis(year + 1, 1, 1);
  }
  const ms = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  const localStart = utcMillis(year, month, day, hour, minute, second, ms);
  const shift = offset * 60_000;
  return { precision, range: { start: toInstant(localStart - shift), end: toInstant(width(localStart) - 1 - shift) } };
}

/** An instant as the stored form, clamped to the years FHIR can express. */
export function toInstant(ms: number): string {
  return new Date(Math.min(MAX_MS, Math.max(MIN_MS, ms))).toISOString();
}

/** Milliseconds of a stored instant; NaN when it is not one. */
export function instantMillis(instant: unknown): number {
  return typeof instant === 'string' ? Date.parse(instant) : Number.NaN;
}

// Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
function utcMillis(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}

function daysInMonth(year: number, month: number): number {
  return new Date(utcMillis(year, month + 1, 0)).getUTCDate();
}

function zoneOffsetMinutes(zone: string): number | undefined {
  if (zone === 'Z') return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 14 || minutes > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}
