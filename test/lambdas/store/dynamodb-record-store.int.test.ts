import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditEventFor, type AccessFacts } from '../../../lambdas/audit/audit-event';
import { Invalid, PayloadTooLarge, VersionConflict } from '../../../lambdas/fhir/errors';
import { parseFhirJson, stringifyFhirJson } from '../../../lambdas/fhir/json';
import { DynamoDbRecordStore, GuardTaken } from '../../../lambdas/store/dynamodb-record-store';
import { searchIndexKey, typeHistoryKey, versionSortKey } from '../../../lambdas/store/keys';
import type { JournalEntry, StoredResource, VersionPointer, VersionRecord } from '../../../lambdas/store/record-store';
import { freshTables } from '../../support/dynamodb';
import { contextFor } from '../../support/principals';
import { rejection } from '../../support/rejection';
import { auditEventOfItem } from '../../../lambdas/audit/access-journal';

/** The record store adapter against DynamoDB Local: the key design of `lambdas/store/keys.ts`, item by item. */

let sequence = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${sequence++}`;

interface VersionOptions {
  readonly content?: Record<string, unknown>;
  readonly deleted?: boolean;
  readonly compartments?: readonly string[];
  readonly identifiers?: readonly string[];
  readonly lastUpdated?: string;
}

function versionOf(resourceType: string, id: string, versionId: number, options: VersionOptions = {}): VersionRecord {
  const lastUpdated = options.lastUpdated ?? new Date(Date.UTC(2026, 0, 1, 0, 0, versionId)).toISOString();
  const resource: StoredResource | undefined = options.deleted ? undefined : { resourceType, id, meta: { versionId: String(versionId), lastUpdated }, ...(options.content ?? {}) };
  return {
    resourceType,
    id,
    versionId,
    lastUpdated,
    deleted: options.deleted ?? false,
    ...(resource ? { resource } : {}),
    searchValues: options.deleted ? {} : { _lastUpdated: [{ start: lastUpdated, end: lastUpdated }] },
    compartments: options.compartments ?? [],
    identifiers: options.identifiers ?? [],
  };
}

function journalEntryFor(patient: string, interaction: AccessFacts['interaction'] = 'create'): JournalEntry {
  const facts: AccessFacts = { ...contextFor('nurse'), interaction, patient, entities: [patient], outcome: 'success', recorded: new Date(), purposeOfUse: 'TREAT' };
  return { event: auditEventFor(facts), patient };
}


describe('DynamoDbRecordStore against DynamoDB Local', () => {
  let env: Awaited<ReturnType<typeof freshTables>>;
  let store: DynamoDbRecordStore;

  beforeAll(async () => {
    env = await freshTables();
    store = new DynamoDbRecordStore(env.documentClient, env.names);
  });

  async function journalOf(subject: string): Promise<Record<string, unknown>[]> {
    const result = await env.documentClient.send(
      new QueryCommand({ TableName: env.names.audit, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': subject }, ConsistentRead: true }),
    );
    return (result.Items ?? []).map((item) => auditEventOfItem(item) as unknown as Record<string, unknown>);
  }

  async function compartmentOf(patient: string, resourceType?: string) {
    return (await store.compartment(patient, { limit: 100, resourceType })).items;
  }

  async function putItem(pk: string, sk: string, reference: string, versionId = 1) {
    await env.documentClient.send(new PutCommand({ TableName: env.names.record, Item: { pk, sk, ref: reference, versionId } }));
  }

  describe('commit and the version reads', () => {
    it('commits a version that reads back exactly, as the current version and by its number, with its journal entry beside it', async () => {
      const id = unique('p');
      const v1 = versionOf('Patient', id, 1, { content: { name: [{ family: 'Tremblay' }] }, compartments: [`Patient/${id}`] });
      await store.commit({ next: v1, journal: [journalEntryFor(`Patient/${id}`)] });
      expect(await store.readCurrent('Patient', id)).toEqual(v1);
      expect(await store.readVersion('Patient', id, 1)).toEqual(v1);
      expect(await journalOf(`Patient/${id}`)).toEqual([expect.objectContaining({ resourceType: 'AuditEvent', action: 'C', outcome: '0' })]);
    });

    it('keeps FHIR decimals exactly as written, beyond a double’s precision', async () => {
      const id = unique('obs');
      const content = parseFhirJson('{"valueQuantity":{"value":1.50},"extension":[{"url":"urn:x","valueDecimal":0.12345678901234567890123}]}') as Record<string, unknown>;
      await store.commit({ next: versionOf('Observation', id, 1, { content }), journal: [] });
      const text = stringifyFhirJson((await store.readCurrent('Observation', id))?.resource);
      expect(text).toContain('"value":1.50}');
      expect(text).toContain('"valueDecimal":0.12345678901234567890123}');
    });

    it('returns the newest version as current, a delete included, and undefined for an unknown resource or version', async () => {
      const id = unique('p');
      await store.commit({ next: versionOf('Patient', id, 1), journal: [] });
      await store.commit({ next: versionOf('Patient', id, 2), previous: versionOf('Patient', id, 1), journal: [] });
      expect(await store.readCurrent('Patient', id)).toMatchObject({ versionId: 2, deleted: false });
      await store.commit({ next: versionOf('Patient', id, 3, { deleted: true }), previous: versionOf('Patient', id, 2), journal: [] });
      const current = await store.readCurrent('Patient', id);
      expect(current).toMatchObject({ versionId: 3, deleted: true });
      expect(current?.resource).toBeUndefined();
      expect(await store.readCurrent('Patient', unique('nobody'))).toBeUndefined();
      expect(await store.readVersion('Patient', id, 4)).toBeUndefined();
    });

    it('keeps resources of different types that share an id apart', async () => {
      const id = unique('shared');
      await store.commit({ next: versionOf('Patient', id, 1), journal: [] });
      expect(await store.readCurrent('Observation', id)).toBeUndefined();
      expect(await store.readVersion('Observation', id, 1)).toBeUndefined();
    });

    it('refuses to commit a version number that already exists with VersionConflict, and writes none of its other items', async () => {
      const id = unique('p');
      const patient = `Patient/${unique('owner')}`;
      await store.commit({ next: versionOf('Observation', id, 1, { content: { status: 'final' }, compartments: [patient], identifiers: ['urn:a|first'] }), journal: [journalEntryFor(patient)] });
      const other = `Patient/${unique('other')}`;
      const clash = versionOf('Observation', id, 1, { content: { status: 'amended' }, compartments: [other], identifiers: ['urn:a|second'] });
      expect(await rejection(store.commit({ next: clash, journal: [journalEntryFor(other)] }))).toBeInstanceOf(VersionConflict);
      expect((await store.readCurrent('Observation', id))?.resource).toMatchObject({ status: 'final' });
      expect(await store.findByIdentifier('Observation', 'urn:a', 'second')).toEqual([]);
      expect(await compartmentOf(other)).toEqual([]);
      expect(await journalOf(other)).toEqual([]);
    });

    it('lets exactly one of two racing commits of the same version win', async () => {
      const id = unique('race');
      const results = await Promise.allSettled(
        ['A', 'B'].map((family) => store.commit({ next: versionOf('Patient', id, 1, { content: { name: [{ family }] } }), journal: [journalEntryFor(`Patient/${id}`)] })),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect((results.find((result) => result.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflict);
      expect(await journalOf(`Patient/${id}`)).toHaveLength(1);
    });

    it('commits all or nothing: a journal entry that cannot be written leaves no version behind', async () => {
      const id = unique('p');
      const entry = journalEntryFor(`Patient/${id}`);
      await store.commit({ next: versionOf('Patient', id, 1), journal: [entry] });
      // The same entry again cannot be written (the journal never overwrites): the version goes with it.
      expect(await rejection(store.commit({ next: versionOf('Patient', id, 2), previous: versionOf('Patient', id, 1), journal: [entry] }))).toBeInstanceOf(Error);
      expect(await store.readVersion('Patient', id, 2)).toBeUndefined();
      expect(await journalOf(`Patient/${id}`)).toHaveLength(1);
    });

    it('refuses a resource over 380 KB with PayloadTooLarge, counting bytes rather than characters, and writes nothing', async () => {
      const ascii = unique('big');
      expect(await rejection(store.commit({ next: versionOf('Patient', ascii, 1, { content: { text: { div: 'x'.repeat(381 * 1024) } } }), journal: [journalEntryFor(`Patient/${ascii}`)] }))).toBeInstanceOf(
        PayloadTooLarge,
      );
      expect(await store.readCurrent('Patient', ascii)).toBeUndefined();
      expect(await journalOf(`Patient/${ascii}`)).toEqual([]);
      // 200,000 "é" are 200,000 characters but 400,000 bytes.
      const accented = unique('big');
      expect(await rejection(store.commit({ next: versionOf('Patient', accented, 1, { content: { text: { div: 'é'.repeat(200_000) } } }), journal: [] }))).toBeInstanceOf(PayloadTooLarge);
      expect(await store.readCurrent('Patient', accented)).toBeUndefined();
    });

    it('stores a resource just under the limit', async () => {
      const id = unique('large');
      await store.commit({ next: versionOf('Patient', id, 1, { content: { text: { div: 'x'.repeat(370 * 1024) } } }), journal: [] });
      expect((await store.readCurrent('Patient', id))?.versionId).toBe(1);
    });
  });

  describe('readVersions', () => {
    it('returns exactly the versions asked for, in the order asked, leaving out missing ones', async () => {
      const a = unique('a');
      const b = unique('b');
      await store.commit({ next: versionOf('Patient', a, 1), journal: [] });
      await store.commit({ next: versionOf('Patient', a, 2), previous: versionOf('Patient', a, 1), journal: [] });
      await store.commit({ next: versionOf('Patient', b, 1), journal: [] });
      const records = await store.readVersions([
        { reference: `Patient/${b}`, versionId: 1 },
        { reference: `Patient/${a}`, versionId: 1 },
        { reference: `Patient/${a}`, versionId: 7 },
        { reference: `Patient/${unique('none')}`, versionId: 1 },
        { reference: `Patient/${a}`, versionId: 2 },
      ]);
      expect(records.map((record) => `${record.id}@${record.versionId}`)).toEqual([`${b}@1`, `${a}@1`, `${a}@2`]);
    });

    it('reads more than 100 versions at once (BatchGetItem takes 100 keys a call)', async () => {
      const ids = Array.from({ length: 150 }, () => unique('many'));
      for (let start = 0; start < ids.length; start += 25) {
        await Promise.all(ids.slice(start, start + 25).map((id) => store.commit({ next: versionOf('Basic', id, 1), journal: [] })));
      }
      const pointers: VersionPointer[] = [...ids].reverse().map((id) => ({ reference: `Basic/${id}`, versionId: 1 }));
      const records = await store.readVersions(pointers);
      expect(records.map((record) => record.id)).toEqual([...ids].reverse());
    });
  });

  describe('history', () => {
    let id: string;
    beforeAll(async () => {
      id = unique('hist');
      let previous: VersionRecord | undefined;
      for (let v = 1; v <= 5; v++) {
        const next = versionOf('Patient', id, v, { deleted: v === 5 });
        await store.commit({ next, previous, journal: [] });
        previous = next;
      }
    });

    it('lists versions oldest first, or newest first when descending', async () => {
      expect((await store.history('Patient', id, { limit: 10 })).items.map((v) => v.versionId)).toEqual([1, 2, 3, 4, 5]);
      expect((await store.history('Patient', id, { limit: 10, descending: true })).items.map((v) => v.versionId)).toEqual([5, 4, 3, 2, 1]);
    });

    it('pages with a cursor, with no version missing or repeated', async () => {
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.history('Patient', id, { limit: 2, cursor, descending: true });
        seen.push(...page.items.map((v) => v.versionId));
        cursor = page.next;
      } while (cursor && seen.length < 20);
      expect(seen).toEqual([5, 4, 3, 2, 1]);
    });

    it('keeps, with since, the versions written at or after that instant', async () => {
      const since = versionOf('Patient', id, 4).lastUpdated;
      expect((await store.history('Patient', id, { limit: 10, since })).items.map((v) => v.versionId)).toEqual([4, 5]);
    });

    it('refuses a cursor of another resource and a cursor that is not one with Invalid', async () => {
      const page = await store.history('Patient', id, { limit: 1 });
      const otherId = unique('hist');
      await store.commit({ next: versionOf('Patient', otherId, 1), journal: [] });
      expect(await rejection(store.history('Patient', otherId, { limit: 1, cursor: page.next }))).toBeInstanceOf(Invalid);
      expect(await rejection(store.history('Patient', id, { limit: 1, cursor: 'not-a-cursor!' }))).toBeInstanceOf(Invalid);
      const forged = Buffer.from(JSON.stringify({ pk: `Patient#${id}`, sk: { S: 'x' } })).toString('base64url');
      expect(await rejection(store.history('Patient', id, { limit: 1, cursor: forged }))).toBeInstanceOf(Invalid);
    });
  });

  describe('identifier items', () => {
    it('follow the current version: added, kept, removed on update, all removed on delete', async () => {
      const id = unique('ident');
      const system = `urn:sys:${unique('s')}`;
      const v1 = versionOf('Patient', id, 1, { identifiers: [`${system}|a`, `${system}|b`] });
      await store.commit({ next: v1, journal: [] });
      expect(await store.findByIdentifier('Patient', system, 'a')).toEqual([`Patient/${id}`]);
      const v2 = versionOf('Patient', id, 2, { identifiers: [`${system}|b`, `${system}|c`] });
      await store.commit({ next: v2, previous: v1, journal: [] });
      expect(await store.findByIdentifier('Patient', system, 'a')).toEqual([]);
      expect(await store.findByIdentifier('Patient', system, 'b')).toEqual([`Patient/${id}`]);
      expect(await store.findByIdentifier('Patient', system, 'c')).toEqual([`Patient/${id}`]);
      await store.commit({ next: versionOf('Patient', id, 3, { deleted: true, identifiers: [`${system}|b`] }), previous: v2, journal: [] });
      expect(await store.findByIdentifier('Patient', system, 'b')).toEqual([]);
      expect(await store.findByIdentifier('Patient', system, 'c')).toEqual([]);
    });

    it('list every resource holding the identifier, per type, and values holding a bar', async () => {
      const system = `urn:sys:${unique('s')}`;
      const [x, y] = [unique('x'), unique('y')];
      await store.commit({ next: versionOf('Patient', x, 1, { identifiers: [`${system}|v|1`] }), journal: [] });
      await store.commit({ next: versionOf('Patient', y, 1, { identifiers: [`${system}|v|1`] }), journal: [] });
      await store.commit({ next: versionOf('Practitioner', x, 1, { identifiers: [`${system}|v|1`] }), journal: [] });
      expect((await store.findByIdentifier('Patient', system, 'v|1')).sort()).toEqual([`Patient/${x}`, `Patient/${y}`].sort());
      expect(await store.findByIdentifier('Practitioner', system, 'v|1')).toEqual([`Practitioner/${x}`]);
    });
  });

  describe('patient compartment items', () => {
    it('hold the current version and lastUpdated, follow a move between patients, and go with a delete', async () => {
      const [a, b] = [`Patient/${unique('a')}`, `Patient/${unique('b')}`];
      const id = unique('obs');
      const v1 = versionOf('Observation', id, 1, { compartments: [a] });
      await store.commit({ next: v1, journal: [] });
      expect(await compartmentOf(a)).toEqual([expect.objectContaining({ reference: `Observation/${id}`, versionId: 1, lastUpdated: v1.lastUpdated })]);
      const v2 = versionOf('Observation', id, 2, { compartments: [b] });
      await store.commit({ next: v2, previous: v1, journal: [] });
      expect(await compartmentOf(a)).toEqual([]);
      expect(await compartmentOf(b)).toEqual([expect.objectContaining({ reference: `Observation/${id}`, versionId: 2 })]);
      await store.commit({ next: versionOf('Observation', id, 3, { deleted: true }), previous: v2, journal: [] });
      expect(await compartmentOf(b)).toEqual([]);
    });

    it('filter by type and page with a cursor that only this compartment accepts', async () => {
      const patient = `Patient/${unique('cmp')}`;
      const other = `Patient/${unique('cmp')}`;
      for (let i = 0; i < 5; i++) await store.commit({ next: versionOf('Observation', unique('o'), 1, { compartments: [patient, other] }), journal: [] });
      await store.commit({ next: versionOf('Encounter', unique('e'), 1, { compartments: [patient] }), journal: [] });
      expect((await compartmentOf(patient, 'Encounter')).map((item) => item.reference)).toEqual([expect.stringMatching(/^Encounter\//)]);
      expect(await compartmentOf(patient, 'Observation')).toHaveLength(5);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.compartment(patient, { limit: 4, cursor });
        seen.push(...page.items.map((item) => item.reference));
        cursor = page.next;
      } while (cursor && seen.length < 20);
      expect(new Set(seen).size).toBe(6);
      expect(seen).toHaveLength(6);
      const first = await store.compartment(patient, { limit: 2 });
      expect(await rejection(store.compartment(other, { limit: 2, cursor: first.next }))).toBeInstanceOf(Invalid);
    });

    it('give each item a position that resumes right after it', async () => {
      const patient = `Patient/${unique('pos')}`;
      for (let i = 0; i < 4; i++) await store.commit({ next: versionOf('Observation', unique('o'), 1, { compartments: [patient] }), journal: [] });
      const all = (await store.compartment(patient, { limit: 10 })).items;
      const rest = (await store.compartment(patient, { limit: 10, cursor: all[1]!.position })).items;
      expect(rest.map((item) => item.reference)).toEqual(all.slice(2).map((item) => item.reference));
    });
  });

  describe('conditional-create guards', () => {
    it('let one resource hold the criteria: a second holder is refused with GuardTaken and writes nothing', async () => {
      const criteria = `identifier=urn:x|${unique('g')}`;
      const [first, second] = [unique('g1'), unique('g2')];
      await store.commit({ next: versionOf('Patient', first, 1), guard: { resourceType: 'Patient', criteria }, journal: [] });
      expect(await store.guardHolder('Patient', criteria)).toBe(`Patient/${first}`);
      expect(await rejection(store.commit({ next: versionOf('Patient', second, 1), guard: { resourceType: 'Patient', criteria }, journal: [journalEntryFor(`Patient/${second}`)] }))).toBeInstanceOf(
        GuardTaken,
      );
      expect(await store.readCurrent('Patient', second)).toBeUndefined();
      expect(await journalOf(`Patient/${second}`)).toEqual([]);
      expect(await store.guardHolder('Observation', criteria)).toBeUndefined();
    });

    it('may be taken over from the holder named as stale, and only from it', async () => {
      const criteria = `identifier=urn:x|${unique('g')}`;
      const [first, second, third] = [unique('g1'), unique('g2'), unique('g3')];
      await store.commit({ next: versionOf('Patient', first, 1), guard: { resourceType: 'Patient', criteria }, journal: [] });
      expect(await rejection(store.commit({ next: versionOf('Patient', third, 1), guard: { resourceType: 'Patient', criteria, replaces: `Patient/${second}` }, journal: [] }))).toBeInstanceOf(
        GuardTaken,
      );
      await store.commit({ next: versionOf('Patient', second, 1), guard: { resourceType: 'Patient', criteria, replaces: `Patient/${first}` }, journal: [] });
      expect(await store.guardHolder('Patient', criteria)).toBe(`Patient/${second}`);
    });
  });

  describe('search index partitions and type history', () => {
    it('query one partition in sort-key order, with begins_with, between and comparisons, either direction', async () => {
      const pk = searchIndexKey('Patient', unique('family'));
      for (const sk of ['alpha#1', 'alpine#2', 'beta#3', 'gamma#4']) await putItem(pk, sk, `Patient/${sk.slice(-1)}`);
      const refs = async (query: Parameters<DynamoDbRecordStore['queryIndex']>[0], descending = false) =>
        (await store.queryIndex(query, { limit: 10, descending })).items.map((item) => item.reference);
      expect(await refs({ pk })).toEqual(['Patient/1', 'Patient/2', 'Patient/3', 'Patient/4']);
      expect(await refs({ pk }, true)).toEqual(['Patient/4', 'Patient/3', 'Patient/2', 'Patient/1']);
      expect(await refs({ pk, sk: { op: 'begins_with', value: 'alp' } })).toEqual(['Patient/1', 'Patient/2']);
      expect(await refs({ pk, sk: { op: 'between', low: 'alpine', high: 'beta#~' } })).toEqual(['Patient/2', 'Patient/3']);
      expect(await refs({ pk, sk: { op: '<', value: 'beta' } })).toEqual(['Patient/1', 'Patient/2']);
      expect(await refs({ pk, sk: { op: '<=', value: 'beta#~' } })).toEqual(['Patient/1', 'Patient/2', 'Patient/3']);
      expect(await refs({ pk, sk: { op: '>', value: 'beta#~' } })).toEqual(['Patient/4']);
      expect(await refs({ pk, sk: { op: '>=', value: 'beta' } })).toEqual(['Patient/3', 'Patient/4']);
    });

    it('page a partition with a cursor that no other partition accepts', async () => {
      const pk = searchIndexKey('Patient', unique('paged'));
      for (let i = 0; i < 7; i++) await putItem(pk, `v#${i}`, `Patient/${i}`);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.queryIndex({ pk }, { limit: 3, cursor });
        seen.push(...page.items.map((item) => item.reference));
        cursor = page.next;
      } while (cursor && seen.length < 20);
      expect(seen).toEqual(['Patient/0', 'Patient/1', 'Patient/2', 'Patient/3', 'Patient/4', 'Patient/5', 'Patient/6']);
      const first = await store.queryIndex({ pk }, { limit: 3 });
      expect(await rejection(store.queryIndex({ pk: searchIndexKey('Patient', unique('elsewhere')) }, { limit: 3, cursor: first.next }))).toBeInstanceOf(Invalid);
    });

    it('list a type’s history newest first, from an instant with since', async () => {
      const type = 'ResearchStudy';
      const pk = typeHistoryKey(type);
      const stamps = ['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z', '2026-01-01T00:00:03.000Z'];
      for (const [i, stamp] of stamps.entries()) await putItem(pk, `${stamp}#r${i}#${versionSortKey(1)}`, `${type}/r${i}`);
      expect((await store.typeHistory(type, { limit: 10, descending: true })).items.map((item) => item.reference)).toEqual([`${type}/r2`, `${type}/r1`, `${type}/r0`]);
      expect((await store.typeHistory(type, { limit: 10, since: stamps[1] })).items.map((item) => item.reference)).toEqual([`${type}/r1`, `${type}/r2`]);
    });
  });
});
