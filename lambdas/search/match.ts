import type { ResourceType } from '../fhir/registry/registry';
import { instantMillis } from './dates';
import { normalizeString } from './normalize';
import type { DateQuery, NumberRange, ParsedValue, Prefix, QuantityQuery, ReferenceQuery, SearchClause, SortKey, TokenQuery } from './search-request';
import type { SearchValues } from './search-values';
import { sortableNumber } from './sortable';

export { normalizeString } from './normalize';

/**
 * Does one stored resource version satisfy a parsed search? Works on the version's extracted
 * SearchValues only (no FHIRPath on the read path), following R4 search semantics
 * (https://hl7.org/fhir/R4/search.html). Never throws, whatever the stored values hold: a value
 * of the wrong shape simply does not match.
 */
export interface SearchSelf {
  readonly resourceType: ResourceType;
  readonly id: string;
}

/** Every clause holds (AND). */
export function matchesAll(values: SearchValues, clauses: readonly SearchClause[], self: SearchSelf): boolean {
  return clauses.every((clause) => matchesClause(values, clause, self));
}

/**
 * Any of the clause's values matches any of the resource's values for the parameter (OR), with
 * two exceptions: `:not` holds when none does, and `:missing` looks only at whether there are values.
 *
 * A chained clause (`subject:Patient.name=x`) always returns true here: it cannot be decided from
 * this resource alone. The search executor resolves the chain first (finds the matching targets)
 * and adds an ordinary reference clause on their `Type/id`s, which this function then checks.
 */
export function matchesClause(values: SearchValues, clause: SearchClause, self: SearchSelf): boolean {
  if (clause.chain) return true;
  const found = valuesOf(values, clause.code, self);
  if (clause.modifier === 'missing') {
    return clause.values.some((query) => query.kind === 'missing' && query.missing === (found.length === 0));
  }
  if (clause.modifier === 'not') {
    return !clause.values.some((query) => query.kind === 'token' && found.some((value) => tokenMatches(value, query)));
  }
  return clause.values.some((query) => found.some((value) => valueMatches(value, query, clause.modifier)));
}

/**
 * A string that sorts like the parameter's values (`_sort`): dates sort on their start ascending
 * and on their end descending (so a period counts from its earliest instant going up and from its
 * latest going down), and with several values the smallest (ascending) or largest (descending) wins.
 * Undefined when the resource has no value: the caller puts those last.
 */
export function sortValue(values: SearchValues, key: SortKey): string | undefined {
  let best: string | undefined;
  for (const value of valuesOf(values, key.code, undefined)) {
    const candidate = sortText(value, key.descending);
    if (candidate === undefined) continue;
    if (best === undefined || (key.descending ? candidate > best : candidate < best)) best = candidate;
  }
  return best;
}

function sortText(value: unknown, descending: boolean): string | undefined {
  if (typeof value === 'string') return normalizeString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? sortableNumber(value) : undefined;
  if (!isObject(value)) return undefined;
  if (typeof value.start === 'string' && typeof value.end === 'string') return descending ? value.end : value.start;
  if (typeof value.value === 'number' && Number.isFinite(value.value)) return sortableNumber(value.value);
  if (typeof value.code === 'string') return value.code;
  return typeof value.text === 'string' ? normalizeString(value.text) : undefined;
}

// -----------------------------------------------------------------------------------------------

function valuesOf(values: SearchValues, code: string, self: SearchSelf | undefined): readonly unknown[] {
  if (code === '_id' && self) return [{ code: self.id }]; // the id is the resource's, not an extracted value
  if (!isObject(values) || !Object.hasOwn(values, code)) return [];
  const list: unknown = values[code];
  return Array.isArray(list) ? list : [];
}

function valueMatches(value: unknown, query: ParsedValue, modifier: string | undefined): boolean {
  switch (query.kind) {
    case 'string':
      if (typeof value !== 'string') return false;
      if (modifier === 'exact') return value === query.raw;
      return modifier === 'contains' ? normalizeString(value).includes(query.normalized) : normalizeString(value).startsWith(query.normalized);
    case 'token':
      return tokenMatches(value, query);
    case 'date':
      return dateMatches(value, query);
    case 'number':
      return typeof value === 'number' && orderedMatches(query.prefix, value, value, query.value, query.range);
    case 'quantity':
      return quantityMatches(value, query);
    case 'reference':
      return typeof value === 'string' && referenceMatches(value, query);
    case 'uri':
      if (typeof value !== 'string') return false;
      if (modifier === 'below') return value.startsWith(query.value);
      return modifier === 'above' ? query.value.startsWith(value) : value === query.value;
    case 'missing':
      return false;
  }
}

/** Codes compare case-sensitively (R4 leaves case-insensitive code systems to the server; we treat none as such). */
function tokenMatches(value: unknown, query: TokenQuery): boolean {
  const token = typeof value === 'string' ? { code: value } : isObject(value) ? value : undefined;
  if (token === undefined) return false;
  if (query.text !== undefined) return typeof token.text === 'string' && normalizeString(token.text).startsWith(query.text);
  if (query.code !== undefined && token.code !== query.code) return false;
  if (query.system === null) return token.system === undefined || token.system === '';
  if (query.system !== undefined && token.system !== query.system) return false;
  return query.code !== undefined || query.system !== undefined;
}

/**
 * Both sides are ranges (R4 search.html#prefix): the query's from its precision, the resource's
 * from its own precision or Period. With r = resource range and q = query range (inclusive):
 * eq r ⊆ q; ne not eq; gt r ends after q; lt r starts before q; ge r ends at or after q's start
 * (gt, or overlaps q); le r starts at or before q's end (lt, or overlaps q); sa r starts after q;
 * eb r ends before q; ap r overlaps q widened on each side by 10% of the distance between now and q.
 */
function dateMatches(value: unknown, query: DateQuery): boolean {
  if (!isObject(value)) return false;
  const start = instantMillis(value.start);
  const end = instantMillis(value.end);
  const queryStart = Date.parse(query.range.start);
  const queryEnd = Date.parse(query.range.end);
  if (Number.isNaN(start) || Number.isNaN(end)) return false;
  switch (query.prefix) {
    case 'eq':
      return start >= queryStart && end <= queryEnd;
    case 'ne':
      return !(start >= queryStart && end <= queryEnd);
    case 'gt':
      return end > queryEnd;
    case 'lt':
      return start < queryStart;
    case 'ge':
      return end >= queryStart;
    case 'le':
      return start <= queryEnd;
    case 'sa':
      return start > queryEnd;
    case 'eb':
      return end < queryStart;
    case 'ap': {
      const now = Date.now();
      const gap = now < queryStart ? queryStart - now : now > queryEnd ? now - queryEnd : 0;
      return start <= queryEnd + gap / 10 && end >= queryStart - gap / 10;
    }
  }
}

/**
 * Numbers (R4 search.html#number): eq/ne/sa/eb/ap use the range the query's precision implies
 * ([low, high)), gt/lt/ge/le the exact value ("lt100: values less than exactly 100").
 * The resource side is [low, high] inclusive: a point, or a half-line for a Quantity comparator.
 */
function orderedMatches(prefix: Prefix, low: number, high: number, exact: number, range: NumberRange): boolean {
  if (Number.isNaN(low) || Number.isNaN(high)) return false;
  switch (prefix) {
    case 'eq':
      return low >= range.low && high < range.high;
    case 'ne':
      return !(low >= range.low && high < range.high);
    case 'gt':
      return high > exact;
    case 'lt':
      return low < exact;
    case 'ge':
      return high >= exact;
    case 'le':
      return low <= exact;
    case 'sa':
      return low >= range.high;
    case 'eb':
      return high < range.low;
    case 'ap': {
      const margin = Math.abs(exact) / 10; // R4's suggested 10%
      return low < range.high + margin && high >= range.low - margin;
    }
  }
}

/** No unit conversion: `system|code` must match as stored; `||code` matches the code or the unit text. */
function quantityMatches(value: unknown, query: QuantityQuery): boolean {
  if (!isObject(value) || typeof value.value !== 'number') return false;
  if (query.system !== undefined && value.system !== query.system) return false;
  if (query.code !== undefined && value.code !== query.code && (query.system !== undefined || value.unit !== query.code)) return false;
  // `<5` stands for everything below 5, `>=5` for everything from 5 up.
  const low = value.comparator === '<' || value.comparator === '<=' ? -Infinity : value.value;
  const high = value.comparator === '>' || value.comparator === '>=' ? Infinity : value.value;
  return orderedMatches(query.prefix, low, high, query.value, query.range);
}

/**
 * `Type/id` equal (a stored `/_history/v` is ignored unless the query names a version); a bare id
 * matches any relative `Type/id` with that id (of the given type if any); an absolute URL matches
 * only the same URL. A bare id never matches an absolute reference: that is another server's resource.
 */
function referenceMatches(value: string, query: ReferenceQuery): boolean {
  if (query.url !== undefined) return value === query.url;
  const segments = value.split('/');
  const [type, id, history, version] = segments;
  if (!(segments.length === 2 || (segments.length === 4 && history === '_history'))) return false;
  if (type === undefined || !/^[A-Z][A-Za-z]*$/.test(type) || id !== query.id) return false;
  if (query.type !== undefined && type !== query.type) return false;
  return query.version === undefined || version === query.version;
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null;
}
