import { ProvisionedThroughputExceededException, ThrottlingException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../../lambdas/platform/logger';
import { lambdaContext, mockedRecordFunction, requestEvent, staffClaims, testBaseUrl, testRequestId, type EventOptions } from '../../support/api-events';
import { observationVersionItem } from '../../support/record-items';

/**
 * The write function at unit level: DynamoDB is stubbed only to hand back stored items and to
 * inject faults; the transaction it is sent is checked. The item shapes are those of the record store.
 */
const { dynamo, sentCommands, handler } = mockedRecordFunction(() => import('../../../lambdas/handlers/record-write'));

type SendOptions = Omit<EventOptions, 'body'> & { body?: string | Uint8Array | object; contentType?: string; groups?: string };

const send = (method: string, path: string, options: SendOptions = {}) => {
  const { body, contentType, groups, headers, ...rest } = options;
  return handler(
    requestEvent(method, path, {
      claims: staffClaims(groups ?? 'physician'),
      ...rest,
      body: body === undefined || typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
      headers: { ...(body === undefined ? {} : { 'Content-Type': contentType ?? 'application/fhir+json' }), ...headers },
    }),
    lambdaContext,
  );
};

const outcomeOf = (result: APIGatewayProxyResult) => JSON.parse(result.body) as { resourceType: string; issue: { code: string; diagnostics: string }[] };

/** The first issue has this code, and its diagnostics mention `text`. */
function expectIssue(result: APIGatewayProxyResult, code: string, text: string) {
  const [issue] = outcomeOf(result).issue;
  expect(issue?.code).toBe(code);
  expect(issue?.diagnostics).toContain(text);
}

/** A valid Observation; its decimal is written as text, so the test sees what the client sent. */
const observationText = (extra = '') =>
  `{"resourceType":"Observation"${extra},"status":"final","code":{"text":"Haemoglobin"},"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":1.50,"unit":"mmol/L"}}`;

/** The current version item of Observation/o1 in the record table, still preliminary. */
const currentItem = (versionId: number) =>
  observationVersionItem(versionId, { members: '"status":"preliminary","code":{"text":"Haemoglobin"},"subject":{"reference":"Patient/p1"}' });

const transactItems = (index = 0) => dynamo.commandCalls(TransactWriteCommand)[index]?.args[0].input.TransactItems ?? [];

const versionConflict = () =>
  new TransactionCanceledException({
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None, None]',
    $metadata: {},
    CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }, { Code: 'None' }],
  });

describe('record-write handler: create (POST /{type})', () => {
  it('answers 201 with the version\'s Location under the stage, its ETag and no-store caching', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await send('POST', '/Observation', { body: observationText() });

    expect(result.statusCode).toBe(201);
    const body = JSON.parse(result.body) as { id: string; meta: { versionId: string; lastUpdated: string } };
    expect(body.id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
    expect(body.meta.versionId).toBe('1');
    expect(result.headers).toMatchObject({
      Location: `${testBaseUrl}/Observation/${body.id}/_history/1`,
      ETag: 'W/"1"',
      'Last-Modified': new Date(body.meta.lastUpdated).toUTCString(),
      'Cache-Control': 'no-store',
      'Content-Type': 'application/fhir+json; charset=utf-8',
    });
  });

  it('commits the version, its compartment item and its journal entry in one transaction, the version put first and conditional', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await send('POST', '/Observation', { body: observationText() });
    const id = (JSON.parse(result.body) as { id: string }).id;

    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
    const [version, ...others] = transactItems();
    expect(version?.Put).toMatchObject({
      TableName: 'record-table',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: `Observation#${id}`, sk: 'v#0000000001', resourceType: 'Observation', id, versionId: 1, compartments: ['Patient/p1'] },
    });
    expect(version?.Put?.Item?.deleted).toBeUndefined();
    expect(others.map((item): unknown[] => [item.Put?.TableName, item.Put?.Item?.pk])).toEqual(
      expect.arrayContaining([
        ['record-table', 'cmp#Patient/p1'],
        ['audit-table', 'Patient/p1'],
      ]),
    );
    expect(others.find((item) => item.Put?.TableName === 'audit-table')?.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  it('keeps the decimal text 1.50 in the stored resource and in the answer', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await send('POST', '/Observation', { body: observationText() });
    const stored: unknown = transactItems()[0]?.Put?.Item?.resource;
    expect(typeof stored).toBe('string');
    expect(stored).toContain('"value":1.50');
    expect(result.body).toContain('"value":1.50');
  });

  it('assigns its own id, ignoring one the client sent', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await send('POST', '/Observation', { body: observationText(',"id":"client-chosen"') });
    expect(result.statusCode).toBe(201);
    expect((JSON.parse(result.body) as { id: string }).id).not.toBe('client-chosen');
  });

  it('accepts the legacy application/json+fhir media type', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    expect((await send('POST', '/Patient', { body: { resourceType: 'Patient' }, contentType: 'application/json+fhir; charset=utf-8' })).statusCode).toBe(201);
  });

  it('answers with headers only when the client prefers return=minimal', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await send('POST', '/Observation', { body: observationText(), headers: { Prefer: 'return=minimal' } });
    expect(result.statusCode).toBe(201);
    expect(result.body).toBe('');
    expect(result.headers?.['Content-Type']).toBeUndefined();
    expect(result.headers?.Location).toMatch(/\/Observation\/[A-Za-z0-9\-.]+\/_history\/1$/);
    expect(result.headers?.ETag).toBe('W/"1"');
  });

  it('answers 409 when the version put loses its condition', async () => {
    dynamo.on(TransactWriteCommand).rejects(versionConflict());
    const result = await send('POST', '/Observation', { body: observationText() });
    expect(result.statusCode).toBe(409);
    expect(outcomeOf(result).issue[0]?.code).toBe('conflict');
  });

  it('answers 403 to a clerk writing clinical data, journals the denial and writes nothing', async () => {
    dynamo.on(PutCommand).resolves({});
    const result = await send('POST', '/Observation', { body: observationText(), groups: 'clerk' });
    expect(result.statusCode).toBe(403);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.TableName)).toEqual(['audit-table']);
  });

  it('lets a clerk schedule (an Encounter is scheduling data)', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await send('POST', '/Encounter', { body: { resourceType: 'Encounter', status: 'planned', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' } }, groups: 'clerk' });
    expect(result.statusCode).toBe(201);
  });
});

describe('record-write handler: scopes, checked again in the function (defence in depth)', () => {
  const systemClaims = (scope: string) => ({ ...staffClaims('integration'), scope });

  it('refuses a write to a token holding only the read scope with 403, before touching DynamoDB', async () => {
    const result = await handler(
      requestEvent('POST', '/Patient', { claims: systemClaims('dsc-fhir/fhir.read'), body: JSON.stringify({ resourceType: 'Patient' }), headers: { 'Content-Type': 'application/fhir+json' } }),
      lambdaContext,
    );
    expect(result.statusCode).toBe(403);
    expect(JSON.parse(result.body)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'forbidden' }] });
    expect(sentCommands()).toEqual([]);
  });

  it('lets the write scope through to the interaction', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await handler(
      requestEvent('POST', '/Patient', { claims: systemClaims('dsc-fhir/fhir.write'), body: JSON.stringify({ resourceType: 'Patient' }), headers: { 'Content-Type': 'application/fhir+json' } }),
      lambdaContext,
    );
    expect(result.statusCode).toBe(201);
  });
});

describe('record-write handler: bodies', () => {
  it.each([
    ['a non-JSON media type', 'text/plain'],
    ['FHIR XML', 'application/fhir+xml'],
    ['a form', 'application/x-www-form-urlencoded'],
  ])('answers 415 to %s and writes nothing', async (_, contentType) => {
    const result = await send('POST', '/Observation', { body: observationText(), contentType });
    expect(result.statusCode).toBe(415);
    expect(outcomeOf(result).issue[0]?.code).toBe('not-supported');
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('answers 400 to a body that is not valid UTF-8 and writes nothing', async () => {
    const bytes = Buffer.concat([Buffer.from('{"resourceType":"Patient","name":[{"family":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]);
    const result = await send('POST', '/Patient', { body: bytes });
    expect(result.statusCode).toBe(400);
    expectIssue(result, 'invalid', 'UTF-8');
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('reads UTF-8 text as such (an accented name survives the base64 body)', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await send('POST', '/Patient', { body: '{"resourceType":"Patient","name":[{"family":"Bélanger-Côté"}]}' });
    expect(result.statusCode).toBe(201);
    expect(transactItems()[0]?.Put?.Item?.resource).toContain('Bélanger-Côté');
  });

  it.each([
    ['malformed JSON', 'invalid', '{"resourceType":'],
    ['a JSON array', 'invalid', '[]'],
    ['a body of another type than the URL', 'invalid', '{"resourceType":"Patient"}'],
    ['an unknown element', 'structure', observationText(',"colour":"blue"')],
  ])('answers 400 to %s (%s) and writes nothing', async (_, code, body) => {
    const result = await send('POST', '/Observation', { body });
    expect(result.statusCode).toBe(400);
    expect(outcomeOf(result)).toMatchObject({ resourceType: 'OperationOutcome', issue: [expect.objectContaining({ code })] });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

describe('record-write handler: update (PUT /{type}/{id})', () => {
  it('answers 200 with version 4 over version 3, conditional on version 4 not existing', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [currentItem(3)] });
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await send('PUT', '/Observation/o1', { body: observationText(',"id":"o1"') });
    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ ETag: 'W/"4"', Location: `${testBaseUrl}/Observation/o1/_history/4` });
    expect(transactItems()[0]?.Put).toMatchObject({ ConditionExpression: 'attribute_not_exists(pk)', Item: { pk: 'Observation#o1', sk: 'v#0000000004' } });
  });

  it('answers 400 when the id in the body is not the id in the URL, and writes nothing', async () => {
    const result = await send('PUT', '/Observation/o1', { body: observationText(',"id":"o2"') });
    expect(result.statusCode).toBe(400);
    expectIssue(result, 'invalid', 'o2');
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers 409 when a concurrent writer took the version first and no If-Match was sent', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [currentItem(3)] });
    dynamo.on(TransactWriteCommand).rejects(versionConflict());
    const result = await send('PUT', '/Observation/o1', { body: observationText(',"id":"o1"') });
    expect(result.statusCode).toBe(409);
    expect(outcomeOf(result).issue[0]?.code).toBe('conflict');
  });

  it('answers 412 when a concurrent writer took the version that If-Match allowed', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [currentItem(3)] });
    dynamo.on(TransactWriteCommand).rejects(versionConflict());
    const result = await send('PUT', '/Observation/o1', { body: observationText(',"id":"o1"'), headers: { 'If-Match': 'W/"3"' } });
    expect(result.statusCode).toBe(412);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('answers 412 without writing when If-Match names a version that is no longer current', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [currentItem(3)] });
    const result = await send('PUT', '/Observation/o1', { body: observationText(',"id":"o1"'), headers: { 'If-Match': 'W/"2"' } });
    expect(result.statusCode).toBe(412);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

describe('record-write handler: delete (DELETE /{type}/{id})', () => {
  it('writes a delete version (deleted: true, no resource) and answers 204 with its ETag', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [currentItem(3)] });
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await send('DELETE', '/Observation/o1');
    expect(result.statusCode).toBe(204);
    expect(result.body).toBe('');
    expect(result.headers?.ETag).toBe('W/"4"');
    const version = transactItems()[0]?.Put?.Item;
    expect(version).toMatchObject({ pk: 'Observation#o1', sk: 'v#0000000004', deleted: true });
    expect(version?.resource).toBeUndefined();
    // The compartment item goes with the content.
    expect(transactItems().some((item) => item.Delete?.Key?.pk === 'cmp#Patient/p1')).toBe(true);
  });
});

describe('record-write handler: types and routes', () => {
  it.each([
    ['an unknown type', '/Nonsense', { resourceType: 'Nonsense' }],
    ['Parameters, which is exchanged, never stored', '/Parameters', { resourceType: 'Parameters' }],
    ['OperationOutcome, which is exchanged, never stored', '/OperationOutcome', { resourceType: 'OperationOutcome', issue: [] }],
  ])('answers 404 to a create of %s and touches no table', async (_, path, body) => {
    const result = await send('POST', path, { body });
    expect(result.statusCode).toBe(404);
    expect(outcomeOf(result).issue[0]?.code).toBe('not-found');
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('answers 404 to an update of an unknown type', async () => {
    expect((await send('PUT', '/Nonsense/1', { body: { resourceType: 'Nonsense', id: '1' } })).statusCode).toBe(404);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('answers 500 to a request whose route this function does not serve (a wiring error)', async () => {
    vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const result = await send('GET', '/Observation/o1');
    expect(result.statusCode).toBe(500);
    expectIssue(result, 'exception', testRequestId);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('answers 401 when the request carries no verified claims', async () => {
    const result = await handler(requestEvent('POST', '/Observation', { body: observationText(), headers: { 'Content-Type': 'application/fhir+json' } }), lambdaContext);
    expect(result.statusCode).toBe(401);
    expect(outcomeOf(result).issue[0]?.code).toBe('login');
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('record-write handler: failures', () => {
  it.each([
    ['ThrottlingException', () => new ThrottlingException({ message: 'Rate exceeded', $metadata: {} })],
    ['ProvisionedThroughputExceededException', () => new ProvisionedThroughputExceededException({ message: 'Throughput exceeded', $metadata: {} })],
  ])('answers 503 with Retry-After on %s', async (_, error) => {
    dynamo.on(TransactWriteCommand).rejects(error());
    const result = await send('POST', '/Observation', { body: observationText() });
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['Retry-After']).toBe('1');
    expect(outcomeOf(result).issue[0]?.code).toBe('transient');
  });

  it('answers 500 with the request id and no internal detail on an unknown error, logging its name, not its message', async () => {
    class DriverFault extends Error {
      override name = 'DriverFault';
    }
    const errors = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    dynamo.on(TransactWriteCommand).rejects(new DriverFault('item Observation#o1 of Patient/p1 rejected'));
    const result = await send('POST', '/Observation', { body: observationText() });

    expect(result.statusCode).toBe(500);
    expect(outcomeOf(result).issue).toHaveLength(1);
    expectIssue(result, 'exception', testRequestId);
    expect(result.body).not.toContain('rejected');
    expect(errors).toHaveBeenCalledWith(expect.any(String), expect.objectContaining({ error: 'DriverFault' }));
    expect(JSON.stringify(errors.mock.calls)).not.toContain('rejected');
  });

  it('does not take a cancelled transaction for a conflict when no condition failed (500)', async () => {
    vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    dynamo.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: [{ Code: 'ValidationError' }, { Code: 'None' }] }),
    );
    expect((await send('POST', '/Observation', { body: observationText() })).statusCode).toBe(500);
  });
});

describe('record-write handler: conditional interactions never scan', () => {
  beforeEach(() => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(GetCommand).resolves({});
    dynamo.on(BatchGetCommand).resolves({ Responses: { 'record-table': [] } });
    dynamo.on(PutCommand).resolves({});
    dynamo.on(TransactWriteCommand).resolves({});
  });

  it.each([
    ['a conditional create', 'POST', '/Observation', { body: observationText(), headers: { 'If-None-Exist': 'code=http://loinc.org|718-7' } }, 201],
    ['a conditional update', 'PUT', '/Observation?code=http://loinc.org|718-7', { body: observationText() }, 201],
    ['a conditional delete', 'DELETE', '/Observation?identifier=http://lab.example.org|123', {}, 204],
  ] as const)('%s answers %i with keyed reads and writes only', async (_, method, path, options, status) => {
    const result = await send(method, path, options);
    expect(result.statusCode).toBe(status);
    const keyed = ['QueryCommand', 'GetCommand', 'BatchGetCommand', 'PutCommand', 'TransactWriteCommand'];
    expect(sentCommands().length).toBeGreaterThan(0);
    expect(sentCommands().filter((name) => !keyed.includes(name))).toEqual([]);
  });
});
