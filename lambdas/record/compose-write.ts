import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ContentOffloader } from '../binary/content-offloader';
import type { ContentStore } from '../binary/content-store';
import type { RecordTableNames } from '../store/dynamodb-record-store';
import { BundleService } from './bundle-service';
import { readServices } from './compose';
import { WriteService, type ResourceValidator } from './write-service';

/**
 * The write side of the composition root: the read services plus the writer, which validates, and the
 * Bundle executor. With a content store, Binary content and large attachments go there (lambdas/binary).
 */
export function writeServices(client: DynamoDBDocumentClient, tableNames: RecordTableNames, validate: ResourceValidator, options: { now?: () => Date; newId?: () => string; content?: ContentStore } = {}) {
  const services = readServices(client, tableNames, options.now);
  const content = options.content && new ContentOffloader(options.content, services.store);
  const dependencies = { store: services.store, access: services.access, validate, criteria: services.search, now: options.now, newId: options.newId, content };
  return { ...services, writer: new WriteService(dependencies), bundles: new BundleService(dependencies, services.reader) };
}
