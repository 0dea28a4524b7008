import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isResourceType } from '../fhir/registry/registry';
import { recordOf } from '../store/dynamodb-record-store';
import { pkName, referenceOf, resourceKey, skName, typeHistoryKey, versionOfSortKey, versionPrefix, versionSortKey } from '../store/keys';
import type { VersionRecord } from '../store/record-store';
import { indexEntriesFor, type IndexEntry } from './index-entries';

/** Parallel writes per version: enough to finish a large Patient quickly, few enough not to throttle a partition. */
const concurrency = 16;

/**
 * The index processor: for each new version on the record table's stream, puts the search index
 * items of that version and removes those of the version it replaced, plus one type-history item.
 * Every write is conditional on the version, so a replayed or late record never rolls an entry
 * back; a retried batch is therefore harmless.
 */
export class SearchIndexer {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async indexVersion(version: VersionRecord): Promise<void> {
    if (!isResourceType(version.resourceType)) return;
    const { resourceType, id, versionId } = version;
    const reference = referenceOf(resourceType, id);
    const typeHistory = () => this.put(typeHistoryEntry(version), reference, versionId);
    // A redelivered older version must not bring back entries a newer one removed (removals leave
    // no tombstone to compare with): once superseded, a version adds only its type-history item.
    if ((await this.currentVersionId(resourceType, id)) > versionId) return typeHistory();
    const next = version.deleted ? [] : indexEntriesFor(resourceType, id, version.searchValues);
    const previous = versionId > 1 ? await this.version(resourceType, id, versionId - 1) : undefined;
    const kept = new Set(next.map(entryKey));
    const obsolete = previous && !previous.deleted ? indexEntriesFor(resourceType, id, previous.searchValues).filter((entry) => !kept.has(entryKey(entry))) : [];

    const writes: (() => Promise<void>)[] = [
      ...next.map((entry) => () => this.put(entry, reference, versionId)),
      ...obsolete.map((entry) => () => this.remove(entry, versionId)),
      typeHistory,
    ];
    for (let start = 0; start < writes.length; start += concurrency) await Promise.all(writes.slice(start, start + concurrency).map((write) => write()));
  }

  private async currentVersionId(resourceType: string, id: string): Promise<number> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :versions)',
        ExpressionAttributeNames: { '#pk': pkName, '#sk': skName },
        ExpressionAttributeValues: { ':pk': resourceKey(resourceType, id), ':versions': versionPrefix },
        ProjectionExpression: '#sk',
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const sk: unknown = result.Items?.[0]?.[skName]; // the document client types attribute values as `any`
    return typeof sk === 'string' ? versionOfSortKey(sk) : 0;
  }

  private async version(resourceType: string, id: string, versionId: number): Promise<VersionRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { [pkName]: resourceKey(resourceType, id), [skName]: versionSortKey(versionId) }, ConsistentRead: true }),
    );
    return result.Item ? recordOf(result.Item) : undefined;
  }

  private async put(entry: IndexEntry, reference: string, versionId: number): Promise<void> {
    await ignoringNewer(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: indexItem(entry, reference, versionId),
          ConditionExpression: `attribute_not_exists(${pkName}) OR versionId <= :v`,
          ExpressionAttributeValues: { ':v': versionId },
        }),
      ),
    );
  }

  private async remove(entry: IndexEntry, versionId: number): Promise<void> {
    await ignoringNewer(
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [pkName]: entry.pk, [skName]: entry.sk },
          ConditionExpression: 'versionId < :v',
          ExpressionAttributeValues: { ':v': versionId },
        }),
      ),
    );
  }
}

function typeHistoryEntry(version: VersionRecord): IndexEntry {
  return { pk: typeHistoryKey(version.resourceType), sk: `${version.lastUpdated}#${version.id}#${versionSortKey(version.versionId)}` };
}

function indexItem(entry: IndexEntry, reference: string, versionId: number): Record<string, unknown> {
  return { [pkName]: entry.pk, [skName]: entry.sk, ref: reference, versionId };
}

/**
 * The items the processor puts for the first version of a resource (nothing to remove), for a
 * writer that indexes in bulk instead of through the stream: the bench's seed.
 */
export function firstVersionIndexItems(version: VersionRecord): Record<string, unknown>[] {
  if (!isResourceType(version.resourceType) || version.versionId !== 1 || version.deleted) throw new Error('firstVersionIndexItems: only the first version of a known type, not deleted');
  const reference = referenceOf(version.resourceType, version.id);
  return [...indexEntriesFor(version.resourceType, version.id, version.searchValues), typeHistoryEntry(version)].map((entry) => indexItem(entry, reference, version.versionId));
}

function entryKey(entry: IndexEntry): string {
  return `${entry.pk} ${entry.sk}`;
}

/** A failed condition means a newer version already owns the entry (or it is gone): nothing to do. */
async function ignoringNewer(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}
