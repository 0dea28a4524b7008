import { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { archiveJournalBatch, type JournalChange } from '../archive/journal-archive';
import { S3ArchiveStore } from '../archive/s3-archive-store';
import { journalArchiveBucketEnvVar } from '../contracts/functions';
import { requiredEnv } from '../platform/environment';
import { logger } from '../platform/logger';

const s3 = new S3Client({});
// Read at the first batch, not at load: the local stack loads every function but has no archive bucket (nor feeds this one).
let store: S3ArchiveStore | undefined;

/**
 * Audit table stream → one NDJSON object per batch in the Object-Locked journal archive. No partial
 * batch response: the batch is one object, so a failure retries it whole, under the same key.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<void> {
  store ??= new S3ArchiveStore(s3, requiredEnv(journalArchiveBucketEnvVar));
  const archived = await archiveJournalBatch(event.Records.map(changeOf), store);
  if (archived) logger.info('journal batch archived', { key: archived.key, changes: event.Records.length });
}

function changeOf(record: DynamoDBRecord): JournalChange {
  const { eventID, eventName, dynamodb } = record;
  if (eventID === undefined || eventName === undefined || dynamodb?.SequenceNumber === undefined || dynamodb.ApproximateCreationDateTime === undefined || dynamodb.Keys === undefined) {
    throw new Error(`stream record ${eventID ?? '(no id)'} lacks its id, kind, sequence number, time or keys`);
  }
  return {
    eventId: eventID,
    eventName,
    sequenceNumber: dynamodb.SequenceNumber,
    approximateCreationDateTime: dynamodb.ApproximateCreationDateTime,
    keys: dynamodb.Keys,
    newImage: dynamodb.NewImage,
  };
}
