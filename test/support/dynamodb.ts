import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { tables } from '../../lambdas/contracts/tables';
import { createTableInput, localCredentials } from '../../local/dynamodb';

/** Fresh tables, from the shared definitions, in the integration project's DynamoDB Local. */
export async function freshTables() {
  const client = new DynamoDBClient({ endpoint: inject('dynamoDbEndpoint'), region: 'ca-central-1', credentials: localCredentials });
  const suffix = randomUUID().slice(0, 8);
  const names = { record: `record-${suffix}`, audit: `audit-${suffix}` };
  for (const [name, definition] of Object.entries(tables) as [keyof typeof tables, (typeof tables)[keyof typeof tables]][]) {
    await client.send(new CreateTableCommand({ ...createTableInput(definition), TableName: names[name] }));
  }
  return { client, documentClient: DynamoDBDocumentClient.from(client), names };
}
