import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lambdaContext, loadRecordHandler, requestEvent, staffClaims, type LambdaHandler } from '../../support/api-events';

/**
 * The SDK's own retries, as deployed: the write handler's real DynamoDB client (maxAttempts 3, in
 * lambdas/platform/dynamodb.ts) against a stand-in DynamoDB endpoint on loopback that answers what
 * each test scripts. A stub of `send` would skip the retry middleware; this does not.
 */

type Scripted = { status: number; type?: string; fields?: object };
let script: Scripted[] = [];
const received: string[] = [];
let server: Server;
let handler: LambdaHandler;

const ok: Scripted = { status: 200 };
const throttled: Scripted = { status: 400, type: 'ThrottlingException' };
const internalError: Scripted = { status: 500, type: 'InternalServerError' };
const unavailable: Scripted = { status: 503 };

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received.push(String(request.headers['x-amz-target']).split('.')[1] ?? '');
      const answer = script.shift() ?? ok;
      const body = answer.type ? { __type: `com.amazonaws.dynamodb.v20120810#${answer.type}`, message: answer.type, ...answer.fields } : {};
      response.writeHead(answer.status, { 'Content-Type': 'application/x-amz-json-1.0' }).end(answer.status === 503 ? '' : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // The SDK's own endpoint setting, as the local runtime uses it; credentials only for signing.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  handler = await loadRecordHandler(() => import('../../../lambdas/handlers/record-write'));
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  script = [];
  received.length = 0;
});

const create = () =>
  handler(
    requestEvent('POST', '/Observation', {
      claims: staffClaims('physician'),
      headers: { 'Content-Type': 'application/fhir+json' },
      body: '{"resourceType":"Observation","status":"final","code":{"text":"Haemoglobin"},"subject":{"reference":"Patient/p1"}}',
    }),
    lambdaContext,
  );

describe('DynamoDB retries in the write function', () => {
  it.each([
    ['throttling', throttled],
    ['an internal server error (500)', internalError],
    ['an unavailable service (503)', unavailable],
  ])('tries a commit 3 times on %s, then answers 503 with Retry-After', async (_, fault) => {
    script = [fault, fault, fault, fault];
    const result = await create();
    expect(received).toEqual(['TransactWriteItems', 'TransactWriteItems', 'TransactWriteItems']);
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['Retry-After']).toBe('1');
  });

  it('hides a fault the retries overcome: the third attempt commits and the client gets 201', async () => {
    script = [throttled, internalError, ok];
    const result = await create();
    expect(received).toHaveLength(3);
    expect(result.statusCode).toBe(201);
  });

  it('does not retry a cancelled transaction: it is answered at once (409 for a version taken)', async () => {
    // Create of an Observation: [0] version put, [1] compartment item, [2] journal entry.
    const reasons = [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }, { Code: 'None' }];
    script = [{ status: 400, type: 'TransactionCanceledException', fields: { CancellationReasons: reasons } }, ok];
    const result = await create();
    expect(received).toEqual(['TransactWriteItems']);
    expect(result.statusCode).toBe(409);
  });
});
