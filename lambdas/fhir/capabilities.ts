import type { ResourceType, SearchParameterInfo } from './registry/registry';

/**
 * What this server does with each type and parameter, in one place for the handlers and the
 * CapabilityStatement.
 */

/** Types that are messages about the exchange itself rather than record content: never stored. */
const unstorable: ReadonlySet<string> = new Set(['Parameters', 'OperationOutcome']);

export function isStorable(type: ResourceType): boolean {
  return !unstorable.has(type);
}

/** Parameters whose values the write path extracts and the search can match; composite and special ones are not supported. */
export function isSearchable(param: SearchParameterInfo): boolean {
  return param.extracted !== false && param.type !== 'composite' && param.type !== 'special';
}

export function supportedOperations(type: ResourceType): string[] {
  return type === 'Patient' ? ['everything'] : [];
}
