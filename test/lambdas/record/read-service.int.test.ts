import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbAccessJournal } from '../../../lambdas/audit/dynamodb-access-journal';
import { Forbidden, Gone, Invalid, NotFound } from '../../../lambdas/fhir/errors';
import { validateResource } from '../../../lambdas/fhir/validation';
import { AccessRecorder } from '../../../lambdas/record/access-recorder';
import { writeServices } from '../../../lambdas/record/compose-write';
import { ReadService } from '../../../lambdas/record/read-service';
import type { VersionRecord } from '../../../lambdas/store/record-store';
import { localCredentials } from '../../../local/dynamodb';
import { freshTables } from '../../support/dynamodb';
import { indexWrites } from '../../support/indexing';
import { contextFor, requestFor, requestIdOf } from '../../support/principals';
import { rejection } from '../../support/rejection';
import { auditEventOfItem } from '../../../lambdas/audit/access-journal';

/** Read, vread, history and type history against DynamoDB Local, and the journal every read leaves. */

const nurse = contextFor('nurse');
type Json = Record<string, unknown>;


describe('ReadService against DynamoDB Local', () => {
  let env: Awaited<ReturnType<typeof freshTables>>;
  let services: ReturnType<typeof writeServices>;
  let clock = Date.parse('2026-04-01T08:00:00.000Z');
  const now = () => new Date((clock += 1000));

  beforeAll(async () => {
    env = await freshTables();
    services = writeServices(env.documentClient, env.names, validateResource, { now });
  });

  const reader = () => services.reader;
  const writer = () => services.writer;

  async function journalOf(subject: string, requestId?: string): Promise<Json[]> {
    const result = await env.documentClient.send(
      new QueryCommand({ TableName: env.names.audit, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': subject }, ConsistentRead: true }),
    );
    const events = (result.Items ?? []).map((item) => auditEventOfItem(item) as unknown as Json);
    return requestId === undefined ? events : events.filter((event) => requestIdOf(event) === requestId);
  }

  async function createPatient(family = 'Lavoie'): Promise<VersionRecord> {
    return (await writer().create(nurse, 'Patient', () => ({ resourceType: 'Patient', name: [{ family }] }))).version;
  }

  /** A Patient with versions 1 (Lavoie), 2 (Lavoie-2), 3 (Lavoie-3), then deleted in version 4. */
  async function patientWithHistory(): Promise<{ id: string; versions: VersionRecord[] }> {
    const created = await createPatient();
    const versions = [created];
    for (const n of [2, 3]) versions.push((await writer().update(nurse, 'Patient', created.id, () => ({ resourceType: 'Patient', id: created.id, name: [{ family: `Lavoie-${n}` }] }))).version);
    versions.push((await writer().delete(nurse, 'Patient', created.id))!);
    return { id: created.id, versions };
  }

  describe('read', () => {
    it('returns the current version', async () => {
      const created = await createPatient();
      const updated = (await writer().update(nurse, 'Patient', created.id, () => ({ resourceType: 'Patient', id: created.id, name: [{ family: 'Changed' }] }))).version;
      const read = await reader().read(nurse, 'Patient', created.id);
      expect(read).toEqual(updated);
      expect(read.resource).toMatchObject({ name: [{ family: 'Changed' }], meta: { versionId: '2' } });
    });

    it('answers NotFound for an unknown id, and journals the attempt as not-found', async () => {
      const ctx = requestFor('nurse');
      expect(await rejection(reader().read(ctx, 'Patient', 'nobody-here'))).toBeInstanceOf(NotFound);
      expect(await journalOf('Patient/nobody-here', ctx.requestId)).toEqual([expect.objectContaining({ action: 'R', outcomeDesc: 'not-found' })]);
    });

    it('does not confuse resources of different types that share an id', async () => {
      const id = `shared-${Date.now()}`;
      await writer().update(nurse, 'Patient', id, () => ({ resourceType: 'Patient', id }));
      expect(await rejection(reader().read(nurse, 'Organization', id))).toBeInstanceOf(NotFound);
    });

    it('answers Gone for a deleted resource', async () => {
      const created = await createPatient();
      await writer().delete(nurse, 'Patient', created.id);
      expect(await rejection(reader().read(nurse, 'Patient', created.id))).toBeInstanceOf(Gone);
    });

    it('rejects an id that is not a FHIR id with Invalid', async () => {
      expect(await rejection(reader().read(nurse, 'Patient', 'a/b'))).toBeInstanceOf(Invalid);
      expect(await rejection(reader().read(nurse, 'Patient', 'x'.repeat(65)))).toBeInstanceOf(Invalid);
    });
  });

  describe('vread', () => {
    it('returns every past version as it was written', async () => {
      const { id, versions } = await patientWithHistory();
      for (const version of versions.slice(0, 3)) {
        expect(await reader().vread(nurse, 'Patient', id, version.versionId)).toEqual(version);
      }
      expect((await reader().vread(nurse, 'Patient', id, 2)).resource).toMatchObject({ name: [{ family: 'Lavoie-2' }], meta: { versionId: '2' } });
    });

    it('answers Gone for the delete version and NotFound for a version that never was', async () => {
      const { id } = await patientWithHistory();
      expect(await rejection(reader().vread(nurse, 'Patient', id, 4))).toBeInstanceOf(Gone);
      expect(await rejection(reader().vread(nurse, 'Patient', id, 5))).toBeInstanceOf(NotFound);
      expect(await rejection(reader().vread(nurse, 'Patient', 'nobody-here', 1))).toBeInstanceOf(NotFound);
    });
  });

  describe('history', () => {
    it('lists every version newest first, the delete included', async () => {
      const { id } = await patientWithHistory();
      const page = await reader().history(nurse, 'Patient', id, { count: 10 });
      expect(page.items.map((version) => [version.versionId, version.deleted])).toEqual([
        [4, true],
        [3, false],
        [2, false],
        [1, false],
      ]);
      expect(page.next).toBeUndefined();
    });

    it('pages with count and the next cursor, with no version missing or repeated', async () => {
      const { id } = await patientWithHistory();
      const seen: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await reader().history(nurse, 'Patient', id, { count: 3, cursor });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((version) => version.versionId));
        cursor = page.next;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual([4, 3, 2, 1]);
      expect(pages).toBe(2);
    });

    it('keeps, with since, only the versions written at or after that instant', async () => {
      const { id, versions } = await patientWithHistory();
      const page = await reader().history(nurse, 'Patient', id, { count: 10, since: versions[2]!.lastUpdated });
      expect(page.items.map((version) => version.versionId)).toEqual([4, 3]);
      const none = await reader().history(nurse, 'Patient', id, { count: 10, since: '2999-01-01T00:00:00.000Z' });
      expect(none.items).toEqual([]);
    });

    it('answers NotFound for a resource that never existed', async () => {
      expect(await rejection(reader().history(nurse, 'Patient', 'nobody-here', { count: 10 }))).toBeInstanceOf(NotFound);
    });

    it('refuses a cursor issued for another resource with Invalid', async () => {
      const a = await patientWithHistory();
      const b = await patientWithHistory();
      const page = await reader().history(nurse, 'Patient', a.id, { count: 1 });
      expect(page.next).toBeDefined();
      expect(await rejection(reader().history(nurse, 'Patient', b.id, { count: 1, cursor: page.next }))).toBeInstanceOf(Invalid);
    });

    it('journals a history read once, under the patient', async () => {
      const { id } = await patientWithHistory();
      const ctx = requestFor('nurse');
      await reader().history(ctx, 'Patient', id, { count: 10 });
      expect(await journalOf(`Patient/${id}`, ctx.requestId)).toEqual([expect.objectContaining({ action: 'R', subtype: [expect.objectContaining({ code: 'history-instance' })] })]);
    });
  });

  describe('type history', () => {
    // Organizations are written by these tests only, so the type's history is theirs.
    const organizations: VersionRecord[] = [];

    beforeAll(async () => {
      for (const name of ['CISSS A', 'CISSS B', 'CISSS C']) organizations.push((await writer().create(nurse, 'Organization', () => ({ resourceType: 'Organization', name }))).version);
      const first = organizations[0]!;
      organizations.push((await writer().update(nurse, 'Organization', first.id, () => ({ resourceType: 'Organization', id: first.id, name: 'CISSS A+' }))).version);
      organizations.push((await writer().delete(nurse, 'Organization', organizations[1]!.id))!);
    });

    it('is empty until the index processor has seen the versions (it is eventually consistent)', async () => {
      expect((await reader().typeHistory(nurse, 'Organization', { count: 10 })).items).toEqual([]);
    });

    it('lists every version of every resource of the type, newest first, deletes included, once indexed', async () => {
      await indexWrites(env, organizations);
      const page = await reader().typeHistory(nurse, 'Organization', { count: 10 });
      const expected = [...organizations].sort((a, b) => (a.lastUpdated < b.lastUpdated ? 1 : -1));
      expect(page.items.map((version) => [version.id, version.versionId, version.deleted])).toEqual(expected.map((version) => [version.id, version.versionId, version.deleted]));
      expect(page.next).toBeUndefined();
    });

    it('pages with count and the next cursor, and honours since', async () => {
      await indexWrites(env, organizations);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await reader().typeHistory(nurse, 'Organization', { count: 2, cursor });
        seen.push(...page.items.map((version) => `${version.id}@${version.versionId}`));
        cursor = page.next;
      } while (cursor && seen.length < 20);
      expect(seen).toHaveLength(organizations.length);
      expect(new Set(seen).size).toBe(organizations.length);
      const since = organizations[3]!.lastUpdated;
      const recent = await reader().typeHistory(nurse, 'Organization', { count: 10, since });
      expect(recent.items.map((version) => version.lastUpdated >= since)).toEqual([true, true]);
    });
  });

  describe('the access journal', () => {
    it('journals a read of an Observation under its patient, once', async () => {
      const patient = await createPatient();
      const { version: obs } = await writer().create(nurse, 'Observation', () => ({ resourceType: 'Observation', status: 'final', code: { text: 'pulse' }, subject: { reference: `Patient/${patient.id}` } }));
      const ctx = requestFor('physician');
      await reader().read(ctx, 'Observation', obs.id);
      const entries = await journalOf(`Patient/${patient.id}`, ctx.requestId);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ action: 'R', outcome: '0', agent: [expect.objectContaining({ who: expect.objectContaining({ display: 'physician@test' }) as fhir4.Reference })] });
      expect(JSON.stringify(entries[0]!.entity)).toContain(`Observation/${obs.id}`);
    });

    it('journals a read of a resource in no compartment (a Practitioner) under the resource itself', async () => {
      const { version } = await writer().create(nurse, 'Practitioner', () => ({ resourceType: 'Practitioner', name: [{ family: 'Bouchard' }] }));
      const ctx = requestFor('nurse');
      await reader().read(ctx, 'Practitioner', version.id);
      expect(await journalOf(`Practitioner/${version.id}`, ctx.requestId)).toHaveLength(1);
    });

    it('journals a denied read with one denied entry, and returns nothing', async () => {
      const patient = await createPatient();
      const { version: obs } = await writer().create(nurse, 'Observation', () => ({ resourceType: 'Observation', status: 'final', code: { text: 'pulse' }, subject: { reference: `Patient/${patient.id}` } }));
      const ctx = requestFor('clerk');
      expect(await rejection(reader().read(ctx, 'Observation', obs.id))).toBeInstanceOf(Forbidden);
      expect(await journalOf(`Observation/${obs.id}`, ctx.requestId)).toEqual([expect.objectContaining({ action: 'R', outcomeDesc: 'denied', outcome: '4' })]);
      expect(await journalOf(`Patient/${patient.id}`, ctx.requestId)).toEqual([]);
    });

    it('returns no data when the journal entry cannot be written: read, vread and history reject', async () => {
      const patient = await createPatient();
      // A client of its own for the audit table, failing every write; the record table stays reachable.
      const auditClient = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: inject('dynamoDbEndpoint'), region: 'ca-central-1', credentials: localCredentials }));
      const audit = mockClient(auditClient);
      audit.on(PutCommand).rejects(Object.assign(new Error('audit table unavailable'), { name: 'ServiceUnavailable' }));
      const blind = new ReadService(services.store, new AccessRecorder(new DynamoDbAccessJournal(auditClient, env.names.audit), services.store));
      expect(await rejection(blind.read(nurse, 'Patient', patient.id))).toHaveProperty('message', 'audit table unavailable');
      expect(await rejection(blind.vread(nurse, 'Patient', patient.id, 1))).toHaveProperty('message', 'audit table unavailable');
      expect(await rejection(blind.history(nurse, 'Patient', patient.id, { count: 10 }))).toHaveProperty('message', 'audit table unavailable');
      expect(audit.commandCalls(PutCommand).length).toBe(3);
      expect(audit.commandCalls(PutCommand)[0]!.args[0].input).toMatchObject({ TableName: env.names.audit, Item: { pk: `Patient/${patient.id}` } });
      // The same read with a working journal returns the resource: only the journal stopped it.
      expect((await reader().read(nurse, 'Patient', patient.id)).id).toBe(patient.id);
    });
  });
});
