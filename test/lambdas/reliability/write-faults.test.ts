import { DynamoDBServiceException, InternalServerError, RequestLimitExceeded, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { logger } from '../../../lambdas/platform/logger';
import { lambdaContext, mockedRecordFunction, requestEvent, staffClaims, testBaseUrl, type EventOptions } from '../../support/api-events';
import { observationVersionItem } from '../../support/record-items';

/**
 * Injected DynamoDB faults through the deployed write handler: what the client is answered, and
 * that every write of a request goes in one TransactWriteItems, so a fault leaves nothing half-written.
 * The stub stands in for the SDK after its own retries (see dynamodb-retries.test.ts for those).
 */
const { dynamo, sentCommands, handler } = mockedRecordFunction(() => import('../../../lambdas/handlers/record-write'));

const send = (method: string, path: string, body: string, headers: Record<string, string> = {}, options: EventOptions = {}) =>
  handler(requestEvent(method, path, { claims: staffClaims('physician'), body, headers: { 'Content-Type': 'application/fhir+json', ...headers }, ...options }), lambdaContext);

const outcomeOf = (result: APIGatewayProxyResult) => JSON.parse(result.body) as { resourceType: string; issue: { code: string; diagnostics: string }[] };

const observation = (extra = '') => `{"resourceType":"Observation"${extra},"status":"final","code":{"text":"Haemoglobin"},"subject":{"reference":"Patient/p1"}}`;
/** An update of Observation/o1 that changes it (an unchanged one writes no version). */
const amended = observation(',"id":"o1","language":"fr-CA"');
const versionItem = (id: string, versionId: number) => observationVersionItem(versionId, { id });

/** TransactWriteItems cancelled with one reason per action, in the order the store sent them. */
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({ message: `Transaction cancelled [${codes.join(', ')}]`, $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });

/** The answer is an OperationOutcome only: no resource content leaves with an error. */
function expectNoResourceIn(result: APIGatewayProxyResult) {
  expect(outcomeOf(result).resourceType).toBe('OperationOutcome');
  expect(result.body).not.toContain('Haemoglobin');
  expect(result.headers?.Location).toBeUndefined();
}

/** Every write of the request was in one TransactWriteItems (version, compartment item, journal entry), and nothing was written beside it. */
function expectOneAtomicCommit() {
  expect(sentCommands().filter((name) => name === 'TransactWriteCommand')).toHaveLength(1);
  expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  const tables = dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.map((item) => item.Put?.TableName ?? item.Delete?.TableName);
  expect(tables).toEqual(expect.arrayContaining(['record-table', 'audit-table']));
}

describe('DynamoDB throttling and server faults, after the SDK\'s retries', () => {
  it.each([
    ['InternalServerError (HTTP 500)', () => new InternalServerError({ message: 'Internal server error', $metadata: { httpStatusCode: 500 } })],
    ['an unmodelled 503', () => new DynamoDBServiceException({ name: 'ServiceUnavailable', $fault: 'server', message: 'Service unavailable', $metadata: { httpStatusCode: 503 } })],
    ['RequestLimitExceeded', () => new RequestLimitExceeded({ message: 'Throughput exceeds the account limit', $metadata: {} })],
    ['a TimeoutError mid-request', () => Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' })],
  ])('answers a create 503 with Retry-After on %s, with no resource, having sent one atomic commit', async (_, fault) => {
    dynamo.on(TransactWriteCommand).rejects(fault());
    const result = await send('POST', '/Observation', observation());
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['Retry-After']).toBe('1');
    expect(outcomeOf(result).issue[0]?.code).toBe('transient');
    expectNoResourceIn(result);
    expectOneAtomicCommit();
  });

  it('answers 503 when the current version cannot be read for an update, and writes nothing', async () => {
    dynamo.on(QueryCommand).rejects(new InternalServerError({ message: 'Internal server error', $metadata: {} }));
    const result = await send('PUT', '/Observation/o1', amended);
    expect(result.statusCode).toBe(503);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('keeps a client-side fault that is not transient a server error (500), not a retry invitation', async () => {
    vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    dynamo.on(TransactWriteCommand).rejects(new DynamoDBServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'not authorized', $metadata: { httpStatusCode: 400 } }));
    const result = await send('POST', '/Observation', observation());
    expect(result.statusCode).toBe(500);
    expect(result.headers?.['Retry-After']).toBeUndefined();
  });
});

describe('TransactionCanceledException, mapped per reason', () => {
  // An update of Observation/o1 sends: [0] version put, [1] compartment item, [2] journal entry.
  it.each([
    [409, 'ConditionalCheckFailed on the version, no If-Match', ['ConditionalCheckFailed', 'None', 'None'], {}, 'conflict'],
    [412, 'ConditionalCheckFailed on the version, with If-Match', ['ConditionalCheckFailed', 'None', 'None'], { 'If-Match': 'W/"3"' }, 'conflict'],
    [409, 'TransactionConflict on the version, no If-Match', ['TransactionConflict', 'None', 'None'], {}, 'conflict'],
    [412, 'TransactionConflict on the compartment item, with If-Match', ['None', 'TransactionConflict', 'None'], { 'If-Match': 'W/"3"' }, 'conflict'],
    [503, 'ThrottlingError on the version', ['ThrottlingError', 'None', 'None'], {}, 'transient'],
    [503, 'ThrottlingError on the journal entry', ['None', 'None', 'ThrottlingError'], {}, 'transient'],
  ])('answers %i to an update cancelled by %s', async (status, _, reasons, headers, code) => {
    dynamo.on(QueryCommand).resolves({ Items: [versionItem('o1', 3)] });
    dynamo.on(TransactWriteCommand).rejects(cancelled(...reasons));
    const result = await send('PUT', '/Observation/o1', amended, headers);
    expect(result.statusCode).toBe(status);
    expect(outcomeOf(result).issue[0]?.code).toBe(code);
    if (status === 503) expect(result.headers?.['Retry-After']).toBe('1');
    expectNoResourceIn(result);
    expectOneAtomicCommit();
  });

  it('answers ValidationError (a request the server built wrongly) with 500 and the request id, logging no message', async () => {
    const errors = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    dynamo.on(QueryCommand).resolves({ Items: [versionItem('o1', 3)] });
    dynamo.on(TransactWriteCommand).rejects(cancelled('ValidationError', 'None', 'None'));
    const result = await send('PUT', '/Observation/o1', amended);
    expect(result.statusCode).toBe(500);
    expect(outcomeOf(result).issue[0]?.code).toBe('exception');
    expect(errors).toHaveBeenCalledWith('unhandled error', expect.objectContaining({ error: 'TransactionCanceledException' }));
  });

  it('answers a transaction Bundle 503 when DynamoDB throttles one of its items, and the Bundle was one commit', async () => {
    const bundle = JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [1, 2].map(() => ({ resource: JSON.parse(observation()) as object, request: { method: 'POST', url: 'Observation' } })),
    });
    dynamo.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ThrottlingError', 'None', 'None'));
    const result = await handler(requestEvent('POST', '/', { claims: staffClaims('physician'), body: bundle, headers: { 'Content-Type': 'application/fhir+json' } }), lambdaContext);
    expect(result.statusCode).toBe(503);
    expectNoResourceIn(result);
    expectOneAtomicCommit();
  });

  it('answers a keyed create whose key was claimed meanwhile as the create that claimed it (201, its version), not 409', async () => {
    // [0] version put, [1] the key item, [2] compartment item, [3] journal entry.
    dynamo.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed', 'None', 'None'));
    const claimed = { pk: 'idem#x', sk: '-', holder: 'Observation/o-first', versionId: 1, fingerprint: '' };
    let keyReads = 0;
    dynamo.on(GetCommand, { Key: { pk: 'Observation#o-first', sk: 'v#0000000001' } }).resolves({ Item: versionItem('o-first', 1) });
    dynamo.on(PutCommand).resolves({});
    // The first read of the key finds nothing; after the cancelled commit it finds the winner's claim, with this request's own fingerprint.
    dynamo.on(GetCommand, { Key: { sk: '-' } }).callsFake(() => {
      keyReads += 1;
      if (keyReads === 1) return {};
      const sent = dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[1]?.Put?.Item as Record<string, unknown> | undefined;
      return { Item: { ...claimed, pk: sent?.pk, fingerprint: sent?.fingerprint } };
    });
    const result = await send('POST', '/Observation', observation(), { 'Idempotency-Key': 'retry-1' });
    expect(result.statusCode).toBe(201);
    expect(result.headers?.Location).toBe(`${testBaseUrl}/Observation/o-first/_history/1`);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});
