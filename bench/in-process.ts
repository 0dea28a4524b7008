import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { validateResource } from '../lambdas/fhir/validation';
import { writeServices } from '../lambdas/record/compose-write';
import type { RequestContext } from '../lambdas/record/request-context';
import { SearchIndexer } from '../lambdas/search/search-indexer';
import type { StackInfo } from '../local/stack';
import { meterCapacity, type CapacityMeter } from './consumed-capacity';
import { recordCalls } from './latency';

/**
 * The domain services built by the composition root on a metered DynamoDB client, in the
 * bench's own thread. The deployed handlers are thin adapters over exactly these services
 * (`lambdas/handlers/record-*.ts`), so what they spend here is what a request spends; the
 * handlers themselves run in worker threads whose clients no meter in this thread can see.
 */
export interface MeteredServices {
  readonly meter: CapacityMeter;
  /** Records the requests an action sends, for the raw DynamoDB Local figures. */
  readonly recorder: ReturnType<typeof recordCalls>;
  readonly services: ReturnType<typeof writeServices>;
  readonly indexer: SearchIndexer;
  readonly tables: StackInfo['dynamoDb']['tables'];
  /** A physician, the role the HTTP figures sign in with. */
  readonly ctx: RequestContext;
}

export function meteredServices(info: StackInfo): MeteredServices {
  const client = new DynamoDBClient({ endpoint: info.dynamoDb.endpoint, region: info.cognito.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 3 });
  const meter = meterCapacity(client);
  // The same options as the handlers' client (lambdas/platform/dynamodb.ts).
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    meter,
    recorder: recordCalls(client),
    services: writeServices(documents, info.dynamoDb.tables, validateResource),
    indexer: new SearchIndexer(documents, info.dynamoDb.tables.record),
    tables: info.dynamoDb.tables,
    ctx: {
      principal: { kind: 'staff', sub: 'dsc-bench', username: 'npm run bench', clientId: info.cognito.clientId, roles: ['physician'], scopes: [] },
      requestId: 'dsc-bench',
      sourceIp: '127.0.0.1',
      userAgent: 'dsc-bench',
    },
  };
}
