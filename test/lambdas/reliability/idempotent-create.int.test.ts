import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../lambdas/platform/dynamodb';
import { identifierKey, resourceKey } from '../../../lambdas/store/keys';
import { startRecordApi, type RecordApi } from '../../support/record-api';
import { staffClaims } from '../../support/api-events';
import type { Answer } from '../../support/fuzz';

/**
 * Retried creates never duplicate: `Idempotency-Key` on POST [type], and `If-None-Exist`, through
 * the deployed write handler over DynamoDB Local, with the clients racing as retrying apps do.
 */

let api: RecordApi;
const mrn = 'urn:dsc:test:idempotency';
const fhirJson = { 'Content-Type': 'application/fhir+json' };

beforeAll(async () => {
  api = await startRecordApi();
});

const patient = (value: string, family = 'Tremblay') => JSON.stringify({ resourceType: 'Patient', identifier: [{ system: mrn, value }], name: [{ family }] });

const post = (body: string, headers: Record<string, string> = {}, claims?: Record<string, string>) =>
  api.request('POST', '/Patient', { headers: { ...fhirJson, ...headers }, body, ...(claims ? { claims } : {}) });

/** The resources holding this identifier (the read-your-writes identifier index, written with each version). */
async function patientsWith(value: string): Promise<string[]> {
  const result = await api.documentClient.send(
    new QueryCommand({ TableName: process.env.RECORD_TABLE_NAME, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': identifierKey('Patient', mrn, value) }, ConsistentRead: true }),
  );
  return (result.Items ?? []).map((item) => item.sk as string);
}

async function versionCount(reference: string): Promise<number> {
  const [type = '', id = ''] = reference.split('/');
  const result = await api.documentClient.send(
    new QueryCommand({ TableName: process.env.RECORD_TABLE_NAME, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': resourceKey(type, id) }, ConsistentRead: true }),
  );
  return result.Count ?? 0;
}

/** What a client compares between two answers: status, Location, ETag and body. */
const answerOf = (answer: Answer) => ({ status: answer.status, location: answer.headers.location, etag: answer.headers.etag, body: answer.body });
const issueCodeOf = (answer: Answer) => (JSON.parse(answer.body) as { resourceType: string; issue: { code: string }[] }).issue[0]?.code;

/** The create was refused with this status and issue code, and no Patient holds the identifier it carried. */
async function expectRefusedUnwritten(answer: Answer, status: number, code: string, value: string) {
  expect(answer.status).toBe(status);
  expect(issueCodeOf(answer)).toBe(code);
  expect(await patientsWith(value)).toEqual([]);
}

describe('Idempotency-Key on create', () => {
  it('creates one resource from 50 parallel POSTs with the same key, and gives every caller the same 201 answer', async () => {
    const value = randomUUID();
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 50 }, () => post(patient(value), { 'Idempotency-Key': `"${key}"` })));

    const distinct = new Set(answers.map((answer) => JSON.stringify(answerOf(answer))));
    expect(distinct.size, [...distinct].join('\n').slice(0, 2000)).toBe(1);
    const [first] = answers;
    expect(first?.status).toBe(201);
    expect(first?.headers.etag).toBe('W/"1"');
    const created = await patientsWith(value);
    expect(created).toHaveLength(1);
    expect(first?.headers.location).toMatch(new RegExp(`/${created[0]}/_history/1$`));
    expect(await versionCount(created[0] ?? '')).toBe(1);
  });

  it('answers a later retry with the first answer, even after the resource was updated', async () => {
    const value = randomUUID();
    const key = randomUUID();
    const first = await post(patient(value), { 'Idempotency-Key': key });
    const { id } = JSON.parse(first.body) as { id: string };
    const update = await api.request('PUT', `/Patient/${id}`, { headers: fhirJson, body: JSON.stringify({ ...JSON.parse(patient(value, 'Gagnon')), id }) });
    expect(update.status).toBe(200);

    const retry = await post(patient(value), { 'Idempotency-Key': key });
    expect(answerOf(retry)).toEqual(answerOf(first));
    expect(await patientsWith(value)).toEqual([`Patient/${id}`]);
  });

  it('takes a quoted key (a Structured Field string, as the draft sends it) and the bare key for the same key', async () => {
    const value = randomUUID();
    const key = randomUUID();
    const quoted = await post(patient(value), { 'Idempotency-Key': `"${key}"` });
    const bare = await post(patient(value), { 'Idempotency-Key': key });
    expect(answerOf(bare)).toEqual(answerOf(quoted));
  });

  it('refuses the same key with another body with 422 and an OperationOutcome, and writes nothing', async () => {
    const value = randomUUID();
    const key = randomUUID();
    expect((await post(patient(value), { 'Idempotency-Key': key })).status).toBe(201);
    const other = randomUUID();
    await expectRefusedUnwritten(await post(patient(other), { 'Idempotency-Key': key }), 422, 'processing', other);
  });

  it('refuses the same key and body on another resource type with 422', async () => {
    const key = randomUUID();
    const practitioner = JSON.stringify({ resourceType: 'Practitioner', name: [{ family: 'Roy' }] });
    expect((await api.request('POST', '/Practitioner', { headers: { ...fhirJson, 'Idempotency-Key': key }, body: practitioner })).status).toBe(201);
    const organization = JSON.stringify({ resourceType: 'Organization', name: 'CIUSSS' });
    expect((await api.request('POST', '/Organization', { headers: { ...fhirJson, 'Idempotency-Key': key }, body: organization })).status).toBe(422);
  });

  it('scopes a key to its caller: another user sending the same key and body creates a resource of their own', async () => {
    const value = randomUUID();
    const key = randomUUID();
    const mine = await post(patient(value), { 'Idempotency-Key': key });
    const theirs = await post(patient(value), { 'Idempotency-Key': key }, { ...staffClaims('physician'), sub: 'another-physician', username: 'another-physician' });
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.headers.location).not.toBe(mine.headers.location);
    expect(await patientsWith(value)).toHaveLength(2);
  });

  it.each([
    ['empty', ''],
    ['an empty quoted string', '""'],
    ['over 255 characters', 'k'.repeat(256)],
    ['a space inside', 'my key'],
    ['a non-ASCII character', 'clé-1'],
    ['a quote inside', 'a"b'],
    ['a backslash', 'a\\b'],
  ])('refuses a key that is %s with 400, and writes nothing', async (_, key) => {
    const value = randomUUID();
    await expectRefusedUnwritten(await post(patient(value), { 'Idempotency-Key': key }), 400, 'invalid', value);
  });

  it('accepts a key of exactly 255 characters', async () => {
    expect((await post(patient(randomUUID()), { 'Idempotency-Key': 'k'.repeat(255) })).status).toBe(201);
  });

  it('refuses Idempotency-Key on a transaction Bundle with 400 rather than ignore it', async () => {
    const bundle = JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: JSON.parse(patient(randomUUID())) as object, request: { method: 'POST', url: 'Patient' } }] });
    const answer = await api.request('POST', '/', { headers: { ...fhirJson, 'Idempotency-Key': randomUUID() }, body: bundle });
    expect(answer.status).toBe(400);
  });
});

describe('If-None-Exist under racing creates', () => {
  it('creates one resource from 50 parallel conditional creates, each with its own key; one gets 201, the others 200 with it', async () => {
    const value = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => post(patient(value), { 'If-None-Exist': `identifier=${mrn}|${value}`, 'Idempotency-Key': randomUUID() })),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([...Array<number>(49).fill(200), 201]);
    const created = await patientsWith(value);
    expect(created).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.headers.location))).toEqual(new Set([expect.stringContaining(`/${created[0]}/_history/1`)]));
  });
});

describe('a create whose DynamoDB call times out', () => {
  /** Makes the handler's next TransactWriteItems time out, before DynamoDB gets it or after it committed (the answer lost on the way back). */
  function timeOutNextTransaction(when: 'before' | 'after') {
    let armed = true;
    const timeout = () => Object.assign(new Error('Connection timed out'), { name: 'TimeoutError' });
    documentClient().middlewareStack.add(
      (next, context) => async (args) => {
        if (!armed || context.commandName !== 'TransactWriteItemsCommand') return next(args);
        armed = false;
        if (when === 'before') throw timeout();
        await next(args);
        throw timeout();
      },
      { step: 'initialize', name: `timeout-${randomUUID()}` },
    );
  }

  it('answers 503 with Retry-After and writes nothing when the transaction never reached DynamoDB', async () => {
    const value = randomUUID();
    timeOutNextTransaction('before');
    const answer = await post(patient(value), { 'Idempotency-Key': randomUUID() });
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
    expect(issueCodeOf(answer)).toBe('transient');
    expect(await patientsWith(value)).toEqual([]);
  });

  it('answers 503 when the answer was lost after the commit; the retry with the same key gets the resource, not a duplicate', async () => {
    const value = randomUUID();
    const key = randomUUID();
    timeOutNextTransaction('after');
    expect((await post(patient(value), { 'Idempotency-Key': key })).status).toBe(503);
    const committed = await patientsWith(value);
    expect(committed).toHaveLength(1);

    const retry = await post(patient(value), { 'Idempotency-Key': key });
    expect(retry.status).toBe(201);
    expect(retry.headers.location).toMatch(new RegExp(`/${committed[0]}/_history/1$`));
    expect(await patientsWith(value)).toEqual(committed);
  });
});
