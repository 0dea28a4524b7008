import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { auditEventOfItem } from '../../lambdas/audit/access-journal';
import type { AuditEvent } from '../../lambdas/audit/audit-event';
import { validateResource } from '../../lambdas/fhir/validation';
import { writeServices } from '../../lambdas/record/compose-write';
import { freshTables } from './dynamodb';
import { requestIdOf } from './principals';

export type FreshTables = Awaited<ReturnType<typeof freshTables>>;
export type WriteServices = ReturnType<typeof writeServices>;

/** The composition root's write services, with the deployed validator, over fresh tables in DynamoDB Local. */
export async function writeServicesOnFreshTables(): Promise<{ env: FreshTables; services: WriteServices }> {
  const env = await freshTables();
  return { env, services: writeServices(env.documentClient, env.names, validateResource) };
}

/** The AuditEvents one request journaled about a subject (`Patient/<id>`), read consistently from the audit table. */
export async function journalOfRequest(env: FreshTables, subject: string, requestId: string): Promise<AuditEvent[]> {
  const result = await env.documentClient.send(
    new QueryCommand({ TableName: env.names.audit, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': subject }, ConsistentRead: true }),
  );
  return (result.Items ?? []).map(auditEventOfItem).filter((event) => requestIdOf(event) === requestId);
}

let tags = 0;
/** A value for ids and identifier values that no other test of the run has used (tables are shared within a file). */
export const uniqueTag = (): string => `${Date.now().toString(36)}-${tags++}`;
