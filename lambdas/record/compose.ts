import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAccessJournal } from '../audit/dynamodb-access-journal';
import { SearchService } from '../search/search-service';
import { DynamoDbRecordStore, type RecordTableNames } from '../store/dynamodb-record-store';
import { AccessRecorder } from './access-recorder';
import { ReadService } from './read-service';

/**
 * The one composition root of the read side: the Lambda handlers, the local runtime's seeding
 * and the bench all build the services here, from a DynamoDB client and the table names. The
 * write side adds its services in `compose-write.ts`, so the read function never bundles them.
 */
export function readServices(client: DynamoDBDocumentClient, tableNames: RecordTableNames, now?: () => Date) {
  const store = new DynamoDbRecordStore(client, tableNames);
  const access = new AccessRecorder(new DynamoDbAccessJournal(client, tableNames.audit), store, now);
  return { store, access, reader: new ReadService(store, access), search: new SearchService(store, access) };
}
