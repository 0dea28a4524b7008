/**
 * Checks of FHIR R4 primitive values held in JSON strings, used by the generated validator
 * (`generated/fhir-r4.js` calls them through the `fhirPrimitive` keyword) in place of the
 * official schema's regular expressions.
 *
 * Every check runs in time linear in the length of its input, whatever that input is: the only
 * regular expressions here are either bounded by a length check made first, or match a single
 * character class, or are unambiguous (each character can be matched in one way only), so V8's
 * backtracking engine never revisits more than a constant number of states per character. The
 * ReDoS test in test/lambdas/fhir/validation.test.ts feeds 200 KB hostile strings through them.
 *
 * Each check returns undefined when the value is valid, or a short reason (never the value
 * itself, which may be health data).
 */

export type PrimitiveCheck = (value: string) => string | undefined;

/** R4: "strings SHALL NOT exceed 1 MB" (1,048,576 characters; base64Binary is exempt). */
export const maxStringLength = 1024 * 1024;

// Characters below U+0020 other than tab, LF and CR.
const controlCharacter = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
// Whitespace in the XML sense (the one FHIR uses), and the control characters: never inside a uri.
const whitespaceOrControl = /[\u0000-\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF]/;

function text(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > maxStringLength) return 'is longer than 1 MB';
  if (controlCharacter.test(value)) return 'contains a control character';
  return undefined;
}

/** string, markdown: any characters but controls (no-break spaces are plain text, as in French). */
export const string: PrimitiveCheck = text;
export const markdown: PrimitiveCheck = text;

/** code: no leading, trailing or repeated whitespace; single spaces inside only. */
export const code: PrimitiveCheck = (value) => {
  const problem = text(value);
  if (problem) return problem;
  if (/[\t\n\r]/.test(value) || value.startsWith(' ') || value.endsWith(' ') || value.includes('  ')) {
    return 'must not have leading, trailing or repeated whitespace';
  }
  return undefined;
};

/** id: 1 to 64 of [A-Za-z0-9-.]. */
export const id: PrimitiveCheck = (value) => (value.length >= 1 && value.length <= 64 && /^[A-Za-z0-9.-]+$/.test(value) ? undefined : 'must be 1 to 64 letters, digits, "-" or "."');

const uuidPattern = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Unambiguous: each arc starts after a dot and is either 0 or a number without leading zero.
const oidPattern = /^urn:oid:[0-2](?:\.(?:0|[1-9][0-9]*))+$/;

/**
 * uri, url, canonical: any string without whitespace (relative ones included), and a urn:uuid
 * must hold a UUID. (A malformed urn:oid is let through: HL7's own Library example has urn:oid:X.Y.Z.)
 */
export const uri: PrimitiveCheck = (value) => {
  if (value.length === 0) return 'must not be empty';
  if (value.length > maxStringLength) return 'is longer than 1 MB';
  if (whitespaceOrControl.test(value)) return 'must not contain whitespace';
  // RFC 4122 reads UUID hex digits case-insensitively (HL7's own examples use upper case here); a
  // fragment may follow (IPS narrative links: urn:uuid:…#AllergyIntolerance-1).
  if (/^urn:uuid:/i.test(value) && !(uuidPattern.test(`urn:uuid:${value.slice(9, 45).toLowerCase()}`) && /^(?:$|[#?/])/.test(value.slice(45)))) return 'is not a valid urn:uuid';
  return undefined;
};
export const url: PrimitiveCheck = uri;
export const canonical: PrimitiveCheck = uri;

/** Bundle.entry.fullUrl: "the absolute URL for the resource" (R4 Bundle definition). */
export const absoluteUri: PrimitiveCheck = (value) => uri(value) ?? (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value) ? undefined : 'must be an absolute URL');

export const uuid: PrimitiveCheck = (value) => (value.length === 45 && uuidPattern.test(value) ? undefined : 'must be urn:uuid: and a lower-case UUID');
export const oid: PrimitiveCheck = (value) => (value.length <= maxStringLength && oidPattern.test(value) ? undefined : 'must be urn:oid: and an OID');

/** base64Binary: base64 alphabet, padding only at the end, whitespace allowed (xs:base64Binary). */
export const base64Binary: PrimitiveCheck = (value) => {
  // A replace with a one-character class and an anchored character-class run: both linear.
  const compact = value.replace(/[ \t\r\n]+/g, '');
  if (compact.length === 0) return 'must not be empty';
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return 'is not valid base64';
  return undefined;
};

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function calendarProblem(year: string, month: string | undefined, day: string | undefined): string | undefined {
  const y = Number(year);
  if (y < 1) return 'has year 0000';
  if (month === undefined) return undefined;
  const m = Number(month);
  if (m < 1 || m > 12) return 'has no such month';
  if (day === undefined) return undefined;
  const d = Number(day);
  return d >= 1 && d <= daysInMonth(y, m) ? undefined : 'is not a calendar date';
}

function clockProblem(hours: string, minutes: string, seconds: string): string | undefined {
  // Second 60 stays allowed: leap seconds, as in the official pattern.
  return Number(hours) <= 23 && Number(minutes) <= 59 && Number(seconds) <= 60 ? undefined : 'is not a time of day';
}

function zoneProblem(zone: string | undefined): string | undefined {
  if (zone === undefined || zone === 'Z') return undefined;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  return minutes <= 59 && (hours < 14 || (hours === 14 && minutes === 0)) ? undefined : 'has an impossible time zone';
}

/** date: YYYY, YYYY-MM or YYYY-MM-DD, a real calendar date. */
export const date: PrimitiveCheck = (value) => {
  // Length first: the expression then only ever sees at most 10 characters.
  const match = value.length <= 10 ? /^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$/.exec(value) : null;
  if (!match) return 'must be YYYY, YYYY-MM or YYYY-MM-DD';
  return calendarProblem(match[1] ?? '', match[2], match[3]);
};

// Unambiguous: fixed-width fields, one optional fraction of digits, then a zone or the end.
const dateTimePattern = /^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})(?:T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$/;

/** dateTime: a partial or full date; with a time, a time zone is required. */
export const dateTime: PrimitiveCheck = (value) => {
  const match = value.length <= 64 ? dateTimePattern.exec(value) : null;
  if (!match) return 'must be YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+zz:zz';
  const [, year = '', month, day, hours, minutes = '', seconds = '', zone] = match;
  if (hours !== undefined && zone === undefined) return 'has a time but no time zone';
  return calendarProblem(year, month, day) ?? (hours === undefined ? undefined : clockProblem(hours, minutes, seconds) ?? zoneProblem(zone));
};

/** instant: a full date and time to the second at least, with a time zone. */
export const instant: PrimitiveCheck = (value) => {
  const match = value.length <= 64 ? dateTimePattern.exec(value) : null;
  const [, year = '', month, day, hours, minutes = '', seconds = '', zone] = match ?? [];
  if (!match || hours === undefined || zone === undefined) return 'must be YYYY-MM-DDThh:mm:ss(.sss)+zz:zz or Z';
  return calendarProblem(year, month, day) ?? clockProblem(hours, minutes, seconds) ?? zoneProblem(zone);
};

/** time: hh:mm:ss with optional fraction, no zone. */
export const time: PrimitiveCheck = (value) => {
  const match = value.length <= 64 ? /^([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?$/.exec(value) : null;
  if (!match) return 'must be hh:mm:ss';
  return clockProblem(match[1] ?? '', match[2] ?? '', match[3] ?? '');
};

/**
 * xhtml (Narrative.div): an XHTML `div` in the XHTML namespace, using only XML's entities. Full
 * well-formedness and txt-1's element list are left to clients' renderers.
 */
export const xhtml: PrimitiveCheck = (value) => {
  const problem = text(value);
  if (problem) return problem;
  const content = value.trim();
  const rootEnd = content.indexOf('>');
  if (!/^<div[\s/>]/.test(content) || rootEnd < 0) return 'must be a <div> element';
  const root = content.slice(0, rootEnd);
  if (!/\sxmlns\s*=\s*(["'])http:\/\/www\.w3\.org\/1999\/xhtml\1/.test(root)) return 'must be in the XHTML namespace (xmlns="http://www.w3.org/1999/xhtml")';
  if (!(content.endsWith('</div>') || (root.endsWith('/') && rootEnd === content.length - 1))) return 'must end with </div>';
  // Bounded lookahead after each "&": linear. HTML's named entities (&nbsp;, &reg;…) are not XML.
  if (/&(?!(?:lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});)/.test(content)) return 'uses an entity XHTML does not define (only &lt; &gt; &amp; &quot; &apos; and numeric ones)';
  return undefined;
};

/** The checks by name, as the generated validator refers to them. */
export const primitiveChecks: Readonly<Record<string, PrimitiveCheck>> = {
  string, markdown, code, id, uri, url, canonical, absoluteUri, uuid, oid, base64Binary, date, dateTime, instant, time, xhtml,
};

/**
 * R4 JSON represents an array of primitives with extensions as two parallel arrays, `x` and
 * `_x`, where null fills the gaps. Returns the index of the first offending item or -1: lengths
 * differ, or an index is null (or absent) in both, or a null appears without a partner array.
 */
export function parallelArraysProblem(values: unknown, extensions: unknown): number {
  const a = Array.isArray(values) ? values : undefined;
  const b = Array.isArray(extensions) ? extensions : undefined;
  if (a && b && a.length !== b.length) return Math.min(a.length, b.length);
  const length = Math.max(a?.length ?? 0, b?.length ?? 0);
  for (let i = 0; i < length; i++) {
    if ((a?.[i] ?? null) === null && (b?.[i] ?? null) === null) return i;
  }
  return -1;
}
