import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RecordTableNames } from '../store/dynamodb-record-store';
import { BundleService } from './bundle-service';
import { readServices } from './compose';
import { WriteService, type ResourceValidator } from './write-service';

/** The write side of the composition root: the read services plus the writer, which validates, and the Bundle executor. */
export function writeServices(client: DynamoDBDocumentClient, tableNames: RecordTableNames, validate: ResourceValidator, options: { now?: () => Date; newId?: () => string } = {}) {
  const services = readServices(client, tableNames, options.now);
  const dependencies = { store: services.store, access: services.access, validate, criteria: services.search, now: options.now, newId: options.newId };
  return { ...services, writer: new WriteService(dependencies), bundles: new BundleService(dependencies, services.reader) };
}
