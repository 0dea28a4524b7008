import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { inject } from 'vitest';
import { auditEventOfItem } from '../../lambdas/audit/access-journal';
import { attachmentsBucket } from '../../lambdas/contracts/buckets';
import { localCredentials } from '../../local/dynamodb';
import { lambdaContext, proxyEvent, recordFunctionEnv, requestEvent, staffClaims, type EventOptions, type LambdaHandler } from './api-events';
import { freshTables } from './dynamodb';
import { answerOfResult, type Answer } from './fuzz';

/**
 * The record API in-process, for fuzzing and reliability tests at speed: the deployed read and write
 * handlers, given the environment their functions get, over fresh tables of the integration project's DynamoDB Local.
 */
export interface RecordApi {
  /** A request by path, resolved against the route table as API Gateway resolves it. */
  request(method: string, path: string, options?: EventOptions): Promise<Answer>;
  /** A request with its path parameters given as they are, for what no URL could carry. */
  requestRaw(method: string, resource: string, pathParameters: Record<string, string>, options?: EventOptions): Promise<Answer>;
  /** A fingerprint of the whole record table, and the audit table's items that are not journal entries. */
  state(): Promise<{ record: string; nonJournal: string[] }>;
  readonly documentClient: DynamoDBDocumentClient;
}

/** A physician of the web client, with both scopes; claims of staff who may read and write Patients. */
export const physician = staffClaims('physician');

export async function startRecordApi(): Promise<RecordApi> {
  const tables = await freshTables();
  Object.assign(process.env, recordFunctionEnv, {
    RECORD_TABLE_NAME: tables.names.record,
    AUDIT_TABLE_NAME: tables.names.audit,
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoDbEndpoint'),
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
  });
  // The read function also serves Binary content from S3, which no property here touches: a name is enough.
  process.env[attachmentsBucket.nameEnvVar] ??= 'fuzz-attachments';
  const handlers: Record<string, LambdaHandler> = {
    read: ((await import('../../lambdas/handlers/record-read')) as { handler: LambdaHandler }).handler,
    write: ((await import('../../lambdas/handlers/record-write')) as { handler: LambdaHandler }).handler,
  };
  const functionOf = (method: string) => (method === 'GET' || method === 'HEAD' ? handlers.read : ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) ? handlers.write : undefined);
  const invoke = async (event: ReturnType<typeof proxyEvent>) => {
    // POST [type]/_search and POST Patient/[id]/$everything are reads served by the read function.
    const handler = event.resource.endsWith('/_search') ? handlers.read : functionOf(event.httpMethod);
    if (!handler) throw new Error(`no function for ${event.httpMethod}`);
    return answerOfResult(await handler(event, lambdaContext));
  };

  const scanAll = async (table: string) => {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      // A test-only Scan: it checks the whole table, outside any request path.
      const page = await tables.documentClient.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };
  const fingerprint = (items: readonly Record<string, unknown>[]) => createHash('sha256').update(items.map(canonicalJson).sort().join('\n')).digest('hex');

  return {
    request: (method, path, options = {}) => invoke(requestEvent(method, path, { claims: physician, ...options })),
    requestRaw: (method, resource, pathParameters, options = {}) => {
      const path = resource.replace(/\{(\w+)\+?\}/g, (_, name: string) => encodeURIComponent((pathParameters[name] ?? '').replace(/[\uD800-\uDFFF]/g, '\uFFFD')));
      return invoke(proxyEvent({ claims: physician, ...options, method, resource, path, pathParameters }));
    },
    state: async () => {
      const nonJournal = (await scanAll(tables.names.audit)).filter((item) => !isJournalEntry(item)).map((item) => JSON.stringify(item));
      return { record: fingerprint(await scanAll(tables.names.record)), nonJournal };
    },
    documentClient: tables.documentClient,
  };
}

function isJournalEntry(item: Record<string, unknown>): boolean {
  try {
    return (auditEventOfItem(item) as { resourceType?: string }).resourceType === 'AuditEvent';
  } catch {
    return false;
  }
}

/** JSON with every object's keys sorted, so equal items give equal text whatever order the store returns attributes in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value instanceof Set) return canonicalJson([...(value as Set<unknown>)].map(String).sort());
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value) ?? 'undefined';
}
