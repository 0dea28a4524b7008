import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';

import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lambdaContext, loadRecordHandler, proxyEvent, staffClaims, testOrigin, type LambdaHandler } from '../../support/api-events';

const dynamo = mockClient(DynamoDBDocumentClient);
let handler: LambdaHandler;

beforeAll(async () => {
  handler = await loadRecordHandler(() => import('../../../lambdas/handlers/record-read'));
});
beforeEach(() => dynamo.reset());

const read = (id: string, groups = 'nurse', headers: Record<string, string> = {}) =>
  handler(proxyEvent({ method: 'GET', resource: '/Patient/{id}', path: `/Patient/${id}`, pathParameters: { id }, claims: staffClaims(groups), headers }), lambdaContext);

const stored = { resourceType: 'Patient', id: 'p1', meta: { versionId: '3', lastUpdated: '2026-11-25T10:00:00.000Z' } };

describe('record-read handler: GET /Patient/{id}', () => {
  it('returns the current version with its ETag, after journalling the access', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [{ resource: JSON.stringify(stored) }] });
    dynamo.on(PutCommand).resolves({});
    const result = await read('p1');
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual(stored);
    expect(result.headers).toMatchObject({ ETag: 'W/"3"', 'Cache-Control': 'no-store' });
    const query = dynamo.commandCalls(QueryCommand)[0].args[0].input;
    expect(query).toMatchObject({ TableName: 'record-table', ConsistentRead: true, Limit: 1, ScanIndexForward: false });
    expect(dynamo.commandCalls(PutCommand)[0].args[0].input.TableName).toBe('audit-table');
  });

  it('lets the stage\'s browser origin read the answer, and no other origin', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [{ resource: JSON.stringify(stored) }] });
    dynamo.on(PutCommand).resolves({});
    expect((await read('p1', 'nurse', { origin: testOrigin })).headers).toMatchObject({ 'Access-Control-Allow-Origin': testOrigin, Vary: 'Origin' });
    expect((await read('p1', 'nurse', { Origin: 'https://elsewhere.example.org' })).headers?.['Access-Control-Allow-Origin']).toBeUndefined();
  });

  it('answers 404 as an OperationOutcome for an unknown patient', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(PutCommand).resolves({});
    const result = await read('nobody');
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
  });

  it('answers 403 to a user administrator without touching the record table', async () => {
    dynamo.on(PutCommand).resolves({});
    const result = await read('p1', 'user-admin');
    expect(result.statusCode).toBe(403);
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('withholds the resource (503) when the journal write is throttled', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [{ resource: JSON.stringify(stored) }] });
    dynamo.on(PutCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    const result = await read('p1');
    expect(result.statusCode).toBe(503);
    expect(result.body).not.toContain('"Patient"');
  });
});
