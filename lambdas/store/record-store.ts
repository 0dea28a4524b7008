import type { AuditEvent } from '../audit/audit-event';

export interface ResourceMeta {
  readonly versionId: string;
  readonly lastUpdated: string;
  readonly [element: string]: unknown;
}

/** A FHIR resource as stored: it always has its id and version metadata. */
export interface StoredResource {
  readonly resourceType: string;
  readonly id: string;
  readonly meta: ResourceMeta;
  readonly [element: string]: unknown;
}

/** A journal entry written in the same transaction as the change it records. */
export interface JournalEntry {
  readonly event: AuditEvent;
  readonly patient: string;
}

/** The record port: the domain depends on this, DynamoDB implements it. */
export interface RecordStore {
  /** Commits the first version and its journal entry together, or neither; VersionConflict if the id exists. */
  create(resource: StoredResource, journal: JournalEntry): Promise<void>;
  /** The newest version, or undefined. */
  readCurrent(resourceType: string, id: string): Promise<StoredResource | undefined>;
}
