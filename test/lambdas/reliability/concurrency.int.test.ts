import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordOf } from '../../../lambdas/store/dynamodb-record-store';
import { resourceKey, versionPrefix } from '../../../lambdas/store/keys';
import type { VersionRecord } from '../../../lambdas/store/record-store';
import { startRecordApi, type RecordApi } from '../../support/record-api';
import type { Answer } from '../../support/fuzz';

/**
 * Racing writers through the deployed write handler over DynamoDB Local: parallel updates of one
 * resource, and parallel transactions over the same resources. Whatever the interleaving, no
 * update is lost (every success is a version in history, and the current content is the last of
 * them), history has no gap, a transaction is all or nothing, and every loser is told so with a
 * 409 or 412 OperationOutcome.
 */

let api: RecordApi;
const fhirJson = { 'Content-Type': 'application/fhir+json' };
const writers = 20;

beforeAll(async () => {
  api = await startRecordApi();
});

const patient = (id: string, family: string) => ({ resourceType: 'Patient', id, name: [{ family }] });
const familyOf = (version: VersionRecord | undefined) => (version?.resource?.name as { family: string }[] | undefined)?.[0]?.family;

async function createPatient(family: string): Promise<string> {
  const answer = await api.request('POST', '/Patient', { headers: fhirJson, body: JSON.stringify({ resourceType: 'Patient', name: [{ family }] }) });
  expect(answer.status).toBe(201);
  return (JSON.parse(answer.body) as { id: string }).id;
}

/** Every version of a resource, oldest first, read straight from the table. */
async function historyOf(id: string): Promise<VersionRecord[]> {
  const result = await api.documentClient.send(
    new QueryCommand({
      TableName: process.env.RECORD_TABLE_NAME,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
      ExpressionAttributeValues: { ':pk': resourceKey('Patient', id), ':v': versionPrefix },
      ConsistentRead: true,
    }),
  );
  return (result.Items ?? []).map(recordOf);
}

/** A loser's answer: the status the interaction calls for, with an OperationOutcome saying conflict. */
function expectLoser(answer: Answer, statuses: readonly number[]) {
  expect(statuses, answer.body).toContain(answer.status);
  const outcome = JSON.parse(answer.body) as { resourceType: string; issue: { code: string }[] };
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue[0]?.code).toBe('conflict');
}

/** Versions 1..n with no gap, and each winner's write is the version its ETag names. */
async function expectNoLostUpdate(id: string, winners: readonly { family: string; answer: Answer }[]) {
  const history = await historyOf(id);
  expect(history.map((version) => version.versionId)).toEqual(history.map((_, index) => index + 1));
  expect(history).toHaveLength(1 + winners.length);
  for (const { family, answer } of winners) {
    const versionId = Number(/"(\d+)"/.exec(answer.headers.etag ?? '')?.[1]);
    expect(familyOf(history[versionId - 1]), `${family} at version ${versionId}`).toBe(family);
  }
  return history;
}

describe('parallel updates of one resource', () => {
  it(`keeps every one of ${writers} racing updates without If-Match that succeeded, in a history with no gap; the others get 409`, async () => {
    const id = await createPatient('original');
    const families = Array.from({ length: writers }, (_, index) => `writer-${index}`);
    const answers = await Promise.all(families.map((family) => api.request('PUT', `/Patient/${id}`, { headers: fhirJson, body: JSON.stringify(patient(id, family)) })));

    const winners = families.flatMap((family, index) => (answers[index]?.status === 200 ? [{ family, answer: answers[index] }] : []));
    for (const answer of answers) if (answer.status !== 200) expectLoser(answer, [409]);
    expect(winners.length).toBeGreaterThan(0);
    const history = await expectNoLostUpdate(id, winners);

    const current = await api.request('GET', `/Patient/${id}`);
    expect(current.headers.etag).toBe(`W/"${history.length}"`);
    expect((JSON.parse(current.body) as { name: { family: string }[] }).name[0]?.family).toBe(familyOf(history.at(-1)));
  });

  it(`lets exactly one of ${writers} racing updates with the same If-Match win; every other gets 412 and writes nothing`, async () => {
    const id = await createPatient('original');
    const families = Array.from({ length: writers }, (_, index) => `matcher-${index}`);
    const answers = await Promise.all(
      families.map((family) => api.request('PUT', `/Patient/${id}`, { headers: { ...fhirJson, 'If-Match': 'W/"1"' }, body: JSON.stringify(patient(id, family)) })),
    );

    const winners = families.flatMap((family, index) => (answers[index]?.status === 200 ? [{ family, answer: answers[index] }] : []));
    expect(winners).toHaveLength(1);
    for (const answer of answers) if (answer.status !== 200) expectLoser(answer, [412]);
    await expectNoLostUpdate(id, winners);
  });

  it(`applies each of ${writers} racing JSON Patches to the version it read, or refuses it with 409`, async () => {
    const id = await createPatient('original');
    const families = Array.from({ length: writers }, (_, index) => `patcher-${index}`);
    const answers = await Promise.all(
      families.map((family) =>
        api.request('PATCH', `/Patient/${id}`, { headers: { 'Content-Type': 'application/json-patch+json' }, body: JSON.stringify([{ op: 'replace', path: '/name/0/family', value: family }]) }),
      ),
    );

    const winners = families.flatMap((family, index) => (answers[index]?.status === 200 ? [{ family, answer: answers[index] }] : []));
    for (const answer of answers) if (answer.status !== 200) expectLoser(answer, [409]);
    await expectNoLostUpdate(id, winners);
  });
});

describe('parallel transactions over the same resources', () => {
  const transaction = (entries: object[]) => JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entries });
  const update = (id: string, family: string, ifMatch?: string) => ({
    fullUrl: `urn:uuid:${randomUUID()}`,
    resource: patient(id, family),
    request: { method: 'PUT', url: `Patient/${id}`, ...(ifMatch ? { ifMatch } : {}) },
  });

  it(`applies each of ${writers} racing transactions that update the same two patients whole or not at all; the others get 409`, async () => {
    const [first, second] = [await createPatient('first'), await createPatient('second')];
    const families = Array.from({ length: writers }, (_, index) => `bundle-${index}`);
    const answers = await Promise.all(
      families.map((family) => api.request('POST', '/', { headers: fhirJson, body: transaction([update(first, family), update(second, family)]) })),
    );

    for (const answer of answers) if (answer.status !== 200) expectLoser(answer, [409]);
    const won = new Set(families.filter((_, index) => answers[index]?.status === 200));
    expect(won.size).toBeGreaterThan(0);
    for (const id of [first, second]) {
      const history = await historyOf(id);
      expect(history.map((version) => version.versionId)).toEqual(history.map((_, index) => index + 1));
      // All or nothing: the versions after the first are exactly the winning transactions, each once.
      expect(new Set(history.slice(1).map(familyOf))).toEqual(won);
      expect(history).toHaveLength(1 + won.size);
    }
    // Both patients end with the same transaction's content: none was half-applied over another.
    expect(familyOf((await historyOf(first)).at(-1))).toBe(familyOf((await historyOf(second)).at(-1)));
  });

  it(`lets one of ${writers} racing transactions with If-Match on the same version win; every other gets 412 and writes nothing`, async () => {
    const [first, second] = [await createPatient('first'), await createPatient('second')];
    const families = Array.from({ length: writers }, (_, index) => `matched-bundle-${index}`);
    const answers = await Promise.all(
      families.map((family) => api.request('POST', '/', { headers: fhirJson, body: transaction([update(first, family, 'W/"1"'), update(second, family, 'W/"1"')]) })),
    );

    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    for (const answer of answers) if (answer.status !== 200) expectLoser(answer, [412]);
    const winner = families[answers.findIndex((answer) => answer.status === 200)];
    for (const id of [first, second]) expect((await historyOf(id)).map(familyOf)).toEqual([id === first ? 'first' : 'second', winner]);
  });

  it('keeps racing single updates and transactions over the same patient consistent with each other', async () => {
    const [first, second] = [await createPatient('first'), await createPatient('second')];
    const answers = await Promise.all(
      Array.from({ length: writers }, (_, index) =>
        index % 2 === 0
          ? api.request('POST', '/', { headers: fhirJson, body: transaction([update(first, `mixed-${index}`), update(second, `mixed-${index}`)]) })
          : api.request('PUT', `/Patient/${first}`, { headers: fhirJson, body: JSON.stringify(patient(first, `mixed-${index}`)) }),
      ),
    );

    for (const answer of answers) if (answer.status !== 200) expectLoser(answer, [409]);
    const won = new Set(answers.flatMap((answer, index) => (answer.status === 200 ? [`mixed-${index}`] : [])));
    const firstHistory = await historyOf(first);
    expect(firstHistory.map((version) => version.versionId)).toEqual(firstHistory.map((_, index) => index + 1));
    expect(new Set(firstHistory.slice(1).map(familyOf))).toEqual(won);
    // Only the transactions touched the second patient, each whole.
    const wonTransactions = new Set([...won].filter((family) => Number(family.split('-')[1]) % 2 === 0));
    expect(new Set((await historyOf(second)).slice(1).map(familyOf))).toEqual(wonTransactions);
  });
});
