import { searchParameter, type ResourceType, type SearchParamType } from '../fhir/registry/registry';
import { searchIndexKey } from '../store/keys';
import type { IndexQuery } from '../store/record-store';
import type { DateQuery, NumberQuery, ParsedValue, QuantityQuery, SearchClause } from './search-request';
import { normalizeString } from './normalize';
import { sortableNumber } from './sortable';
import type { DateRange, QuantityValue, SearchValue, SearchValues, TokenValue } from './search-values';

/**
 * How search values become search index items, and how a search value becomes the Query that
 * finds them: both directions live here so they cannot drift. The index processor writes these
 * items from the stream; the search executor queries them and re-checks every candidate against
 * the current version, so an entry that lags a write can hide a result for a moment but never
 * return a wrong one.
 */
export interface IndexEntry {
  readonly pk: string;
  readonly sk: string;
}

/** Long values are cut in keys (DynamoDB keys are at most 2 KB / 1 KB); the re-check restores exactness. */
const maxKeyText = 256;

/** `_id` is read directly and not indexed; everything else with values is. */
const notIndexed = new Set(['_id']);

export function indexEntriesFor(resourceType: ResourceType, id: string, values: SearchValues): IndexEntry[] {
  const entries = new Map<string, IndexEntry>();
  for (const [code, list] of Object.entries(values)) {
    const type = searchParameter(resourceType, code)?.type;
    if (!type || notIndexed.has(code)) continue;
    for (const value of list) {
      for (const entry of entriesOf(resourceType, code, type, value, id)) entries.set(`${entry.pk} ${entry.sk}`, entry);
    }
  }
  return [...entries.values()];
}

function entriesOf(resourceType: string, code: string, type: SearchParamType, value: SearchValue, id: string): IndexEntry[] {
  switch (type) {
    case 'token': {
      const token = value as TokenValue;
      if (token.code === undefined) return [];
      const codeText = cut(token.code);
      // `code` alone matches any system, `system|code` exactly; `|code` is re-checked from the `*` entry.
      return [
        { pk: searchIndexKey(resourceType, code, `*|${codeText}`), sk: id },
        ...(token.system ? [{ pk: searchIndexKey(resourceType, code, `${cut(token.system)}|${codeText}`), sk: id }] : []),
      ];
    }
    case 'string':
      return [{ pk: searchIndexKey(resourceType, code), sk: `${cut(normalizeString(value as string))}#${id}` }];
    case 'reference':
    case 'uri':
      return [{ pk: searchIndexKey(resourceType, code, cut(value as string)), sk: id }];
    case 'date': {
      const range = value as DateRange;
      // Two entries: lower bounds answer lt/le/eb/eq, upper bounds answer gt/ge/sa.
      return [
        { pk: searchIndexKey(resourceType, code, 'start'), sk: `${range.start}#${id}` },
        { pk: searchIndexKey(resourceType, code, 'end'), sk: `${range.end}#${id}` },
      ];
    }
    case 'number':
      return [{ pk: searchIndexKey(resourceType, code), sk: `${sortableNumber(value as number)}#${id}` }];
    case 'quantity':
      return [{ pk: searchIndexKey(resourceType, code), sk: `${sortableNumber((value as QuantityValue).value)}#${id}` }];
    default:
      return [];
  }
}

function cut(text: string): string {
  return text.length > maxKeyText ? text.slice(0, maxKeyText) : text;
}


/** Whether an index item's sort key meets a Query's sort-key condition, as DynamoDB evaluates it. */
export function sortKeyMeets(condition: IndexQuery['sk'], sortKey: string): boolean {
  if (!condition) return true;
  switch (condition.op) {
    case 'begins_with':
      return sortKey.startsWith(condition.value);
    case 'between':
      return sortKey >= condition.low && sortKey <= condition.high;
    case '<':
      return sortKey < condition.value;
    case '<=':
      return sortKey <= condition.value;
    case '>':
      return sortKey > condition.value;
    case '>=':
      return sortKey >= condition.value;
  }
}

/** Sorts after `#<id>` for every FHIR id, so `<= "<value>#~"` includes every entry of that value. */
const afterIds = '#~';

/**
 * The index Queries that find every candidate for a clause, one per OR value; undefined when a
 * value cannot be looked up in the index (`:contains`, `:not`, `:missing`, `ne`, `ap`, a token
 * with no code…): the search then needs another driving clause.
 */
export function indexQueriesFor(resourceType: ResourceType, clause: SearchClause): IndexQuery[] | undefined {
  if (clause.chain || notIndexed.has(clause.code) || clause.values.length === 0) return undefined;
  const queries: IndexQuery[] = [];
  for (const value of clause.values) {
    const query = queryFor(resourceType, clause, value);
    if (!query) return undefined;
    queries.push(query);
  }
  return queries;
}

function queryFor(resourceType: string, clause: SearchClause, value: ParsedValue): IndexQuery | undefined {
  const { code, modifier } = clause;
  switch (value.kind) {
    case 'token':
      if (modifier !== undefined || value.code === undefined || value.text !== undefined) return undefined;
      return { pk: searchIndexKey(resourceType, code, typeof value.system === 'string' ? `${cut(value.system)}|${cut(value.code)}` : `*|${cut(value.code)}`) };
    case 'string': {
      if (modifier === 'contains') return undefined;
      const prefix = cut(value.normalized);
      return prefix ? { pk: searchIndexKey(resourceType, code), sk: { op: 'begins_with', value: prefix } } : undefined;
    }
    case 'reference': {
      if (modifier === 'identifier' || value.version !== undefined) return undefined;
      const target = value.url ?? (value.type && value.id ? `${value.type}/${value.id}` : undefined);
      return target ? { pk: searchIndexKey(resourceType, code, cut(target)) } : undefined;
    }
    case 'uri':
      return modifier === undefined ? { pk: searchIndexKey(resourceType, code, cut(value.value)) } : undefined;
    case 'date':
      return dateQuery(resourceType, code, value);
    case 'number':
    case 'quantity':
      return numberQuery(searchIndexKey(resourceType, code), value);
    default:
      return undefined;
  }
}

/** The candidates of each prefix, by the bound it constrains (see match.ts for the exact test). */
function dateQuery(resourceType: string, code: string, { prefix, range }: DateQuery): IndexQuery | undefined {
  const starts = searchIndexKey(resourceType, code, 'start');
  const ends = searchIndexKey(resourceType, code, 'end');
  switch (prefix) {
    case 'eq':
      return { pk: starts, sk: { op: 'between', low: range.start, high: `${range.end}${afterIds}` } };
    case 'lt':
      return { pk: starts, sk: { op: '<', value: range.start } };
    case 'le':
      return { pk: starts, sk: { op: '<=', value: `${range.end}${afterIds}` } };
    case 'sa':
      return { pk: starts, sk: { op: '>', value: `${range.end}${afterIds}` } };
    case 'gt':
      return { pk: ends, sk: { op: '>', value: `${range.end}${afterIds}` } };
    case 'ge':
      return { pk: ends, sk: { op: '>=', value: range.start } };
    case 'eb':
      return { pk: ends, sk: { op: '<', value: range.start } };
    default:
      return undefined;
  }
}

function numberQuery(pk: string, { prefix, value, range }: NumberQuery | QuantityQuery): IndexQuery | undefined {
  switch (prefix) {
    case 'eq':
      return { pk, sk: { op: 'between', low: sortableNumber(range.low), high: `${sortableNumber(range.high)}${afterIds}` } };
    case 'gt':
    case 'ge':
      return { pk, sk: { op: '>=', value: sortableNumber(value) } };
    case 'lt':
    case 'le':
      return { pk, sk: { op: '<=', value: `${sortableNumber(value)}${afterIds}` } };
    case 'sa':
      return { pk, sk: { op: '>=', value: sortableNumber(range.high) } };
    case 'eb':
      return { pk, sk: { op: '<=', value: `${sortableNumber(range.low)}${afterIds}` } };
    default:
      return undefined;
  }
}
