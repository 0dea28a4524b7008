import type { ResourceType, SearchParameterInfo } from './registry/registry';

/**
 * What this server does with each type and parameter, in one place for the handlers and the
 * CapabilityStatement.
 */

/**
 * Types with no record endpoint, and why: messages about the exchange itself are never stored,
 * and the access journal is written by the API alone, in its own table.
 */
const notInTheRecord: Readonly<Record<string, string>> = {
  Parameters: 'Parameters resources are exchanged, not stored, so they have no endpoint here',
  OperationOutcome: 'OperationOutcome resources are exchanged, not stored, so they have no endpoint here',
  AuditEvent: 'AuditEvents make up the access journal, which the API writes itself; they are not part of the record',
};

export function isStorable(type: string): boolean {
  return !(type in notInTheRecord);
}

/** Why a type has no record endpoint, if it has none. */
export function notStoredReason(type: string): string | undefined {
  return notInTheRecord[type];
}

/** Parameters whose values the write path extracts and the search can match; composite and special ones are not supported. */
export function isSearchable(param: SearchParameterInfo): boolean {
  return param.extracted !== false && param.type !== 'composite' && param.type !== 'special';
}

export function supportedOperations(type: ResourceType): string[] {
  return type === 'Patient' ? ['everything'] : [];
}
