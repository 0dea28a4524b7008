import type { IndexQuery, Page, PageRequest, RecordStore, VersionPointer, VersionRecord, VersionWrite } from '../store/record-store';
import type { IdempotencyRecord } from './idempotency';

/**
 * A record store that reads through to the real one but keeps each commit instead of writing
 * it: a transaction runs its entries through the single write interactions against it, then
 * commits everything they staged at once with `commitAll`.
 */
export class StagingStore implements RecordStore {
  /** Current versions read ahead, each used by the first read of it. */
  private readonly readAhead = new Map<string, Promise<VersionRecord | undefined>>();

  constructor(
    private readonly store: RecordStore,
    private readonly staged: VersionWrite[],
  ) {}

  commit(write: VersionWrite): Promise<void> {
    this.staged.push(write);
    return Promise.resolve();
  }

  /** The journal is left out: the transaction writes one of its own when it commits. */
  commitAll(writes: readonly VersionWrite[]): Promise<void> {
    this.staged.push(...writes);
    return Promise.resolve();
  }

  /**
   * Reads the current versions of these resources at once rather than one entry after the other
   * (a loader's chunk updates ~45). Safe: a change committed after the read makes the commit's
   * version put fail, as with any read.
   */
  readAheadCurrent(references: readonly { resourceType: string; id: string }[]): void {
    for (const { resourceType, id } of references) {
      const key = `${resourceType}/${id}`;
      if (this.readAhead.has(key)) continue;
      const pending = this.store.readCurrent(resourceType, id);
      pending.catch(() => undefined); // a failure surfaces where the entry reads it
      this.readAhead.set(key, pending);
    }
  }

  readCurrent(resourceType: string, id: string): Promise<VersionRecord | undefined> {
    const key = `${resourceType}/${id}`;
    const ahead = this.readAhead.get(key);
    this.readAhead.delete(key);
    return ahead ?? this.store.readCurrent(resourceType, id);
  }

  readVersion(resourceType: string, id: string, versionId: number): Promise<VersionRecord | undefined> {
    return this.store.readVersion(resourceType, id, versionId);
  }

  readVersions(pointers: readonly VersionPointer[]): Promise<VersionRecord[]> {
    return this.store.readVersions(pointers);
  }

  history(resourceType: string, id: string, page: PageRequest & { since?: string }): Promise<Page<VersionRecord>> {
    return this.store.history(resourceType, id, page);
  }

  typeHistory(resourceType: string, page: PageRequest & { since?: string }): Promise<Page<VersionPointer>> {
    return this.store.typeHistory(resourceType, page);
  }

  findByIdentifier(resourceType: string, system: string, value: string): Promise<string[]> {
    return this.store.findByIdentifier(resourceType, system, value);
  }

  compartment(patient: string, page: PageRequest & { resourceType?: string }): Promise<Page<VersionPointer & { lastUpdated: string }>> {
    return this.store.compartment(patient, page);
  }

  guardHolder(resourceType: string, criteria: string): Promise<string | undefined> {
    return this.store.guardHolder(resourceType, criteria);
  }

  idempotencyRecord(claimKey: string): Promise<IdempotencyRecord | undefined> {
    return this.store.idempotencyRecord(claimKey);
  }

  queryIndex(query: IndexQuery, page: PageRequest): Promise<Page<VersionPointer>> {
    return this.store.queryIndex(query, page);
  }
}
