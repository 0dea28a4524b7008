import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SearchIndexer } from '../../lambdas/search/search-indexer';
import { DynamoDbRecordStore, type RecordTableNames } from '../../lambdas/store/dynamodb-record-store';
import { splitReference } from '../../lambdas/store/keys';
import type { VersionRecord } from '../../lambdas/store/record-store';

/** What can be indexed: a version, a write's outcome (`{ status, version }`), or `Type/id` for every version of that resource. */
export type Indexable = VersionRecord | { readonly version: VersionRecord } | string | undefined;

/** Resources indexed at once; each resource's versions are indexed one after the other, oldest first. */
const parallelResources = 8;

/**
 * Plays the record table stream's part in integration tests, deterministically: feeds the given
 * versions to the index processor's logic (`SearchIndexer.indexVersion`, what the deployed stream
 * handler calls for each new version item), each resource's versions in commit order, as the
 * stream delivers them per key. Returns once every index item is written.
 */
export async function indexWrites(tables: { readonly documentClient: DynamoDBDocumentClient; readonly names: RecordTableNames }, items: readonly Indexable[]): Promise<void> {
  const indexer = new SearchIndexer(tables.documentClient, tables.names.record);
  const store = new DynamoDbRecordStore(tables.documentClient, tables.names);
  const byResource = new Map<string, Map<number, VersionRecord>>();
  const add = (version: VersionRecord) => {
    const reference = `${version.resourceType}/${version.id}`;
    const versions = byResource.get(reference) ?? new Map<number, VersionRecord>();
    versions.set(version.versionId, version);
    byResource.set(reference, versions);
  };
  for (const item of items) {
    if (item === undefined) continue;
    if (typeof item === 'string') {
      const { resourceType, id } = splitReference(item);
      let cursor: string | undefined;
      do {
        const page = await store.history(resourceType, id, { limit: 100, cursor });
        page.items.forEach(add);
        cursor = page.next;
      } while (cursor);
    } else add('version' in item ? item.version : item);
  }
  const queue = [...byResource.values()].map((versions) => [...versions.values()].sort((a, b) => a.versionId - b.versionId));
  const worker = async () => {
    for (let versions = queue.shift(); versions; versions = queue.shift()) {
      for (const version of versions) await indexer.indexVersion(version);
    }
  };
  await Promise.all(Array.from({ length: parallelResources }, worker));
}
