import { ProvisionedThroughputExceededException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../../lambdas/platform/logger';
import { lambdaContext, mockedRecordFunction, proxyEvent, requestEvent, staffClaims, testOrigin, testRequestId, type EventOptions } from '../../support/api-events';
import { auditEventOfItem } from '../../../lambdas/audit/access-journal';
import { haemoglobinMembers, observationVersionItem, storedLastUpdated, storedObservationText } from '../../support/record-items';

/**
 * The read function at unit level: DynamoDB is stubbed only to hand back stored items and to
 * inject faults; what it is sent is checked. The item shapes are those of the record store.
 */
const { dynamo, sentCommands, handler } = mockedRecordFunction(() => import('../../../lambdas/handlers/record-read'));

const send = (method: string, path: string, options: EventOptions & { groups?: string } = {}) =>
  handler(requestEvent(method, path, { claims: staffClaims(options.groups ?? 'nurse'), ...options }), lambdaContext);

const outcomeOf = (result: APIGatewayProxyResult) => JSON.parse(result.body) as { resourceType: string; issue: { code: string; diagnostics: string }[] };

/** The stored Observation/o1 carries a decimal, written as stored (lossless JSON: `1.50` keeps its trailing zero). */
const members = `${haemoglobinMembers},"valueQuantity":{"value":1.50,"unit":"mmol/L"}`;
const observationText = (versionId: number) => storedObservationText(versionId, { members });
const versionItem = (versionId: number, options: { deleted?: boolean } = {}) => observationVersionItem(versionId, { members, ...options });

const journalPuts = () => dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);
const journaledEvent = (index = 0) => auditEventOfItem(journalPuts()[index]?.Item ?? {}) as unknown as { outcome: string; subtype: { code: string }[]; entity: { what: { reference?: string } }[] };

describe('record-read handler: read (GET /{type}/{id})', () => {
  it('returns the current version with ETag and Last-Modified, read consistently, after journalling it under the patient', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [versionItem(3)] });
    dynamo.on(PutCommand).resolves({});
    const result = await send('GET', '/Observation/o1');

    expect(result.statusCode).toBe(200);
    expect(result.body).toBe(observationText(3));
    expect(result.headers).toMatchObject({
      ETag: 'W/"3"',
      'Last-Modified': 'Wed, 25 Nov 2026 10:00:00 GMT',
      'Content-Type': 'application/fhir+json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Request-Id': testRequestId,
    });
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'record-table',
      ExpressionAttributeValues: { ':pk': 'Observation#o1' },
      ConsistentRead: true,
      Limit: 1,
      ScanIndexForward: false,
    });
    expect(journalPuts()).toHaveLength(1);
    expect(journalPuts()[0]).toMatchObject({ TableName: 'audit-table', Item: { pk: 'Patient/p1' } });
    expect(journaledEvent()).toMatchObject({ outcome: '0', subtype: [{ code: 'read' }] });
    expect(journaledEvent().entity.map((entity) => entity.what.reference)).toContain('Observation/o1');
  });

  it('keeps a decimal exactly as stored (1.50, not 1.5)', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [versionItem(3)] });
    dynamo.on(PutCommand).resolves({});
    expect((await send('GET', '/Observation/o1')).body).toContain('"value":1.50');
  });

  it('returns no resource data when the journal entry cannot be written', async () => {
    vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    dynamo.on(QueryCommand).resolves({ Items: [versionItem(3)] });
    dynamo.on(PutCommand).rejects(new Error('journal unavailable'));
    const result = await send('GET', '/Observation/o1');
    expect(result.statusCode).toBe(500);
    expect(outcomeOf(result).resourceType).toBe('OperationOutcome');
    expect(result.body).not.toContain('Haemoglobin');
    expect(result.body).not.toContain('Patient/p1');
    expect(result.headers?.ETag).toBeUndefined();
  });

  it('answers 404 for an unknown resource, and journals the attempt', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(PutCommand).resolves({});
    const result = await send('GET', '/Observation/nobody');
    expect(result.statusCode).toBe(404);
    expect(outcomeOf(result)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
    expect(journalPuts()).toHaveLength(1);
    expect(journaledEvent().outcome).toBe('4');
  });

  it('answers 410 when the current version is a delete', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [versionItem(4, { deleted: true })] });
    dynamo.on(PutCommand).resolves({});
    const result = await send('GET', '/Observation/o1');
    expect(result.statusCode).toBe(410);
    expect(outcomeOf(result).issue[0]?.code).toBe('deleted');
  });

  it('answers 304 without a body when If-None-Match names the current version, 200 when it names another', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [versionItem(3)] });
    dynamo.on(PutCommand).resolves({});
    const unchanged = await send('GET', '/Observation/o1', { headers: { 'If-None-Match': 'W/"3"' } });
    expect(unchanged.statusCode).toBe(304);
    expect(unchanged.body).toBe('');
    expect(unchanged.headers).toMatchObject({ ETag: 'W/"3"' });
    expect(unchanged.headers?.['Content-Type']).toBeUndefined();

    const changed = await send('GET', '/Observation/o1', { headers: { 'If-None-Match': 'W/"2"' } });
    expect(changed.statusCode).toBe(200);
    expect(changed.body).toBe(observationText(3));
  });

  it('answers 406 to a client that accepts only XML, before touching any table', async () => {
    const result = await send('GET', '/Observation/o1', { headers: { Accept: 'application/fhir+xml' } });
    expect(result.statusCode).toBe(406);
    expect(outcomeOf(result).issue[0]?.code).toBe('not-supported');
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('answers 403 to a clerk reading clinical data, journals the denial and reads nothing', async () => {
    dynamo.on(PutCommand).resolves({});
    const result = await send('GET', '/Observation/o1', { groups: 'clerk' });
    expect(result.statusCode).toBe(403);
    expect(outcomeOf(result).issue[0]?.code).toBe('forbidden');
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
    expect(journalPuts()).toHaveLength(1);
    expect(journaledEvent().outcome).toBe('4');
  });

  it('lets the stage\'s browser origin read the answer, and no other origin', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [versionItem(3)] });
    dynamo.on(PutCommand).resolves({});
    expect((await send('GET', '/Observation/o1', { headers: { origin: testOrigin } })).headers).toMatchObject({ 'Access-Control-Allow-Origin': testOrigin, Vary: 'Origin' });
    expect((await send('GET', '/Observation/o1', { headers: { Origin: 'https://elsewhere.example.org' } })).headers?.['Access-Control-Allow-Origin']).toBeUndefined();
  });
});

describe('record-read handler: vread (GET /{type}/{id}/_history/{vid})', () => {
  it('returns the version asked for, by its key, read consistently', async () => {
    dynamo.on(GetCommand).resolves({ Item: versionItem(2) });
    dynamo.on(PutCommand).resolves({});
    const result = await send('GET', '/Observation/o1/_history/2');
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe(observationText(2));
    expect(result.headers).toMatchObject({ ETag: 'W/"2"' });
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: 'record-table',
      Key: { pk: 'Observation#o1', sk: 'v#0000000002' },
      ConsistentRead: true,
    });
    expect(journaledEvent().subtype).toEqual([expect.objectContaining({ code: 'vread' })]);
  });

  it('answers 410 for a delete version and 404 for a version that does not exist', async () => {
    dynamo.on(PutCommand).resolves({});
    dynamo.on(GetCommand).resolves({ Item: versionItem(4, { deleted: true }) });
    expect((await send('GET', '/Observation/o1/_history/4')).statusCode).toBe(410);
    dynamo.on(GetCommand).resolves({});
    expect((await send('GET', '/Observation/o1/_history/9')).statusCode).toBe(404);
  });

  it('answers 404 for a version id that is not a version number, without a lookup', async () => {
    const result = await send('GET', '/Observation/o1/_history/latest');
    expect(result.statusCode).toBe(404);
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(0);
  });
});

describe('record-read handler: types', () => {
  it.each([
    ['an unknown type', '/Nonsense/1'],
    ['Parameters, which is exchanged, never stored', '/Parameters/1'],
    ['OperationOutcome, which is exchanged, never stored', '/OperationOutcome/1'],
  ])('answers 404 for %s without touching any table', async (_, path) => {
    const result = await send('GET', path);
    expect(result.statusCode).toBe(404);
    expect(outcomeOf(result).issue[0]?.code).toBe('not-found');
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('serves any of the R4 types through the same routes (a Practitioner is journaled under itself)', async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [
        {
          pk: 'Practitioner#dr1',
          sk: 'v#0000000001',
          resourceType: 'Practitioner',
          id: 'dr1',
          versionId: 1,
          lastUpdated: storedLastUpdated,
          resource: `{"resourceType":"Practitioner","id":"dr1","meta":{"versionId":"1","lastUpdated":"${storedLastUpdated}"}}`,
          searchValues: '{}',
          compartments: [],
          identifiers: [],
        },
      ],
    });
    dynamo.on(PutCommand).resolves({});
    const result = await send('GET', '/Practitioner/dr1', { groups: 'clerk' });
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ resourceType: 'Practitioner', id: 'dr1' });
    expect(journalPuts()[0]?.Item?.pk).toBe('Practitioner/dr1');
  });
});

describe('record-read handler: failures', () => {
  it.each([
    ['ThrottlingException', 'the record read', () => new ThrottlingException({ message: 'Rate exceeded', $metadata: {} })],
    ['ProvisionedThroughputExceededException', 'the record read', () => new ProvisionedThroughputExceededException({ message: 'Throughput exceeded', $metadata: {} })],
    ['ThrottlingException', 'the journal write', () => new ThrottlingException({ message: 'Rate exceeded', $metadata: {} })],
    ['ProvisionedThroughputExceededException', 'the journal write', () => new ProvisionedThroughputExceededException({ message: 'Throughput exceeded', $metadata: {} })],
  ])('answers 503 with Retry-After on %s in %s, and no resource data', async (_, stage, error) => {
    if (stage === 'the record read') dynamo.on(QueryCommand).rejects(error());
    else dynamo.on(QueryCommand).resolves({ Items: [versionItem(3)] });
    dynamo.on(PutCommand).callsFake(() => (stage === 'the journal write' ? Promise.reject(error()) : Promise.resolve({})));
    const result = await send('GET', '/Observation/o1');
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['Retry-After']).toBe('1');
    expect(outcomeOf(result).issue[0]?.code).toBe('transient');
    expect(result.body).not.toContain('Haemoglobin');
  });

  it('answers 500 with the request id and no internal detail on an unknown error, logging its name, not its message', async () => {
    class DriverFault extends Error {
      override name = 'DriverFault';
    }
    const errors = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    dynamo.on(QueryCommand).rejects(new DriverFault('key Observation#o1 of Patient/p1 is corrupt'));
    const result = await send('GET', '/Observation/o1');

    expect(result.statusCode).toBe(500);
    expect(outcomeOf(result).issue).toHaveLength(1);
    expect(outcomeOf(result).issue[0]?.code).toBe('exception');
    expect(outcomeOf(result).issue[0]?.diagnostics).toContain(testRequestId);
    expect(result.headers?.['X-Request-Id']).toBe(testRequestId);
    expect(result.body).not.toContain('corrupt');
    expect(result.body).not.toContain('DriverFault');
    expect(errors).toHaveBeenCalledWith(expect.any(String), expect.objectContaining({ error: 'DriverFault' }));
    expect(JSON.stringify(errors.mock.calls)).not.toContain('corrupt');
  });

  it('answers 500 to a request whose route this function does not serve (a wiring error)', async () => {
    vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const result = await handler(requestEvent('POST', '/Observation', { body: '{"resourceType":"Observation"}', headers: { 'Content-Type': 'application/fhir+json' }, claims: staffClaims() }), lambdaContext);
    expect(result.statusCode).toBe(500);
    expect(outcomeOf(result).issue[0]?.code).toBe('exception');
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('answers 500 to a route missing from the route table', async () => {
    vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const result = await handler(proxyEvent({ method: 'GET', resource: '/Observation/{id}', path: '/Observation/o1', pathParameters: { id: 'o1' }, claims: staffClaims() }), lambdaContext);
    expect(result.statusCode).toBe(500);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('answers 401 when the request carries no verified claims', async () => {
    const result = await handler(requestEvent('GET', '/Observation/o1'), lambdaContext);
    expect(result.statusCode).toBe(401);
    expect(outcomeOf(result).issue[0]?.code).toBe('login');
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
  });
});

describe('record-read handler: interactions over many resources never scan', () => {
  beforeEach(() => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(BatchGetCommand).resolves({ Responses: { 'record-table': [] } });
    dynamo.on(PutCommand).resolves({});
  });

  it.each([
    ['a search with no parameters', '/Observation', 200],
    ['a search by code', '/Observation?code=http://loinc.org|718-7', 200],
    ['the type history', '/Observation/_history', 200],
    ['the instance history (of an unknown resource)', '/Observation/o1/_history', 404],
    ['a patient compartment search', '/Patient/p1/Observation', 200],
  ])('%s answers %i with keyed reads only', async (_, path, status) => {
    const result = await send('GET', path);
    expect(result.statusCode).toBe(status);
    expect(sentCommands().length).toBeGreaterThan(0);
    const keyed = ['QueryCommand', 'GetCommand', 'BatchGetCommand', 'PutCommand'];
    expect(sentCommands().filter((name) => !keyed.includes(name))).toEqual([]);
  });
});
