import { recordTable } from '../contracts/tables';

/**
 * Record table keys. The type is part of the partition key, so a read never has to filter
 * on resourceType (FHIR Works on AWS keyed by id alone). Versions sort as fixed-width
 * strings, so the newest is the last item of the partition.
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
