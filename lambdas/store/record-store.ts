import type { AuditEvent } from '../audit/audit-event';
import type { IdempotencyClaim, IdempotencyRecord } from '../record/idempotency';
import type { SearchValues } from '../search/search-values';

export interface ResourceMeta {
  readonly versionId: string;
  readonly lastUpdated: string;
  readonly [element: string]: unknown;
}

/**
 * A FHIR resource of any of the 145 types as stored: validated JSON with its id and version
 * metadata. It is not typed with @types/fhir's per-type interfaces on purpose: its decimals are
 * lossless numbers (their source text), not the JS numbers those interfaces promise, and the
 * record code never reads type-specific elements (it works from extracted search values).
 */
export interface StoredResource {
  readonly resourceType: string;
  readonly id: string;
  readonly meta: ResourceMeta;
  readonly [element: string]: unknown;
}

/** One version of a resource; a delete is a version too, without content. */
export interface VersionRecord {
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: number;
  readonly lastUpdated: string;
  readonly deleted: boolean;
  /** Absent for a delete. */
  readonly resource?: StoredResource;
  readonly searchValues: SearchValues;
  /** The patients (`Patient/<id>`) in whose compartment this version sits. */
  readonly compartments: readonly string[];
  /** Identifiers with a system, `<system>|<value>`, kept unique-indexed for conditional operations. */
  readonly identifiers: readonly string[];
}

/** A journal entry written in the same transaction as the change it records. */
export interface JournalEntry {
  readonly event: AuditEvent;
  readonly patient: string;
}

/** A conditional create's guard: one item per criteria, so racing creates cannot both win. */
export interface CreateGuard {
  readonly resourceType: string;
  readonly criteria: string;
  /** A guard left by a resource that no longer matches may be taken over. */
  readonly replaces?: string;
}

/** One atomic change: the new version, its index items and journal entries, or nothing. */
export interface VersionWrite {
  readonly next: VersionRecord;
  /** The version it supersedes, for index items to remove; absent on create. */
  readonly previous?: VersionRecord;
  readonly guard?: CreateGuard;
  /** A create's Idempotency-Key, claimed with the version so a retry finds the version it made. */
  readonly idempotency?: IdempotencyClaim;
  readonly journal: readonly JournalEntry[];
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque position to continue from; absent on the last page. */
  readonly next?: string;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string;
  /** Newest first. */
  readonly descending?: boolean;
}

/** A pointer to one version, as index items hold it. */
export interface VersionPointer {
  readonly reference: string;
  readonly versionId: number;
  /** Cursor that resumes right after this item, for pages that stop part-way through a Query page. */
  readonly position?: string;
  /** The index item's sort key, for telling apart a resource's several entries in one partition. */
  readonly sortKey?: string;
}

/** The record port: the domain depends on this, DynamoDB implements it. */
export interface RecordStore {
  /**
   * Commits a version with its read-your-writes index items and journal entries, or nothing.
   * VersionConflict if that version already exists (a concurrent writer won); GuardTaken if a
   * conditional create's guard is held; IdempotencyKeyTaken if the create's key was claimed meanwhile.
   */
  commit(write: VersionWrite): Promise<void>;
  /**
   * Commits several versions and the journal entries in one atomic transaction, or nothing.
   * PayloadTooLarge beyond what one transaction holds; WriteCancelled naming the write whose
   * version or guard was taken.
   */
  commitAll(writes: readonly VersionWrite[], journal: readonly JournalEntry[]): Promise<void>;
  /** The newest version (possibly a delete), or undefined. */
  readCurrent(resourceType: string, id: string): Promise<VersionRecord | undefined>;
  readVersion(resourceType: string, id: string, versionId: number): Promise<VersionRecord | undefined>;
  /** Exact versions, in the order asked; missing ones are left out. */
  readVersions(pointers: readonly VersionPointer[]): Promise<VersionRecord[]>;
  history(resourceType: string, id: string, page: PageRequest & { since?: string }): Promise<Page<VersionRecord>>;
  typeHistory(resourceType: string, page: PageRequest & { since?: string }): Promise<Page<VersionPointer>>;
  /** Current resources holding this identifier (read-your-writes). */
  findByIdentifier(resourceType: string, system: string, value: string): Promise<string[]>;
  /** The patient compartment, optionally one type, current versions only (read-your-writes). */
  compartment(patient: string, page: PageRequest & { resourceType?: string }): Promise<Page<VersionPointer & { lastUpdated: string }>>;
  /** The reference of the resource holding a conditional-create guard, if any. */
  guardHolder(resourceType: string, criteria: string): Promise<string | undefined>;
  /** What the create that claimed this Idempotency-Key made, if one did. */
  idempotencyRecord(claimKey: string): Promise<IdempotencyRecord | undefined>;
  /** One search index partition, in sort-key order (eventually consistent: the index processor writes it). */
  queryIndex(query: IndexQuery, page: PageRequest): Promise<Page<VersionPointer>>;
}

/** A search index Query: one partition, optionally a sort-key condition. */
export interface IndexQuery {
  readonly pk: string;
  readonly sk?:
    | { readonly op: 'begins_with'; readonly value: string }
    | { readonly op: 'between'; readonly low: string; readonly high: string }
    | { readonly op: '<' | '<=' | '>' | '>='; readonly value: string };
}
