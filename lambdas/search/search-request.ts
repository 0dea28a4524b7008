import { Invalid, type OutcomeIssue } from '../fhir/errors';
import { isResourceType, searchParameter, type ResourceType, type SearchParameterInfo, type SearchParamType } from '../fhir/registry/registry';
import { parseSearchDate, type DatePrecision } from './dates';
import { normalizeString } from './normalize';
import type { DateRange } from './search-values';

/**
 * A FHIR R4 search (https://hl7.org/fhir/R4/search.html) parsed and checked against the registry.
 * Everything the matcher and the index planner need is decided here, so they never see text.
 */
export interface SearchRequest {
  readonly resourceType: ResourceType;
  /** AND of clauses, one per parameter occurrence, in request order. */
  readonly clauses: readonly SearchClause[];
  /** `_count`, 0..MAX_COUNT (larger requests are capped, as R4 lets servers do); absent: the caller's default. */
  readonly count?: number;
  readonly sort: readonly SortKey[];
  readonly include: readonly IncludeSpec[];
  readonly revinclude: readonly IncludeSpec[];
  readonly summary?: 'count' | 'true' | 'false' | 'text' | 'data';
  readonly total?: 'none' | 'estimate' | 'accurate';
  readonly elements?: readonly string[];
  /** Our opaque paging cursor (`_cursor`), untouched. */
  readonly cursor?: string;
  /** Lenient handling only: what was skipped, as warnings. Always [] in strict handling (it throws instead). */
  readonly ignored: readonly OutcomeIssue[];
  /** The parameters applied, in request order (all but the ignored ones and the cursor): the `self` link shows these. */
  readonly used: readonly (readonly [string, string])[];
}

export interface SearchClause {
  readonly code: string;
  readonly param: SearchParameterInfo;
  /** As written: `exact`, `contains`, `not`, `missing`, `text`, `below`, `above`, `identifier`, or a resource type on a reference. */
  readonly modifier?: string;
  /** OR of values. Empty on a chained clause: the values belong to `chain.clause`. */
  readonly values: readonly ParsedValue[];
  /** `subject:Patient.name=x`: the clause to evaluate on the referenced resources. */
  readonly chain?: { readonly targetType: ResourceType; readonly clause: SearchClause };
}

export interface IncludeSpec {
  /** The type holding the reference: the searched type for `_include`, the referring type for `_revinclude`. */
  readonly sourceType: ResourceType;
  readonly code: string;
  readonly targetType?: ResourceType;
  readonly iterate: boolean;
}

export interface SortKey {
  readonly code: string;
  readonly descending: boolean;
}

export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

/** Low inclusive, high exclusive: the values a number stands for at its precision (`100` → [99.5, 100.5)). */
export interface NumberRange {
  readonly low: number;
  readonly high: number;
}

export interface StringQuery {
  readonly kind: 'string';
  /** Unescaped text, compared as is by `:exact`. */
  readonly raw: string;
  /** `normalizeString(raw)`, compared by the default (starts-with) and `:contains`. */
  readonly normalized: string;
}

/**
 * `code`: any system; `system|code`; `|code`: no system (`system: null`); `system|`: any code of the system.
 * With `:text`, only `text` is set (normalised). Also the value of a reference's `:identifier`.
 */
export interface TokenQuery {
  readonly kind: 'token';
  readonly system?: string | null;
  readonly code?: string;
  readonly text?: string;
}

export interface DateQuery {
  readonly kind: 'date';
  readonly prefix: Prefix;
  /** Every instant the value stands for (`2013-01` → the whole month), inclusive, UTC. */
  readonly range: DateRange;
  readonly precision: DatePrecision;
}

export interface NumberQuery {
  readonly kind: 'number';
  readonly prefix: Prefix;
  /** The number as written, without its prefix. */
  readonly raw: string;
  readonly value: number;
  readonly range: NumberRange;
}

/** `[prefix]number`, `[prefix]number|system|code` or `[prefix]number||code` (code or unit). */
export interface QuantityQuery {
  readonly kind: 'quantity';
  readonly prefix: Prefix;
  readonly raw: string;
  readonly value: number;
  readonly range: NumberRange;
  readonly system?: string;
  readonly code?: string;
}

/**
 * `Type/id[/_history/v]`, a bare `id` (typed by the `:Type` modifier, or by the parameter's only
 * target) or an absolute `url`.
 */
export interface ReferenceQuery {
  readonly kind: 'reference';
  readonly type?: ResourceType;
  readonly id?: string;
  readonly version?: string;
  readonly url?: string;
}

export interface UriQuery {
  readonly kind: 'uri';
  readonly value: string;
}

/** The value of `:missing` on any parameter type. */
export interface MissingQuery {
  readonly kind: 'missing';
  readonly missing: boolean;
}

export type ParsedValue = StringQuery | TokenQuery | DateQuery | NumberQuery | QuantityQuery | ReferenceQuery | UriQuery | MissingQuery;

export const MAX_COUNT = 1000;
/** `a.b.c.d` is three chain links; deeper chains cost a query per level per page. */
export const MAX_CHAIN_LINKS = 3;
export const PREFIXES: readonly Prefix[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];
/** Sorting needs a single ordered value per resource; dates (incl. `_lastUpdated`, `birthdate`) have one. */
const SORTABLE_TYPES: ReadonlySet<SearchParamType> = new Set(['date']);

const SUMMARIES = ['count', 'true', 'false', 'text', 'data'] as const;
/** `true` and `text` need each type's summary elements, which the registry does not carry yet. */
const UNSUPPORTED_SUMMARIES: ReadonlySet<string> = new Set(['true', 'text']);
const TOTALS = ['none', 'estimate', 'accurate'] as const;
const SINGLE_RESULT_PARAMS = new Set(['_count', '_summary', '_total', '_elements', '_cursor']);
/** R4 parameters with a meaning we know but do not implement: named as such rather than "unknown". */
const UNSUPPORTED_R4 = new Set(['_has', '_type', '_list', '_filter', '_contained', '_containedType', '_query', '_text', '_content']);
const MODIFIERS_BY_TYPE: Readonly<Partial<Record<SearchParamType, readonly string[]>>> = {
  string: ['exact', 'contains'],
  token: ['not', 'text'],
  reference: ['identifier'], // plus a target type
  uri: ['below', 'above'],
};
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const ABSOLUTE_URL = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const ELEMENT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** One problem with one parameter: an error in strict handling, a warning (and the parameter skipped) in lenient. */
class Problem extends Error {
  constructor(
    readonly code: 'not-supported' | 'invalid',
    readonly diagnostics: string,
  ) {
    super(diagnostics);
    this.name = 'Problem';
  }
}

const unpairedSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function parseSearchRequest(
  resourceType: ResourceType,
  params: readonly (readonly [string, string])[],
  options: { lenient: boolean },
): SearchRequest {
  const problems: Problem[] = [];
  const clauses: SearchClause[] = [];
  const sort: SortKey[] = [];
  const include: IncludeSpec[] = [];
  const revinclude: IncludeSpec[] = [];
  const seen = new Set<string>();
  let count: number | undefined;
  let summary: SearchRequest['summary'];
  let total: SearchRequest['total'];
  let elements: string[] | undefined;
  let cursor: string | undefined;
  const used: (readonly [string, string])[] = [];

  for (const [name, value] of params) {
    try {
      // A lone surrogate cannot be percent-encoded (links, canonical text) nor match stored text, which refuses them.
      if (unpairedSurrogate.test(name) || unpairedSurrogate.test(value)) throw new Problem('invalid', 'A search parameter holds an unpaired UTF-16 surrogate: send well-formed UTF-8');
      if (name !== '_cursor') used.push([name, value]);
      const [base, modifier] = splitOnce(name, ':');
      if (base === '_include' || base === '_revinclude') {
        (base === '_include' ? include : revinclude).push(parseInclude(resourceType, base, modifier, value));
        continue;
      }
      if (base === '_format' || base === '_pretty') continue; // the HTTP layer's business
      if (SINGLE_RESULT_PARAMS.has(base) || base === '_sort') {
        if (modifier !== undefined) throw new Problem('not-supported', `Modifier ${quote(`:${modifier}`)} is not supported on ${quote(base)}`);
        if (SINGLE_RESULT_PARAMS.has(base)) {
          if (seen.has(base)) throw new Problem('invalid', `${quote(base)} may appear only once`);
          seen.add(base);
        }
      }
      switch (base) {
        case '_count':
          count = parseCount(value);
          break;
        case '_sort':
          sort.push(...parseSort(resourceType, value, problems, sort));
          break;
        case '_summary':
          summary = oneOf(SUMMARIES, '_summary', value);
          if (UNSUPPORTED_SUMMARIES.has(summary)) throw new Problem('not-supported', `${quote('_summary')}=${value} is not supported: use count, data or false`);
          break;
        case '_total':
          total = oneOf(TOTALS, '_total', value);
          break;
        case '_elements':
          elements = parseElements(value);
          break;
        case '_cursor':
          if (value === '') throw new Problem('invalid', `${quote('_cursor')} has no value`);
          cursor = value;
          break;
        default:
          clauses.push(parseClause(resourceType, name, value));
      }
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      problems.push(error);
      if (used.at(-1)?.[0] === name && used.at(-1)?.[1] === value) used.pop();
    }
  }

  if (problems.length > 0 && !options.lenient) {
    throw new Invalid(problems.map(({ code, diagnostics }) => ({ severity: 'error', code, diagnostics })));
  }
  return {
    resourceType,
    clauses,
    ...(count === undefined ? {} : { count }),
    sort,
    include,
    revinclude,
    ...(summary === undefined ? {} : { summary }),
    ...(total === undefined ? {} : { total }),
    ...(elements === undefined ? {} : { elements }),
    ...(cursor === undefined ? {} : { cursor }),
    ignored: problems.map(({ code, diagnostics }) => ({ severity: 'warning', code, diagnostics })),
    used,
  };
}

// ---------------------------------------------------------------------------------------------
// Result parameters

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new Problem('invalid', `${quote('_count')} must be a whole number from 0 to ${MAX_COUNT}, not ${quote(value)}`);
  return Math.min(Number(value), MAX_COUNT);
}

/** Bad keys are reported one by one, so lenient handling keeps the good ones. */
function parseSort(type: ResourceType, value: string, problems: Problem[], earlier: readonly SortKey[]): SortKey[] {
  if (value === '') throw new Problem('invalid', `${quote('_sort')} has no value`);
  const keys: SortKey[] = [];
  for (const item of value.split(',')) {
    const descending = item.startsWith('-');
    const code = descending ? item.slice(1) : item;
    const param = code === '' ? undefined : knownParameter(type, code);
    const sortable = code === '_lastUpdated' || (param !== undefined && SORTABLE_TYPES.has(param.type) && param.extracted !== false);
    if (!sortable) {
      problems.push(new Problem('not-supported', `Sorting on ${quote(code)} is not supported for ${type}: only its date parameters and _lastUpdated`));
    } else if (![...earlier, ...keys].some((key) => key.code === code)) {
      keys.push({ code, descending }); // a repeated key could never decide an order
    }
  }
  return keys;
}

function oneOf<T extends string>(allowed: readonly T[], name: string, value: string): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) throw new Problem('invalid', `${quote(name)} must be one of ${allowed.join(', ')}, not ${quote(value)}`);
  return found;
}

function parseElements(value: string): string[] {
  const names = value.split(',');
  const bad = names.find((element) => !ELEMENT_NAME.test(element));
  if (bad !== undefined) throw new Problem('invalid', `${quote('_elements')} must list top-level element names; ${quote(bad)} is not one`);
  return [...new Set(names)];
}

function parseInclude(type: ResourceType, kind: '_include' | '_revinclude', modifier: string | undefined, value: string): IncludeSpec {
  if (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse') {
    throw new Problem('not-supported', `Modifier ${quote(`:${modifier}`)} is not supported on ${quote(kind)}: only :iterate`);
  }
  const iterate = modifier !== undefined; // `:recurse` is R3's name for `:iterate`
  const where = `${kind}=${value}`;
  const parts = value.split(':');
  if (value === '*' || parts[1] === '*') throw new Problem('not-supported', `Wildcard ${quote(where)} is not supported: name the reference parameter`);
  const [source = '', code = '', target, ...extra] = parts;
  if (parts.length < 2 || extra.length > 0) throw new Problem('invalid', `${quote(where)} must be Type:parameter or Type:parameter:TargetType`);
  if (!isResourceType(source)) throw new Problem('invalid', `${quote(where)}: unknown resource type ${quote(source)}`);
  // An iterated _include starts from included resources, so only the first hop is tied to the searched type.
  if (kind === '_include' && !iterate && source !== type) {
    throw new Problem('invalid', `${quote(where)} must start with the searched type ${type}`);
  }
  const param = knownParameter(source, code);
  if (param?.type !== 'reference' || param.extracted === false) {
    throw new Problem('invalid', `${quote(where)}: ${quote(code)} is not a reference parameter of ${source}`);
  }
  if (target !== undefined && !(isResourceType(target) && canTarget(param, target))) {
    throw new Problem('invalid', `${quote(where)}: ${source}.${code} cannot refer to ${quote(target)}`);
  }
  if (kind === '_revinclude' && !iterate) {
    if (target !== undefined && target !== type) throw new Problem('invalid', `${quote(where)}: the target type must be the searched type ${type}`);
    if (!canTarget(param, type)) throw new Problem('invalid', `${quote(where)}: ${source}.${code} cannot refer to ${type}`);
  }
  return { sourceType: source, code, ...(target === undefined ? {} : { targetType: target }), iterate };
}

// ---------------------------------------------------------------------------------------------
// Search parameters

function parseClause(type: ResourceType, name: string, value: string, links = 0): SearchClause {
  const [head, rest] = splitOnce(name, '.');
  const [code, modifier] = splitOnce(head, ':');
  const param = supportedParameter(type, code);
  if (rest !== undefined) {
    try {
      return parseChain(type, param, code, modifier, rest, value, links);
    } catch (error) {
      // Name the whole parameter once, at the top, whichever link failed.
      if (links > 0 || !(error instanceof Problem)) throw error;
      throw new Problem(error.code, `${error.diagnostics} (in ${quote(name)})`);
    }
  }
  const label = `${param.type} parameter ${quote(code)}`;
  if (modifier !== undefined && modifier !== 'missing' && !allowsModifier(param, modifier)) {
    const targetHint = param.type === 'reference' && isResourceType(modifier) ? ` (it cannot refer to ${modifier})` : '';
    throw new Problem('not-supported', `Modifier ${quote(`:${modifier}`)} is not supported on ${label}${targetHint}`);
  }
  const pieces = splitEscaped(value, ',');
  if (value === '' || pieces.some((piece) => piece === '')) throw new Problem('invalid', `Search parameter ${quote(name)} has an empty value`);
  const values = pieces.map((piece) => parseValue(param, modifier, piece, label));
  return { code, param, ...(modifier === undefined ? {} : { modifier }), values };
}

function parseChain(
  type: ResourceType,
  param: SearchParameterInfo,
  code: string,
  modifier: string | undefined,
  rest: string,
  value: string,
  links: number,
): SearchClause {
  if (param.type !== 'reference') throw new Problem('invalid', `Search parameter ${quote(code)} of ${type} is not a reference and cannot be chained`);
  if (links >= MAX_CHAIN_LINKS) throw new Problem('not-supported', `Chains longer than ${MAX_CHAIN_LINKS} links are not supported`);
  const targets = param.target ?? [];
  let targetType: ResourceType;
  if (modifier !== undefined) {
    if (!isResourceType(modifier) || !canTarget(param, modifier)) {
      throw new Problem('invalid', `Modifier ${quote(`:${modifier}`)} on chained parameter ${quote(code)} must be a type it can refer to`);
    }
    targetType = modifier;
  } else if (targets.length === 1 && targets[0] !== undefined) {
    targetType = targets[0];
  } else {
    const example = targets.find((target) => target === 'Patient') ?? targets[0] ?? 'Patient';
    throw new Problem('invalid', `Chained parameter ${quote(code)} may refer to several types; name one, e.g. ${quote(`${code}:${example}.${rest}`)}`);
  }
  const clause = parseClause(targetType, rest, value, links + 1);
  return { code, param, ...(modifier === undefined ? {} : { modifier }), values: [], chain: { targetType, clause } };
}

function knownParameter(type: ResourceType, code: string): SearchParameterInfo | undefined {
  const param = searchParameter(type, code);
  return param?.code === code ? param : undefined; // never an inherited object property
}

function supportedParameter(type: ResourceType, code: string): SearchParameterInfo {
  const param = knownParameter(type, code);
  if (param === undefined) {
    if (UNSUPPORTED_R4.has(code)) throw new Problem('not-supported', `Search parameter ${quote(code)} is not supported`);
    throw new Problem('not-supported', `Unknown search parameter ${quote(code)} for ${type}`);
  }
  // Composite, special and expression-less parameters have no stored values to match.
  if (param.type === 'composite' || param.type === 'special' || param.extracted === false || UNSUPPORTED_R4.has(code)) {
    throw new Problem('not-supported', `Search parameter ${quote(code)} (${param.type}) is not supported`);
  }
  return param;
}

function allowsModifier(param: SearchParameterInfo, modifier: string): boolean {
  if (MODIFIERS_BY_TYPE[param.type]?.includes(modifier)) return true;
  return param.type === 'reference' && isResourceType(modifier) && canTarget(param, modifier);
}

/** A parameter without declared targets may refer to anything. */
function canTarget(param: SearchParameterInfo, type: string): boolean {
  const targets: readonly string[] = param.target ?? [];
  return targets.length === 0 || targets.includes(type);
}

function parseValue(param: SearchParameterInfo, modifier: string | undefined, piece: string, label: string): ParsedValue {
  if (modifier === 'missing') {
    if (piece !== 'true' && piece !== 'false') throw new Problem('invalid', `${quote(':missing')} on ${label} must be true or false, not ${quote(piece)}`);
    return { kind: 'missing', missing: piece === 'true' };
  }
  switch (param.type) {
    case 'string': {
      const raw = unescapeValue(piece);
      const normalized = normalizeString(raw);
      if (normalized === '' && modifier !== 'exact') throw new Problem('invalid', `Search parameter ${quote(param.code)} has an empty value`);
      return { kind: 'string', raw, normalized };
    }
    case 'token':
      return parseToken(piece, modifier === 'text', label);
    case 'reference':
      return modifier === 'identifier' ? parseToken(piece, false, label) : parseReference(param, modifier, unescapeValue(piece), label);
    case 'uri':
      return { kind: 'uri', value: unescapeValue(piece) };
    case 'date': {
      const { prefix, rest } = splitPrefix(unescapeValue(piece), label);
      const date = parseSearchDate(rest);
      if (date === undefined) throw new Problem('invalid', `Invalid date ${quote(rest)} in ${label}`);
      return { kind: 'date', prefix, ...date };
    }
    case 'number': {
      const { prefix, rest } = splitPrefix(unescapeValue(piece), label);
      return { kind: 'number', prefix, ...parseNumber(rest, label) };
    }
    case 'quantity': {
      const parts = splitEscaped(piece, '|').map(unescapeValue);
      const [number = '', system = '', code = ''] = parts;
      if (parts.length !== 1 && parts.length !== 3) {
        throw new Problem('invalid', `Invalid quantity ${quote(piece)} in ${label}: use [prefix]number, number|system|code or number||code`);
      }
      const { prefix, rest } = splitPrefix(number, label);
      return {
        kind: 'quantity',
        prefix,
        ...parseNumber(rest, label),
        ...(system === '' ? {} : { system }),
        ...(code === '' ? {} : { code }),
      };
    }
    default:
      throw new Problem('not-supported', `Search parameter ${quote(param.code)} (${param.type}) is not supported`);
  }
}

function parseToken(piece: string, text: boolean, label: string): TokenQuery {
  if (text) {
    const normalized = normalizeString(unescapeValue(piece));
    if (normalized === '') throw new Problem('invalid', `Empty text in ${label}`);
    return { kind: 'token', text: normalized };
  }
  const parts = splitEscaped(piece, '|').map(unescapeValue);
  const [first = '', second] = parts;
  if (parts.length > 2 || (parts.length === 2 && first === '' && second === '')) {
    throw new Problem('invalid', `Invalid token ${quote(piece)} in ${label}: use code, system|code, |code or system|`);
  }
  if (second === undefined) return { kind: 'token', code: first };
  return { kind: 'token', system: first === '' ? null : first, ...(second === '' ? {} : { code: second }) };
}

function parseReference(param: SearchParameterInfo, modifier: string | undefined, text: string, label: string): ReferenceQuery {
  if (ABSOLUTE_URL.test(text)) return { kind: 'reference', url: text };
  const typed = modifier !== undefined && isResourceType(modifier) ? modifier : undefined;
  const segments = text.split('/');
  const bad = (why: string) => new Problem('invalid', `Invalid reference ${quote(text)} in ${label}: ${why}`);
  if (segments.length === 1) {
    if (!FHIR_ID.test(text)) throw bad('not an id, Type/id or absolute URL');
    const only = param.target?.length === 1 ? param.target[0] : undefined;
    const type = typed ?? only;
    return { kind: 'reference', ...(type === undefined ? {} : { type }), id: text };
  }
  const [type = '', id = '', history, version = ''] = segments;
  if (!(segments.length === 2 || (segments.length === 4 && history === '_history' && FHIR_ID.test(version)))) {
    throw bad('use Type/id or Type/id/_history/version');
  }
  if (!isResourceType(type)) throw bad(`unknown resource type ${quote(type)}`);
  if (!FHIR_ID.test(id)) throw bad(`${quote(id)} is not a valid id`);
  if (typed !== undefined && typed !== type) throw bad(`it is not a ${typed}`);
  if (!canTarget(param, type)) throw bad(`the parameter cannot refer to ${type}`);
  return { kind: 'reference', type, id, ...(segments.length === 4 ? { version } : {}) };
}

function splitPrefix(text: string, label: string): { prefix: Prefix; rest: string } {
  // Numbers and dates start with a digit or '-', so two leading letters can only be a prefix.
  if (!/^[A-Za-z]{2}/.test(text)) return { prefix: 'eq', rest: text };
  const candidate = text.slice(0, 2);
  const prefix = PREFIXES.find((known) => known === candidate);
  if (prefix === undefined) throw new Problem('invalid', `Unknown prefix ${quote(candidate)} in ${quote(text)} for ${label}`);
  return { prefix, rest: text.slice(2) };
}

// FHIR decimal syntax (leading zeros tolerated); the length cap keeps BigInt work trivial.
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d{1,4}))?$/;

/**
 * A number with the range its significant digits imply: `100` → [99.5, 100.5), `100.00` →
 * [99.995, 100.005). For exponent notation R4's own example makes `1e2` [95, 105), one digit
 * finer than the significant digits suggest; we follow the example. Bounds are computed in
 * decimal, so `100.005` is outside `100.00` exactly as the text says.
 */
function parseNumber(text: string, label: string): { raw: string; value: number; range: NumberRange } {
  const match = text.length <= 100 ? DECIMAL.exec(text) : null;
  const value = Number(text);
  if (!match || !Number.isFinite(value)) throw new Problem('invalid', `Invalid number ${quote(text)} in ${label}`);
  const [, sign = '', whole = '', fraction = '', exponent] = match;
  const digits = BigInt(`${sign}${whole}${fraction}`);
  if (value === 0 && digits !== 0n) throw new Problem('invalid', `Number ${quote(text)} in ${label} is too small to compare`);
  const scale = (exponent === undefined ? 0 : Number(exponent)) - fraction.length; // value = digits × 10^scale
  const finer = exponent === undefined ? 1 : 2;
  const scaled = digits * 10n ** BigInt(finer);
  const at = (mantissa: bigint) => Number(`${mantissa}e${scale - finer}`);
  return { raw: text, value, range: { low: at(scaled - 5n), high: at(scaled + 5n) } };
}

// ---------------------------------------------------------------------------------------------
// Escaping (R4 §3.1.1.3.1: `\,` `\|` `\$` `\\`)

/** Splits on unescaped `separator`, leaving escapes in place for a later split. */
function splitEscaped(text: string, separator: ',' | '|'): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** `\,` → `,` etc.; a backslash before anything else is kept as written. */
function unescapeValue(text: string): string {
  return text.includes('\\') ? text.replace(/\\([\\,|$])/g, '$1') : text;
}

function escapeValue(text: string): string {
  return text.replace(/[\\,|$]/g, '\\$&');
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** Quoted for diagnostics: control characters escaped, and cut short (values can be megabytes). */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

// ---------------------------------------------------------------------------------------------
// Canonical text

/**
 * The clauses as one stable text, equal for searches that mean the same: clauses sorted, values in
 * order, defaults made explicit (`eq`, chain target types, a bare id's inferred type), strings
 * normalised where matching normalises them, dates as their UTC range. Result parameters are not
 * part of it. Each value is escaped then percent-encoded, so `,`, `|`, `&` and `=` stay separators.
 */
export function canonicalQuery(request: SearchRequest): string {
  return request.clauses.map(canonicalClause).sort().join('&');
}

function canonicalClause(clause: SearchClause): string {
  let name = '';
  let last = clause;
  while (last.chain) {
    name += `${last.code}:${last.chain.targetType}.`;
    last = last.chain.clause;
  }
  // A type modifier on a reference is already in each value (`subject:Patient=1` ≡ `subject=Patient/1`).
  const typed = last.param.type === 'reference' && last.modifier !== undefined && isResourceType(last.modifier);
  const modifier = typed ? undefined : last.modifier;
  name += modifier === undefined ? last.code : `${last.code}:${modifier}`;
  return `${name}=${last.values.map((value) => canonicalValue(value, modifier)).join(',')}`;
}

function canonicalValue(value: ParsedValue, modifier: string | undefined): string {
  // `/` and `:` cannot be mistaken for separators; left readable.
  const text = (raw: string) => encodeURIComponent(escapeValue(raw)).replace(/%2F/g, '/').replace(/%3A/g, ':');
  switch (value.kind) {
    case 'string':
      return text(modifier === 'exact' ? value.raw : value.normalized);
    case 'token':
      if (value.text !== undefined) return text(value.text);
      if (value.system === undefined) return text(value.code ?? '');
      return `${value.system === null ? '' : text(value.system)}|${text(value.code ?? '')}`;
    case 'date':
      return `${value.prefix}${canonicalDate(value)}`;
    case 'number':
      return `${value.prefix}${value.raw}`;
    case 'quantity':
      return value.system === undefined && value.code === undefined
        ? `${value.prefix}${value.raw}`
        : `${value.prefix}${value.raw}|${text(value.system ?? '')}|${text(value.code ?? '')}`;
    case 'reference':
      if (value.url !== undefined) return text(value.url);
      return text(`${value.type === undefined ? '' : `${value.type}/`}${value.id ?? ''}${value.version === undefined ? '' : `/_history/${value.version}`}`);
    case 'uri':
      return text(value.value);
    case 'missing':
      return String(value.missing);
  }
}

function canonicalDate({ range, precision }: DateQuery): string {
  switch (precision) {
    case 'year':
      return range.start.slice(0, 4);
    case 'month':
      return range.start.slice(0, 7);
    case 'day':
      return range.start.slice(0, 10);
    case 'minute':
      return `${range.start.slice(0, 16)}Z`;
    case 'second':
      return `${range.start.slice(0, 19)}Z`;
    case 'millisecond':
      return range.start === range.end ? range.start : `${range.start}/${range.end}`;
  }
}
