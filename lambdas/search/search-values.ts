/**
 * The search values of one resource version, extracted once on the write path (with FHIRPath,
 * from the official R4 SearchParameter expressions) and stored beside the resource. The read
 * path matches queries against them and the index processor derives index entries from them,
 * so neither has to bundle a FHIRPath engine.
 *
 * Keyed by search parameter code (e.g. `birthdate`, `_lastUpdated`); each value's shape follows
 * the parameter's type in the registry.
 */
export interface TokenValue {
  /** Coding.system, Identifier.system, ContactPoint.system…; absent when the element has none. */
  readonly system?: string;
  /** Coding.code, Identifier.value, ContactPoint.value, a code or boolean as text. */
  readonly code?: string;
  /** Display text (Coding.display, CodeableConcept.text, Identifier.type.text), for `:text`. */
  readonly text?: string;
}

/** A date, dateTime, instant or Period as an inclusive range of instants (ISO 8601 UTC, millisecond precision). */
export interface DateRange {
  /** Lower bound, e.g. `2020-01-01T00:00:00.000Z` for `2020`; `0001-01-01T00:00:00.000Z` when open. */
  readonly start: string;
  /** Upper bound, e.g. `2020-12-31T23:59:59.999Z` for `2020`; `9999-12-31T23:59:59.999Z` when open. */
  readonly end: string;
}

export interface QuantityValue {
  readonly value: number;
  readonly system?: string;
  readonly code?: string;
  readonly unit?: string;
  /** `<`, `<=`, `>=`, `>` from Quantity.comparator, when present. */
  readonly comparator?: string;
}

/**
 * - `string`: the element text as written (normalisation happens when matching and indexing);
 * - `token`: TokenValue;
 * - `date`: DateRange;
 * - `number`: number;
 * - `quantity`: QuantityValue;
 * - `reference`: `Type/id` for relative references (absolute URLs and canonicals as written);
 * - `uri`: the URI as written.
 */
export type SearchValue = string | number | TokenValue | DateRange | QuantityValue;

export type SearchValues = Readonly<Record<string, readonly SearchValue[]>>;
