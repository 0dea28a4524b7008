import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { validateResource } from '../../../lambdas/fhir/validation';
import type { ResourceType } from '../../../lambdas/fhir/registry/registry';
import { writeServices } from '../../../lambdas/record/compose-write';
import { indexEntriesFor } from '../../../lambdas/search/index-entries';
import { SearchIndexer } from '../../../lambdas/search/search-indexer';
import { typeHistoryKey, versionSortKey } from '../../../lambdas/store/keys';
import type { VersionRecord } from '../../../lambdas/store/record-store';
import { localCredentials } from '../../../local/dynamodb';
import { StreamPoller } from '../../../local/stream-poller';
import { freshTables } from '../../support/dynamodb';
import { contextFor } from '../../support/principals';

/**
 * The index processor (`SearchIndexer.indexVersion`, what the stream handler runs for each new
 * version item): the items it writes and removes, and its behaviour under the stream's
 * at-least-once delivery.
 */

const writerCtx = contextFor('integration');
const physician = contextFor('physician');
type Json = Record<string, unknown>;

async function setUp() {
  const env = await freshTables();
  let clock = Date.parse('2026-06-01T00:00:00.000Z');
  const services = writeServices(env.documentClient, env.names, validateResource, { now: () => new Date((clock += 1000)) });
  return { env, ...services, indexer: new SearchIndexer(env.documentClient, env.names.record) };
}

describe('SearchIndexer against DynamoDB Local', () => {
  let s: Awaited<ReturnType<typeof setUp>>;

  beforeAll(async () => {
    s = await setUp();
  });

  const create = async (body: Json) => (await s.writer.create(writerCtx, body.resourceType as ResourceType, () => body)).version;
  const update = async (id: string, body: Json) => (await s.writer.update(writerCtx, body.resourceType as ResourceType, id, () => ({ ...body, id }))).version;
  const ids = async (type: ResourceType, query: string) =>
    (await s.search.search(physician, type, [...new URLSearchParams(query)], { lenient: false, query })).matches.map((match) => `${match.id}@${match.versionId}`);

  /** The items at the given keys, as `pk sk → versionId`, for the keys that exist. */
  async function itemsAt(keys: readonly { pk: string; sk: string }[]): Promise<Record<string, number>> {
    const found: Record<string, number> = {};
    for (let start = 0; start < keys.length; start += 100) {
      const result = await s.env.documentClient.send(
        new BatchGetCommand({ RequestItems: { [s.env.names.record]: { Keys: keys.slice(start, start + 100).map(({ pk, sk }) => ({ pk, sk })), ConsistentRead: true } } }),
      );
      for (const item of result.Responses?.[s.env.names.record] ?? []) found[`${item.pk} ${item.sk}`] = item.versionId as number;
    }
    return found;
  }

  /** The keys of every index item a version calls for, its type-history item included. */
  function keysOf(version: VersionRecord) {
    const entries = version.deleted ? [] : indexEntriesFor(version.resourceType as ResourceType, version.id, version.searchValues);
    return [...entries, { pk: typeHistoryKey(version.resourceType), sk: `${version.lastUpdated}#${version.id}#${versionSortKey(version.versionId)}` }];
  }

  const patient = (family: string, extra: Json = {}) => ({ resourceType: 'Patient', name: [{ family, given: ['Jeanne'] }], birthDate: '1961-07-04', ...extra });

  it('writes the index items of a new version: it is then found by its parameters, and listed in its type’s history', async () => {
    const v1 = await create(patient('Bergeron', { identifier: [{ system: 'urn:x', value: 'IX-1' }] }));
    expect(await ids('Patient', 'family=bergeron')).toEqual([]);
    await s.indexer.indexVersion(v1);
    expect(await ids('Patient', 'family=bergeron')).toEqual([`${v1.id}@1`]);
    expect(await ids('Patient', 'identifier=IX-1')).toEqual([`${v1.id}@1`]);
    expect(await ids('Patient', 'birthdate=1961-07-04&given=jeanne&family=berg')).toEqual([`${v1.id}@1`]);
    const keys = keysOf(v1);
    expect(keys.length).toBeGreaterThan(5);
    expect(Object.values(await itemsAt(keys))).toEqual(Array(keys.length).fill(1));
  });

  it('is harmless when the same version is delivered again: the same items, no duplicate result', async () => {
    const v1 = await create(patient('Fortin'));
    await s.indexer.indexVersion(v1);
    const before = await itemsAt(keysOf(v1));
    await s.indexer.indexVersion(v1);
    await s.indexer.indexVersion(v1);
    expect(await itemsAt(keysOf(v1))).toEqual(before);
    expect(await ids('Patient', 'family=fortin')).toEqual([`${v1.id}@1`]);
    const history = await s.store.typeHistory('Patient', { limit: 100 });
    expect(history.items.filter((item) => item.reference === `Patient/${v1.id}`)).toHaveLength(1);
  });

  it('removes the entries an update made obsolete: the old family name no longer finds the resource, the new one does', async () => {
    const v1 = await create(patient('Ancien'));
    const v2 = await update(v1.id, patient('Nouveau'));
    await s.indexer.indexVersion(v1);
    await s.indexer.indexVersion(v2);
    expect(await ids('Patient', 'family=ancien')).toEqual([]);
    expect(await ids('Patient', 'family=nouveau')).toEqual([`${v1.id}@2`]);
    const obsolete = keysOf(v1).filter((key) => key.sk.startsWith('ancien#'));
    expect(obsolete.map((key) => key.pk)).toContain('s#Patient#family');
    expect(await itemsAt(obsolete)).toEqual({});
  });

  it('points the entries both versions share at the newer version', async () => {
    const v1 = await create(patient('Partage'));
    const v2 = await update(v1.id, patient('Partage', { gender: 'female' }));
    await s.indexer.indexVersion(v1);
    await s.indexer.indexVersion(v2);
    const shared = keysOf(v1).filter((key) => key.pk.startsWith('s#Patient#birthdate'));
    expect(shared.length).toBeGreaterThan(0);
    expect(Object.values(await itemsAt(shared))).toEqual(Array(shared.length).fill(2));
  });

  it('does not roll entries back when an older version is delivered after a newer one', async () => {
    const v1 = await create(patient('Premier'));
    const v2 = await update(v1.id, patient('Second'));
    await s.indexer.indexVersion(v1);
    await s.indexer.indexVersion(v2);
    await s.indexer.indexVersion(v1); // a late re-delivery
    expect(await itemsAt(keysOf(v1).filter((key) => key.sk.startsWith('premier#')))).toEqual({});
    expect(await ids('Patient', 'family=premier')).toEqual([]);
    expect(await ids('Patient', 'family=second')).toEqual([`${v1.id}@2`]);
  });

  it('does not bring a deleted resource back into search when one of its versions is delivered late', async () => {
    const v1 = await create(patient('Revenant'));
    const deleted = (await s.writer.delete(writerCtx, 'Patient', v1.id))!;
    await s.indexer.indexVersion(v1);
    await s.indexer.indexVersion(deleted);
    await s.indexer.indexVersion(v1); // a late re-delivery
    expect(await ids('Patient', 'family=revenant')).toEqual([]);
  });

  it('removes every search entry of a deleted resource, and keeps both versions in the type’s history', async () => {
    const obs = await create({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'urn:ix', code: 'gone' }] }, subject: { reference: 'Patient/somebody' } });
    // In stream order: the version is indexed before its delete is written.
    await s.indexer.indexVersion(obs);
    expect(await ids('Observation', 'code=urn:ix|gone')).toEqual([`${obs.id}@1`]);
    const deleted = (await s.writer.delete(writerCtx, 'Observation', obs.id))!;
    await s.indexer.indexVersion(deleted);
    expect(await ids('Observation', 'code=urn:ix|gone')).toEqual([]);
    const searchKeys = keysOf(obs).filter((key) => key.pk.startsWith('s#'));
    expect(await itemsAt(searchKeys)).toEqual({});
    const history = await s.store.typeHistory('Observation', { limit: 100, descending: true });
    expect(history.items.filter((item) => item.reference === `Observation/${obs.id}`).map((item) => item.versionId)).toEqual([2, 1]);
  });
});

describe('the deployed stream handler, fed by the record table’s stream', () => {
  const variables = ['RECORD_TABLE_NAME', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
  const saved = Object.fromEntries(variables.map((name) => [name, process.env[name]]));
  let poller: StreamPoller | undefined;

  afterAll(async () => {
    await poller?.stop();
    for (const name of variables) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('indexes each new version in commit order, skipping the items that are not versions', async () => {
    const s = await setUp();
    const endpoint = inject('dynamoDbEndpoint');
    // The handler builds its client and reads its table from the environment Lambda gives it.
    Object.assign(process.env, {
      RECORD_TABLE_NAME: s.env.names.record,
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: 'ca-central-1',
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    });
    const { handler } = await import('../../../lambdas/handlers/search-indexer');
    const errors: string[] = [];
    let delivered = 0;
    poller = new StreamPoller(s.env.client, {
      endpoint,
      region: 'ca-central-1',
      credentials: localCredentials,
      tableName: s.env.names.record,
      deliver: async (event) => {
        delivered += event.Records.length;
        return handler(event);
      },
      onError: (message) => errors.push(message),
      intervalMs: 50,
    });
    poller.start();

    const created = (await s.writer.create(writerCtx, 'Patient', () => patient('Streamed'))).version;
    await s.writer.update(writerCtx, 'Patient', created.id, () => ({ ...patient('Restreamed'), id: created.id }));
    const obs = (await s.writer.create(writerCtx, 'Observation', () => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${created.id}` } }))).version;
    await s.writer.delete(writerCtx, 'Observation', obs.id);
    // Two idle passes: the second starts after every write above was committed.
    await poller.drained();
    await poller.drained();

    const ids = async (type: ResourceType, query: string) =>
      (await s.search.search(physician, type, [...new URLSearchParams(query)], { lenient: false, query })).matches.map((match) => `${match.id}@${match.versionId}`);
    expect(errors).toEqual([]);
    expect(delivered).toBeGreaterThanOrEqual(4);
    expect(await ids('Patient', 'family=restreamed')).toEqual([`${created.id}@2`]);
    expect(await ids('Patient', 'family=streamed')).toEqual([]);
    expect(await ids('Observation', `subject=Patient/${created.id}&_count=5`)).toEqual([]);
    const history = await s.store.typeHistory('Observation', { limit: 10 });
    expect(history.items.map((item) => `${item.reference}@${item.versionId}`)).toEqual([`Observation/${obs.id}@1`, `Observation/${obs.id}@2`]);
  });

  function patient(family: string) {
    return { resourceType: 'Patient', name: [{ family }] };
  }
});
