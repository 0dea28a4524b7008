import type { DateRange } from '../search-values';

/** The open ends of a range: FHIR's smallest and largest instants. */
export const openStart = '0001-01-01T00:00:00.000Z';
export const openEnd = '9999-12-31T23:59:59.999Z';

const pattern = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** Milliseconds since the epoch of a UTC date-time; years below 100 are meant literally, unlike Date.UTC's. */
function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, millisecond = 0): number {
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millisecond));
  date.setUTCFullYear(year + Math.floor((month - 1) / 12), (month - 1) % 12, day);
  return date.getTime();
}

function iso(time: number): string {
  if (time < Date.parse(openStart)) return openStart;
  if (time > Date.parse(openEnd)) return openEnd;
  return new Date(time).toISOString();
}

/**
 * The implicit range of a FHIR date, dateTime or instant, per its precision
 * (https://hl7.org/fhir/R4/search.html#date): `2020` is the whole year, `2020-03` the month,
 * `2020-03-04` the day, `2020-03-04T10:30` the minute, `…:15` the second, `…:15.5` the tenth of a
 * second. A time with an offset is converted to UTC. A value without a time zone (every `date`,
 * and a `dateTime` that omits it) is taken as UTC: FHIR leaves its zone unknown, and one fixed
 * convention keeps write-time ranges and query-time ranges comparable.
 * Returns undefined for text that is not a FHIR date.
 */
export function dateRangeOf(text: string): DateRange | undefined {
  const match = pattern.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = mo === undefined ? 1 : Number(mo);
  const day = d === undefined ? 1 : Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const digits = fraction ?? '';
  const millisecond = Number(digits.slice(0, 3).padEnd(3, '0'));

  const start = utc(year, month, day, hour, minute, second, millisecond);
  // Reject calendar overflow such as 2021-02-30.
  if (d !== undefined && new Date(start).getUTCDate() !== day) return undefined;
  let next: number;
  if (mo === undefined) next = utc(year + 1, 1, 1);
  else if (d === undefined) next = utc(year, month + 1, 1);
  else if (h === undefined) next = utc(year, month, day + 1);
  else if (s === undefined) next = start + 60_000;
  else if (digits.length === 0) next = start + 1_000;
  else next = start + 10 ** Math.max(0, 3 - digits.length);

  let offset = 0;
  if (h !== undefined && zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return { start: iso(start - offset), end: iso(next - 1 - offset) };
}

/** A Period's range: from its start's lower bound to its end's upper bound, open on a missing side. */
export function periodRangeOf(period: { start?: unknown; end?: unknown }): DateRange | undefined {
  const start = typeof period.start === 'string' ? dateRangeOf(period.start) : undefined;
  const end = typeof period.end === 'string' ? dateRangeOf(period.end) : undefined;
  if (!start && !end) return undefined;
  return { start: start?.start ?? openStart, end: end?.end ?? openEnd };
}

/** The outer limits of several ranges (R4 search: a Timing's schedule details are ignored; only its outer limits matter). */
export function spanOf(ranges: readonly DateRange[]): DateRange | undefined {
  const [first, ...rest] = ranges;
  if (first === undefined) return undefined;
  let { start, end } = first;
  for (const range of rest) {
    if (range.start < start) start = range.start;
    if (range.end > end) end = range.end;
  }
  return { start, end };
}
