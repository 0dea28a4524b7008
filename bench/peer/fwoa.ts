import { CreateTableCommand, ResourceInUseException, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localCredentials } from '../../local/dynamodb';
import { CallMeter, meterSdkV2, type SdkV2Service } from './call-meter';
import { KnownItems, tableSchemaOf } from './capacity-rules';
import type { PersistenceUnderTest } from './persistence-under-test';

/** FWoA's resource table for the `dev` stage, as its deployment names it. */
export const fwoaTableName = 'resource-db-dev';

export const fwoaPackage = 'fhir-works-on-aws-persistence-ddb@3.12.0';

/**
 * FWoA's resource table as its deployment declares it (fhir-works-on-aws-deployment,
 * `ResourceDynamoDBTableV2` in serverless.yaml, and the CDK stack's `activeSubscriptions` index):
 * key `id` (S) + `vid` (N), on-demand, one GSI on `_subscriptionStatus` + `id` projecting all
 * attributes. Only active Subscriptions carry `_subscriptionStatus`, so Patients and Observations
 * never write to the index. The stream (NEW_AND_OLD_IMAGES, feeding its Elasticsearch sync) is
 * left off: streams cost no write units, and DynamoDB Local serves one streamed table reliably,
 * which the record table needs (see local/dynamodb.ts).
 */
export function fwoaTableInput(tableName = fwoaTableName): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'id', AttributeType: 'S' },
      { AttributeName: 'vid', AttributeType: 'N' },
      { AttributeName: '_subscriptionStatus', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'id', KeyType: 'HASH' },
      { AttributeName: 'vid', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'activeSubscriptions',
        KeySchema: [
          { AttributeName: '_subscriptionStatus', KeyType: 'HASH' },
          { AttributeName: 'id', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/**
 * Loads FWoA's DynamoDbDataService on an aws-sdk v2 client pointed at `endpoint`, metered.
 *
 * Only `lib/dataServices/dynamoDbDataService` is loaded: the package's index also loads its
 * DynamoDB-to-Elasticsearch sync (@elastic/elasticsearch, aws-elasticsearch-connector), which the
 * persistence calls never use. What it does load, and works offline: aws-sdk v2, and aws-xray-sdk,
 * which wraps every aws-sdk v2 client (`captureAWS`, as deployed) and, outside Lambda, finds no
 * segment (AWS_XRAY_CONTEXT_MISSING=IGNORE_ERROR keeps that quiet). Its table name is read from
 * RESOURCE_TABLE when the module loads, so the environment is set first.
 */
export async function fwoaPersistence(options: { endpoint: string; region: string; client: DynamoDBClient }): Promise<PersistenceUnderTest> {
  const table = fwoaTableInput();
  // A table left by an earlier run in a kept DynamoDB Local is reused: ids are new UUIDs each time.
  await options.client.send(new CreateTableCommand(table)).catch((error: unknown) => {
    if (!(error instanceof ResourceInUseException)) throw error;
  });
  // aws-sdk v2's end-of-support notice is known; it reads this a moment after loading, and nothing else does.
  process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';
  const [{ DynamoDbDataService }, { default: AWS }] = await whileLoading(
    {
      RESOURCE_TABLE: fwoaTableName,
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      LOG_LEVEL: 'error', // the deployment's default; its info lines would be timed otherwise
    },
    () => Promise.all([import('fhir-works-on-aws-persistence-ddb/lib/dataServices/dynamoDbDataService'), import('aws-sdk')]),
  );
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- aws-sdk v2 types its options as a class; its own docs pass a literal
  const dynamoDb = new AWS.DynamoDB({ endpoint: options.endpoint, region: options.region, credentials: localCredentials });
  const meter = new CallMeter(new KnownItems({ [fwoaTableName]: tableSchemaOf(table) }));
  meterSdkV2(dynamoDb as unknown as SdkV2Service, meter);
  const service = new DynamoDbDataService(dynamoDb);
  return {
    meter,
    async create(resource) {
      const created = await service.createResource({ resourceType: resource.resourceType, resource });
      return (created.resource as { id: string }).id;
    },
    async read(resourceType, id) {
      await service.readResource({ resourceType, id });
    },
    async update(resource) {
      await service.updateResource({ resourceType: resource.resourceType, id: String(resource.id), resource });
    },
  };
}

/**
 * Sets the variables that are not set yet while `load` runs, then removes them: FWoA's modules
 * read them once, when they load, and the bench's own services share this process (LOG_LEVEL
 * would quieten Powertools' logger too).
 */
async function whileLoading<T>(variables: Readonly<Record<string, string>>, load: () => Promise<T>): Promise<T> {
  const added = Object.keys(variables).filter((name) => process.env[name] === undefined);
  for (const name of added) process.env[name] = variables[name];
  try {
    return await load();
  } finally {
    for (const name of added) Reflect.deleteProperty(process.env, name);
  }
}
