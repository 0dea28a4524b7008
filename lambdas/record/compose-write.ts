import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RecordTableNames } from '../store/dynamodb-record-store';
import { readServices } from './compose';
import { WriteService, type ResourceValidator } from './write-service';

/** The write side of the composition root: the read services plus the writer, which validates. */
export function writeServices(client: DynamoDBDocumentClient, tableNames: RecordTableNames, validate: ResourceValidator, options: { now?: () => Date; newId?: () => string } = {}) {
  const services = readServices(client, tableNames, options.now);
  const writer = new WriteService({ store: services.store, access: services.access, validate, criteria: services.search, now: options.now, newId: options.newId });
  return { ...services, writer };
}
