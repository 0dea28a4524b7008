import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lambdaContext, loadRecordHandler, proxyEvent, staffClaims, type LambdaHandler } from '../../support/api-events';

const dynamo = mockClient(DynamoDBDocumentClient);
let handler: LambdaHandler;

beforeAll(async () => {
  handler = await loadRecordHandler(() => import('../../../lambdas/handlers/record-write'));
});
beforeEach(() => dynamo.reset());

const post = (body: string, options: { contentType?: string; claims?: Record<string, string> } = {}) =>
  handler(
    proxyEvent({
      method: 'POST',
      resource: '/Patient',
      path: '/Patient',
      body,
      headers: { 'Content-Type': options.contentType ?? 'application/fhir+json' },
      claims: 'claims' in options ? options.claims : staffClaims(),
    }),
    lambdaContext,
  );

const outcomeOf = (result: APIGatewayProxyResult) => JSON.parse(result.body) as { resourceType: string; issue: { code: string; diagnostics: string }[] };

describe('record-write handler: POST /Patient', () => {
  it('creates with 201, a Location under the stage base URL, an ETag and no-store caching', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await post(JSON.stringify({ resourceType: 'Patient', gender: 'other' }));
    expect(result.statusCode).toBe(201);
    const body = JSON.parse(result.body);
    expect(result.headers).toMatchObject({
      Location: `https://abc123.execute-api.ca-central-1.amazonaws.com/r4/Patient/${body.id}/_history/1`,
      ETag: 'W/"1"',
      'Cache-Control': 'no-store',
      'Content-Type': 'application/fhir+json; charset=utf-8',
    });
    const items = dynamo.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(items.map((item) => item.Put?.TableName)).toEqual(['record-table', 'audit-table']);
  });

  it('accepts the legacy application/json+fhir media type', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    expect((await post(JSON.stringify({ resourceType: 'Patient' }), { contentType: 'application/json+fhir; charset=utf-8' })).statusCode).toBe(201);
  });

  it('answers with headers only when the client prefers return=minimal', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await handler(
      proxyEvent({
        method: 'POST',
        resource: '/Patient',
        path: '/Patient',
        body: JSON.stringify({ resourceType: 'Patient' }),
        headers: { 'Content-Type': 'application/fhir+json', Prefer: 'return=minimal' },
        claims: staffClaims(),
      }),
      lambdaContext,
    );
    expect(result.statusCode).toBe(201);
    expect(result.body).toBe('');
    expect(result.headers?.['Content-Type']).toBeUndefined();
    expect(result.headers?.Location).toMatch(/\/Patient\/[0-9a-f-]{36}\/_history\/1$/);
  });

  it('answers 503 with Retry-After when DynamoDB throttles', async () => {
    dynamo.on(TransactWriteCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const result = await post(JSON.stringify({ resourceType: 'Patient' }));
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['Retry-After']).toBe('1');
    expect(outcomeOf(result).issue[0].code).toBe('transient');
  });

  it('answers 409 when the conditional write loses', async () => {
    dynamo.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }] }),
    );
    const result = await post(JSON.stringify({ resourceType: 'Patient' }));
    expect(result.statusCode).toBe(409);
    expect(outcomeOf(result).issue[0].code).toBe('conflict');
  });

  it('answers 500 without internal detail on an unexpected failure', async () => {
    dynamo.on(TransactWriteCommand).rejects(new Error('secret internal detail'));
    const result = await post(JSON.stringify({ resourceType: 'Patient' }));
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('secret internal detail');
    expect(outcomeOf(result).issue[0]).toMatchObject({ code: 'exception', diagnostics: expect.stringContaining('request-1') });
  });

  it.each([
    ['a non-FHIR media type', 415, 'not-supported', 'text/plain', '{"resourceType":"Patient"}'],
    ['malformed JSON', 400, 'invalid', 'application/fhir+json', '{"resourceType":'],
    ['a JSON array', 400, 'invalid', 'application/json', '[]'],
    ['an unknown element', 400, 'structure', 'application/fhir+json', '{"resourceType":"Patient","colour":"blue"}'],
  ])('rejects %s with %i (%s) and writes nothing', async (_, status, code, contentType, body) => {
    const result = await post(body, { contentType });
    expect(result.statusCode).toBe(status);
    expect(outcomeOf(result)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code }] });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers 401 when the request carries no verified claims', async () => {
    const result = await post('{"resourceType":"Patient"}', { claims: undefined });
    expect(result.statusCode).toBe(401);
    expect(outcomeOf(result).issue[0].code).toBe('login');
  });
});
