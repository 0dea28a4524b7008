import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { gzipSync } from 'node:zlib';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditEventOfItem } from '../../../lambdas/audit/access-journal';
import { auditTable } from '../../../lambdas/contracts/tables';

const dynamo = mockClient(DynamoDBDocumentClient);
let handler: (event: CloudWatchLogsEvent) => Promise<void>;

beforeAll(async () => {
  process.env[auditTable.nameEnvVar] = 'audit-table';
  ({ handler } = await import('../../../lambdas/handlers/gateway-refusal-journal'));
});
beforeEach(() => {
  dynamo.reset();
  dynamo.on(PutCommand).resolves({});
});

/** What CloudWatch Logs hands a subscribed function: the batch as gzipped JSON, base64-encoded. */
function subscriptionEvent(batch: object): CloudWatchLogsEvent {
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(batch))).toString('base64') } };
}

const line = (fields: Record<string, string>) => JSON.stringify({ requestId: 'req-1', ip: '203.0.113.9', userAgent: '-', httpMethod: 'GET', path: '/r4/Patient/p1', resourcePath: '/{type}/{id}', status: '401', errorType: 'UNAUTHORIZED', sub: '-', clientId: '-', ...fields });
const dataMessage = (...messages: string[]) => ({
  messageType: 'DATA_MESSAGE',
  owner: '111111111111',
  logGroup: 'DscApi-AccessLogs',
  logStream: 'abc',
  subscriptionFilters: ['refusals'],
  logEvents: messages.map((message, index) => ({ id: String(index), timestamp: Date.parse('2026-11-26T09:00:00Z') + index, message })),
});
const putItems = () => dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);

describe('the gateway refusal journal', () => {
  it('decodes the gzipped batch and journals each refusal in the audit table, at the time it was logged', async () => {
    await handler(subscriptionEvent(dataMessage(line({ requestId: 'req-1' }), line({ requestId: 'req-2', httpMethod: 'PUT', status: '403', errorType: 'ACCESS_DENIED', sub: 'client-9', clientId: 'client-9' }))));
    const items = putItems();
    expect(items.map((input) => input.TableName)).toEqual(['audit-table', 'audit-table']);
    const events = items.map((input) => auditEventOfItem(input.Item ?? {}));
    expect(events.map((event) => [event.action, event.outcomeDesc, event.recorded])).toEqual([
      ['R', 'denied', '2026-11-26T09:00:00.000Z'],
      ['U', 'denied', '2026-11-26T09:00:00.001Z'],
    ]);
    expect(items.map((input) => String(input.Item?.pk))).toEqual(['Patient/p1', 'Patient/p1']);
    expect(items[1]?.ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  it('journals nothing for lines that are no gateway refusal, nor for the control message of a new subscription', async () => {
    await handler(subscriptionEvent(dataMessage(line({ status: '403', errorType: '-' }), line({ errorType: 'THROTTLED', status: '429' }), 'garbled')));
    await handler(subscriptionEvent({ messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [], logEvents: [{ id: '', timestamp: 0, message: 'CWL CONTROL MESSAGE: Checking health of destination Lambda function.' }] }));
    expect(putItems()).toEqual([]);
  });

  it('fails the invocation when the journal cannot be written, so Lambda retries it and then keeps it in the dead-letter queue', async () => {
    dynamo.on(PutCommand).rejects(new Error('audit table unavailable'));
    await expect(handler(subscriptionEvent(dataMessage(line({}))))).rejects.toThrow('audit table unavailable');
  });
});
