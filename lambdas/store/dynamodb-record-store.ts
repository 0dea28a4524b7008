import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { journalItem, journalPutCondition } from '../audit/access-journal';
import { VersionConflict } from '../fhir/errors';
import { pkName, resourceKey, skName, versionPrefix, versionSortKey } from './keys';
import type { JournalEntry, RecordStore, StoredResource } from './record-store';

export interface RecordTableNames {
  readonly record: string;
  readonly audit: string;
}

/** One item per version; the resource is kept as JSON text so FHIR decimals keep their precision. */
export class DynamoDbRecordStore implements RecordStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableNames: RecordTableNames,
  ) {}

  async create(resource: StoredResource, journal: JournalEntry): Promise<void> {
    const pk = resourceKey(resource.resourceType, resource.id);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableNames.record,
                Item: {
                  [pkName]: pk,
                  [skName]: versionSortKey(Number(resource.meta.versionId)),
                  resourceType: resource.resourceType,
                  id: resource.id,
                  versionId: Number(resource.meta.versionId),
                  lastUpdated: resource.meta.lastUpdated,
                  resource: JSON.stringify(resource),
                },
                // A create must not land on an existing id; no other item shares this partition key.
                ConditionExpression: `attribute_not_exists(${pkName})`,
              },
            },
            {
              Put: { TableName: this.tableNames.audit, Item: journalItem(journal.event, journal.patient), ConditionExpression: journalPutCondition },
            },
          ],
        }),
      );
    } catch (error) {
      // The record put is the first action: its condition failing, or a concurrent transaction on the
      // same item, both mean another writer got there first.
      const reason = error instanceof TransactionCanceledException ? error.CancellationReasons?.[0]?.Code : undefined;
      if (reason === 'ConditionalCheckFailed' || reason === 'TransactionConflict') {
        throw new VersionConflict(`${resource.resourceType}/${resource.id} already exists or is being written concurrently`);
      }
      throw error;
    }
  }

  async readCurrent(resourceType: string, id: string): Promise<StoredResource | undefined> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableNames.record,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :versions)',
        ExpressionAttributeNames: { '#pk': pkName, '#sk': skName },
        ExpressionAttributeValues: { ':pk': resourceKey(resourceType, id), ':versions': versionPrefix },
        ScanIndexForward: false,
        Limit: 1,
        // Read-your-writes: a client that just created a resource must be able to read it.
        ConsistentRead: true,
      }),
    );
    const item = result.Items?.[0];
    return item ? (JSON.parse(item.resource as string) as StoredResource) : undefined;
  }
}
