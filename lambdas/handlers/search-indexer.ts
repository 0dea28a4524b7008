import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { recordTable } from '../contracts/tables';
import { documentClient } from '../platform/dynamodb';
import { requiredEnv } from '../platform/environment';
import { logger } from '../platform/logger';
import { SearchIndexer } from '../search/search-indexer';
import { recordOf } from '../store/dynamodb-record-store';
import { skName, versionPrefix } from '../store/keys';

const indexer = new SearchIndexer(documentClient(), requiredEnv(recordTable.nameEnvVar));

/**
 * Record table stream → search index. Only new version items matter (the event source filters
 * on them too). A failed record is reported so Lambda retries from it, not the whole batch.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || !image || !image[skName]?.S?.startsWith(versionPrefix)) continue;
    try {
      await indexer.indexVersion(recordOf(unmarshall(image as Record<string, AttributeValue>)));
    } catch (error) {
      logger.error('indexing failed', { error: (error as Error).name });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
}
