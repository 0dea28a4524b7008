import { resourceKey, versionSortKey } from '../../lambdas/store/keys';

/** When every stubbed Observation version below was written. */
export const storedLastUpdated = '2026-11-25T10:00:00.000Z';

/** A final Haemoglobin result about Patient/p1: the clinical members the stubs store, after id and meta. */
export const haemoglobinMembers = '"status":"final","code":{"text":"Haemoglobin"},"subject":{"reference":"Patient/p1"}';

export interface StoredObservationOptions {
  readonly id?: string;
  /** The members after id and meta, as stored text (lossless JSON: `1.50` keeps its trailing zero). */
  readonly members?: string;
  /** The values the search index is built from; the subject and patient are Patient/p1 unless given. */
  readonly searchValues?: Record<string, string[]>;
  readonly deleted?: boolean;
}

/** The stored text of an Observation version, as the record store wrote it. */
export function storedObservationText(versionId: number, { id = 'o1', members = haemoglobinMembers }: StoredObservationOptions = {}): string {
  return `{"resourceType":"Observation","id":"${id}","meta":{"versionId":"${versionId}","lastUpdated":"${storedLastUpdated}"},${members}}`;
}

/**
 * A version item of an Observation in the record table, in the shape the record store writes it,
 * for tests that stub DynamoDB. A deleted version carries no resource, search values or compartment.
 */
export function observationVersionItem(versionId: number, options: StoredObservationOptions = {}) {
  const { id = 'o1', searchValues = { subject: ['Patient/p1'], patient: ['Patient/p1'] }, deleted = false } = options;
  return {
    pk: resourceKey('Observation', id),
    sk: versionSortKey(versionId),
    resourceType: 'Observation',
    id,
    versionId,
    lastUpdated: storedLastUpdated,
    ...(deleted ? { deleted: true } : { resource: storedObservationText(versionId, options) }),
    searchValues: JSON.stringify(deleted ? {} : searchValues),
    compartments: deleted ? [] : ['Patient/p1'],
    identifiers: [],
  };
}
