import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { auditEventOfItem } from '../../lambdas/audit/access-journal';
import type { AuditEvent } from '../../lambdas/audit/audit-event';
import { auditTable } from '../../lambdas/contracts/tables';
import type { StackInfo } from '../../local/stack';

/**
 * A person's access journal as the local stack stored it, read straight from DynamoDB Local's
 * audit table (consistently, so an entry written by the last request is there).
 */
export async function journalOf(info: StackInfo, patient: string): Promise<AuditEvent[]> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: info.dynamoDb.endpoint, region: info.cognito.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  const result = await client.send(
    new QueryCommand({ TableName: info.dynamoDb.tables.audit, KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': auditTable.partitionKey.name }, ExpressionAttributeValues: { ':pk': patient }, ConsistentRead: true }),
  );
  return (result.Items ?? []).map(auditEventOfItem);
}

