/**
 * Converts FHIRPath results (FHIR-typed values) into search values, per the parameter type and
 * the R4 search specification (https://hl7.org/fhir/R4/search.html).
 */
import type { SearchParamType } from '../../fhir/registry/registry';
import type { QuantityValue, SearchValue, TokenValue } from '../search-values';
import { dateRangeOf, periodRangeOf, spanOf } from './date-range';

type Json = Record<string, unknown>;

/** What one FHIRPath result converted to; `unsupported` names a FHIR type this parameter type cannot represent. */
export type Conversion = { readonly values: SearchValue[] } | { readonly unsupported: string };

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
const texts = (value: unknown): string[] => (Array.isArray(value) ? value.flatMap((item) => text(item) ?? []) : []);

const primitiveTypes = new Set([
  'string', 'markdown', 'code', 'id', 'uri', 'url', 'canonical', 'oid', 'uuid', 'base64Binary', 'xhtml',
  'String', 'boolean', 'Boolean', 'integer', 'positiveInt', 'unsignedInt', 'decimal', 'Integer', 'Decimal',
]);
const dateTypes = new Set(['date', 'dateTime', 'instant', 'Date', 'DateTime']);
const quantityTypes = new Set(['Quantity', 'Age', 'Duration', 'Distance', 'Count', 'SimpleQuantity', 'MoneyQuantity']);

function token(system: unknown, code: unknown, display: unknown): TokenValue | undefined {
  const value: { system?: string; code?: string; text?: string } = {};
  const s = text(system);
  const c = text(code);
  const t = text(display);
  if (s !== undefined) value.system = s;
  if (c !== undefined) value.code = c;
  if (t !== undefined) value.text = t;
  return c !== undefined || t !== undefined ? value : undefined;
}

function codingToken(coding: unknown): TokenValue | undefined {
  return isObject(coding) ? token(coding.system, coding.code, coding.display) : undefined;
}

function primitiveText(value: unknown): string | undefined {
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return text(value);
}

function toTokens(type: string, value: unknown): Conversion {
  if (primitiveTypes.has(type)) {
    const code = primitiveText(value);
    return { values: code === undefined ? [] : [{ code }] };
  }
  if (!isObject(value)) return { unsupported: type };
  switch (type) {
    case 'Coding':
      return { values: [codingToken(value)].filter((v) => v !== undefined) };
    case 'CodeableConcept': {
      const codings = Array.isArray(value.coding) ? value.coding.map(codingToken) : [];
      const conceptText = text(value.text);
      return { values: [...codings, conceptText === undefined ? undefined : { text: conceptText }].filter((v) => v !== undefined) };
    }
    case 'Identifier':
      return { values: [token(value.system, value.value, isObject(value.type) ? value.type.text : undefined)].filter((v) => v !== undefined) };
    case 'ContactPoint':
      // R4 search, token on ContactPoint: the code is ContactPoint.value and the system ContactPoint.use.
      return { values: [token(value.use, value.value, undefined)].filter((v) => v !== undefined) };
    default:
      return { unsupported: type };
  }
}

function toStrings(type: string, value: unknown): Conversion {
  if (primitiveTypes.has(type)) {
    const s = primitiveText(value);
    return { values: s === undefined ? [] : [s] };
  }
  if (!isObject(value)) return { unsupported: type };
  switch (type) {
    case 'HumanName':
      return { values: [text(value.family), ...texts(value.given), ...texts(value.prefix), ...texts(value.suffix), text(value.text)].filter((v) => v !== undefined) };
    case 'Address':
      return {
        values: [...texts(value.line), text(value.city), text(value.district), text(value.state), text(value.postalCode), text(value.country), text(value.text)].filter(
          (v) => v !== undefined,
        ),
      };
    default:
      return { unsupported: type };
  }
}

function toDates(type: string, value: unknown): Conversion {
  if (dateTypes.has(type)) {
    if (typeof value !== 'string') return { values: [] };
    const range = dateRangeOf(value);
    return range ? { values: [range] } : { unsupported: `${type} (not a FHIR date: ${value})` };
  }
  if (type === 'Period' && isObject(value)) {
    const range = periodRangeOf(value);
    return range ? { values: [range] } : { values: [] };
  }
  if (type === 'Timing' && isObject(value)) {
    const events = texts(value.event).flatMap((event) => dateRangeOf(event) ?? []);
    const repeat = isObject(value.repeat) ? value.repeat : {};
    const bounds = isObject(repeat.boundsPeriod) ? periodRangeOf(repeat.boundsPeriod) : undefined;
    const range = spanOf(bounds ? [...events, bounds] : events);
    return { values: range ? [range] : [] };
  }
  return { unsupported: type };
}

function toNumbers(type: string, value: unknown): Conversion {
  if (typeof value === 'number' && Number.isFinite(value)) return { values: [value] };
  if (typeof value === 'string' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value)) return { values: [Number(value)] };
  return { unsupported: type };
}

function toQuantities(type: string, value: unknown): Conversion {
  if (!isObject(value)) return { unsupported: type };
  const amount = typeof value.value === 'number' ? value.value : Number.NaN;
  if (type === 'Money') {
    if (!Number.isFinite(amount)) return { values: [] };
    const currency = text(value.currency);
    return { values: [currency === undefined ? { value: amount } : { value: amount, code: currency }] };
  }
  if (!quantityTypes.has(type)) return { unsupported: type };
  if (!Number.isFinite(amount)) return { values: [] };
  const quantity: { -readonly [K in keyof QuantityValue]: QuantityValue[K] } = { value: amount };
  for (const key of ['system', 'code', 'unit', 'comparator'] as const) {
    const field = text(value[key]);
    if (field !== undefined) quantity[key] = field;
  }
  return { values: [quantity] };
}

/** `Type/id` for a relative reference (its `_history` dropped), absolute ones as written, nothing for contained (`#…`) ones. */
export function referenceValue(reference: string): string | undefined {
  const trimmed = reference.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const relative = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(trimmed);
  return relative ? `${relative[1]}/${relative[2]}` : trimmed;
}

function toReferences(type: string, value: unknown): Conversion {
  if (type === 'Reference') {
    if (!isObject(value) || typeof value.reference !== 'string') return { values: [] };
    const reference = referenceValue(value.reference);
    return { values: reference === undefined ? [] : [reference] };
  }
  if (['canonical', 'uri', 'url', 'oid', 'uuid', 'string', 'String'].includes(type)) {
    const uri = text(value);
    return { values: uri === undefined ? [] : [uri] };
  }
  // A resource in place of a reference (Bundle.composition is `Bundle.entry[0].resource`).
  if (isObject(value) && typeof value.resourceType === 'string') {
    return { values: typeof value.id === 'string' ? [`${value.resourceType}/${value.id}`] : [] };
  }
  return { unsupported: type };
}

function toUris(type: string, value: unknown): Conversion {
  if (!['canonical', 'uri', 'url', 'oid', 'uuid', 'string', 'String'].includes(type)) return { unsupported: type };
  const uri = text(value);
  return { values: uri === undefined ? [] : [uri] };
}

/**
 * Converts one FHIRPath result of FHIR type `fhirType` (e.g. `FHIR.HumanName`, `System.String`)
 * to the search values of a parameter of type `paramType`.
 */
export function convert(paramType: SearchParamType, fhirType: string, value: unknown): Conversion {
  const type = fhirType.slice(fhirType.indexOf('.') + 1);
  switch (paramType) {
    case 'token':
      return toTokens(type, value);
    case 'string':
      return toStrings(type, value);
    case 'date':
      return toDates(type, value);
    case 'number':
      return toNumbers(type, value);
    case 'quantity':
      return toQuantities(type, value);
    case 'reference':
      return toReferences(type, value);
    case 'uri':
      return toUris(type, value);
    default:
      return { unsupported: type };
  }
}
