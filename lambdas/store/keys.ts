import { createHash } from 'node:crypto';
import { recordTable } from '../contracts/tables';

/**
 * The record table's key design, in one place. Every item shares the table's `pk`/`sk`:
 *
 * | item | pk | sk | written |
 * |---|---|---|---|
 * | a version of a resource | `<Type>#<id>` | `v#<10-digit version>` | in the write transaction |
 * | identifier index | `ident#<Type>#<system>\|<value>` | `<Type>/<id>` | in the write transaction |
 * | patient compartment | `cmp#Patient/<id>` | `<Type>/<id>` | in the write transaction |
 * | conditional-create guard | `guard#<Type>#<sha256 of the criteria>` | `-` | in the write transaction |
 * | create's Idempotency-Key | `idem#<sha256 of caller and key>` | `-` | in the write transaction |
 * | search index | `s#<Type>#<param>[#<key>]` | `<sortable value>#<id>` or `<id>` | by the index processor, from the stream |
 * | type history | `h#<Type>` | `<lastUpdated>#<id>#<version>` | by the index processor |
 *
 * The type is part of the partition key, so a read never filters on resourceType (FHIR Works
 * on AWS keyed by id alone). A write is one conditional put of the new version item (the loser
 * of a race fails its `attribute_not_exists`), plus the few read-your-writes index items.
 */
export const pkName = recordTable.partitionKey.name;
export const skName = recordTable.sortKey.name;
export const versionPrefix = 'v#';
const versionWidth = 10;

export function resourceKey(resourceType: string, id: string): string {
  return `${resourceType}#${id}`;
}

export function versionSortKey(versionId: number): string {
  return `${versionPrefix}${String(versionId).padStart(versionWidth, '0')}`;
}

export function versionOfSortKey(sk: string): number {
  return Number(sk.slice(versionPrefix.length));
}

export function identifierKey(resourceType: string, system: string, value: string): string {
  return `ident#${resourceType}#${system}|${value}`;
}

export function compartmentKey(patientReference: string): string {
  return `cmp#${patientReference}`;
}

/** Criteria can be long; a hash keeps the key within DynamoDB's 2 KB partition key limit. */
export function guardKey(resourceType: string, canonicalCriteria: string): string {
  return `guard#${resourceType}#${createHash('sha256').update(canonicalCriteria).digest('base64url')}`;
}
export const guardSortKey = '-';

/** The claim is already a hash (of the caller and the key): no key text or user id is stored. */
export function idempotencyKeyItemKey(claimKey: string): string {
  return `idem#${claimKey}`;
}

export function typeHistoryKey(resourceType: string): string {
  return `h#${resourceType}`;
}

export function searchIndexKey(resourceType: string, code: string, key?: string): string {
  return key === undefined ? `s#${resourceType}#${code}` : `s#${resourceType}#${code}#${key}`;
}

/** `Type/id` */
export function referenceOf(resourceType: string, id: string): string {
  return `${resourceType}/${id}`;
}

export function splitReference(reference: string): { resourceType: string; id: string } {
  const slash = reference.indexOf('/');
  return { resourceType: reference.slice(0, slash), id: reference.slice(slash + 1) };
}
