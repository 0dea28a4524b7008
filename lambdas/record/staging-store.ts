import type { IndexQuery, Page, PageRequest, RecordStore, VersionPointer, VersionRecord, VersionWrite } from '../store/record-store';

/**
 * A record store that reads through to the real one but keeps each commit instead of writing
 * it: a transaction runs its entries through the single write interactions against it, then
 * commits everything they staged at once with `commitAll`.
 */
export class StagingStore implements RecordStore {
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

  readCurrent(resourceType: string, id: string): Promise<VersionRecord | undefined> {
    return this.store.readCurrent(resourceType, id);
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

  queryIndex(query: IndexQuery, page: PageRequest): Promise<Page<VersionPointer>> {
    return this.store.queryIndex(query, page);
  }
}
