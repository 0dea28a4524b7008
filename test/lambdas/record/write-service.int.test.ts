import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { Forbidden, Gone, Invalid, NotFound, PayloadTooLarge, PreconditionFailed, Unprocessable, VersionConflict } from '../../../lambdas/fhir/errors';
import { parseFhirJson, stringifyFhirJson } from '../../../lambdas/fhir/json';
import { quebecHealthCardSystem } from '../../../lambdas/fhir/quebec-identifiers';
import { validateResource } from '../../../lambdas/fhir/validation';
import { writeServices } from '../../../lambdas/record/compose-write';
import { WriteService } from '../../../lambdas/record/write-service';
import type { RecordStore, VersionRecord } from '../../../lambdas/store/record-store';
import { freshTables } from '../../support/dynamodb';
import { indexWrites } from '../../support/indexing';
import { contextFor, requestFor, requestIdOf } from '../../support/principals';
import { rejection } from '../../support/rejection';
import { auditEventOfItem } from '../../../lambdas/audit/access-journal';

/**
 * The write interactions (create, update, patch, delete, plain and conditional) through the
 * composition root, against DynamoDB Local: what each commits, and what each refuses to commit.
 */

const mrn = 'urn:dsc:test:mrn';
const loinc = 'http://loinc.org';
const nurse = contextFor('nurse');

type Json = Record<string, unknown>;

function patientBody(extra: Json = {}): Json {
  return { resourceType: 'Patient', name: [{ family: 'Tremblay', given: ['Émilie'] }], gender: 'female', birthDate: '1984-03-12', ...extra };
}

function observationBody(patientId: string, extra: Json = {}): Json {
  return { resourceType: 'Observation', status: 'final', code: { coding: [{ system: loinc, code: '2339-0' }] }, subject: { reference: `Patient/${patientId}` }, ...extra };
}


describe('WriteService against DynamoDB Local', () => {
  let env: Awaited<ReturnType<typeof freshTables>>;
  let services: ReturnType<typeof writeServices>;
  let clock = Date.parse('2026-03-01T12:00:00.000Z');
  const now = () => new Date((clock += 1000));
  let lastIds: string[] = [];
  let counter = 0;
  /** Server ids are unique per run; the last ones handed out are kept to check what was (not) written. */
  const newId = () => {
    const id = `w-${Date.now().toString(36)}-${counter++}`;
    lastIds.push(id);
    return id;
  };

  beforeAll(async () => {
    env = await freshTables();
    services = writeServices(env.documentClient, env.names, validateResource, { now, newId });
  });

  const writer = () => services.writer;
  const store = () => services.store;

  async function journalOf(subject: string): Promise<Json[]> {
    const result = await env.documentClient.send(
      new QueryCommand({ TableName: env.names.audit, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': subject }, ConsistentRead: true }),
    );
    return (result.Items ?? []).map((item) => auditEventOfItem(item) as unknown as Json);
  }

  async function versionsOf(resourceType: string, id: string): Promise<VersionRecord[]> {
    return [...(await store().history(resourceType, id, { limit: 100, descending: true })).items];
  }

  async function compartmentOf(patientId: string, resourceType?: string): Promise<string[]> {
    return (await store().compartment(`Patient/${patientId}`, { limit: 100, resourceType })).items.map((item) => item.reference);
  }

  async function createPatient(extra: Json = {}): Promise<VersionRecord> {
    return (await writer().create(nurse, 'Patient', () => patientBody(extra))).version;
  }

  describe('create', () => {
    it('assigns the id, version 1 and lastUpdated, ignores a client-sent id and versionId, keeps other meta, and answers 201', async () => {
      const before = clock;
      const { status, version } = await writer().create(nurse, 'Patient', () =>
        patientBody({ id: 'client-chosen', meta: { versionId: '99', lastUpdated: '1999-01-01T00:00:00Z', tag: [{ system: 'urn:test', code: 'x' }] } }),
      );
      expect(status).toBe(201);
      expect(version.id).not.toBe('client-chosen');
      expect(version.id).toBe(lastIds.at(-1));
      expect(version.versionId).toBe(1);
      expect(version.resource).toMatchObject({ resourceType: 'Patient', id: version.id, meta: { versionId: '1', tag: [{ system: 'urn:test', code: 'x' }] }, gender: 'female' });
      expect(Date.parse(version.resource!.meta.lastUpdated)).toBeGreaterThan(before);
      expect(version.resource!.meta.lastUpdated).toBe(version.lastUpdated);
      expect(await store().readCurrent('Patient', 'client-chosen')).toBeUndefined();
      expect((await services.reader.read(nurse, 'Patient', version.id)).resource).toEqual(version.resource);
    });

    it('keeps decimals exactly as written (1.50 and 0.12345678901234567890123 read back with the same text)', async () => {
      const text =
        '{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},' +
        '"subject":{"reference":"Patient/decimals"},"valueQuantity":{"value":1.50,"unit":"mmol/L"},' +
        '"extension":[{"url":"urn:test:precise","valueDecimal":0.12345678901234567890123}]}';
      const { version } = await writer().create(nurse, 'Observation', () => parseFhirJson(text));
      const read = await services.reader.read(nurse, 'Observation', version.id);
      const stored = stringifyFhirJson(read.resource);
      expect(stored).toContain('"value":1.50,');
      expect(stored).toContain('"valueDecimal":0.12345678901234567890123}');
      expect(stringifyFhirJson((await store().readVersions([{ reference: `Observation/${version.id}`, versionId: 1 }]))[0]!.resource)).toBe(stored);
    });

    it('rejects a structurally invalid resource with Invalid naming the element, and writes nothing', async () => {
      lastIds = [];
      const error = await rejection(writer().create(nurse, 'Patient', () => patientBody({ gender: 'sometimes' })));
      expect(error).toBeInstanceOf(Invalid);
      expect(error.issues.some((issue) => issue.expression?.some((path) => path.startsWith('Patient.gender')))).toBe(true);
      expect(lastIds).toEqual([]); // no id was even handed out
    });

    it('rejects a body whose resourceType is not the URL type with Invalid', async () => {
      const error = await rejection(writer().create(nurse, 'Patient', () => observationBody('x')));
      expect(error).toBeInstanceOf(Invalid);
      expect(error.message).toContain('Observation');
    });

    it('rejects a body that is not a JSON object with Invalid', async () => {
      expect(await rejection(writer().create(nurse, 'Patient', () => [patientBody()]))).toBeInstanceOf(Invalid);
    });

    it('rejects a narrative holding <script> with Invalid, whose issue points at text.div', async () => {
      const error = await rejection(
        writer().create(nurse, 'Patient', () =>
          patientBody({ text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Hi<script>alert(1)</script></div>' } }),
        ),
      );
      expect(error).toBeInstanceOf(Invalid);
      expect(error.issues).toContainEqual(expect.objectContaining({ expression: ['Patient.text.div'] }));
      expect(error.issues.map((issue) => issue.diagnostics).join(' ')).toContain('<script>');
    });

    it('rejects a malformed Québec health insurance number (NAM) with Invalid at its value, without echoing it', async () => {
      const error = await rejection(writer().create(nurse, 'Patient', () => patientBody({ identifier: [{ system: quebecHealthCardSystem, value: 'TREE84131299' }] })));
      expect(error).toBeInstanceOf(Invalid);
      expect(error.issues).toEqual([expect.objectContaining({ expression: ['Patient.identifier[0].value'] })]);
      expect(error.message).not.toContain('TREE84131299');
    });

    it('accepts a well-formed NAM and indexes it for identifier lookups at once', async () => {
      const { version } = await writer().create(nurse, 'Patient', () => patientBody({ identifier: [{ system: quebecHealthCardSystem, value: 'TREE84531299' }] }));
      expect(await store().findByIdentifier('Patient', quebecHealthCardSystem, 'TREE84531299')).toEqual([`Patient/${version.id}`]);
    });

    it('refuses a resource over 380 KB with PayloadTooLarge, and writes neither the version nor its journal entry', async () => {
      lastIds = [];
      const error = await rejection(writer().create(nurse, 'Patient', () => patientBody({ name: [{ family: 'Long', text: 'x'.repeat(390 * 1024) }] })));
      expect(error).toBeInstanceOf(PayloadTooLarge);
      expect(lastIds).toHaveLength(1);
      const id = lastIds[0]!;
      expect(await store().readCurrent('Patient', id)).toBeUndefined();
      expect(await journalOf(`Patient/${id}`)).toEqual([]);
      expect(await compartmentOf(id)).toEqual([]);
    });

    it('journals a create once, for the patient concerned, in the same transaction', async () => {
      const patient = await createPatient();
      const ctx = requestFor('nurse');
      const { version } = await writer().create(ctx, 'Observation', () => observationBody(patient.id));
      const entries = (await journalOf(`Patient/${patient.id}`)).filter((event) => requestIdOf(event) === ctx.requestId);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ action: 'C', outcome: '0', subtype: [{ code: 'create' }] });
      expect(JSON.stringify(entries[0]!.entity)).toContain(`Observation/${version.id}`);
    });

    it('denies a clerk creating an Observation before reading the body, and journals the denial under the type', async () => {
      const ctx = requestFor('clerk');
      let bodyRead = false;
      const error = await rejection(
        writer().create(ctx, 'Observation', () => {
          bodyRead = true;
          return observationBody('x');
        }),
      );
      expect(error).toBeInstanceOf(Forbidden);
      expect(bodyRead).toBe(false);
      expect((await journalOf('Observation')).filter((event) => requestIdOf(event) === ctx.requestId)).toEqual([expect.objectContaining({ action: 'C', outcomeDesc: 'denied' })]);
    });
  });

  describe('conditional create (If-None-Exist)', () => {
    it('returns the existing resource with status 200 when one matches, and writes no new version', async () => {
      const value = `MRN-${counter++}`;
      const first = await writer().create(nurse, 'Patient', () => patientBody({ identifier: [{ system: mrn, value }] }), `identifier=${mrn}|${value}`);
      expect(first.status).toBe(201);
      const again = await writer().create(nurse, 'Patient', () => patientBody({ identifier: [{ system: mrn, value }], gender: 'male' }), `identifier=${mrn}|${value}`);
      expect(again.status).toBe(200);
      expect(again.version).toEqual(first.version);
      expect(await versionsOf('Patient', first.version.id)).toHaveLength(1);
      expect(await store().findByIdentifier('Patient', mrn, value)).toEqual([`Patient/${first.version.id}`]);
    });

    it('creates the resource with status 201 when nothing matches', async () => {
      const value = `MRN-${counter++}`;
      const { status, version } = await writer().create(nurse, 'Patient', () => patientBody({ identifier: [{ system: mrn, value }] }), `identifier=${mrn}|${value}`);
      expect(status).toBe(201);
      expect(await store().readCurrent('Patient', version.id)).toMatchObject({ versionId: 1, deleted: false });
    });

    it('creates exactly one resource when 20 identical If-None-Exist creates race, and gives all 20 callers its id', async () => {
      const patient = await createPatient();
      const value = `OBS-${counter++}`;
      const body = () => observationBody(patient.id, { identifier: [{ system: mrn, value }] });
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => writer().create(nurse, 'Observation', body, `identifier=${mrn}|${value}`)));
      const created = await store().findByIdentifier('Observation', mrn, value);
      expect(created).toHaveLength(1);
      expect(await compartmentOf(patient.id, 'Observation')).toEqual(created);
      const rejected = results.flatMap((result) => (result.status === 'rejected' ? [`${(result.reason as Error).name}: ${(result.reason as Error).message}`] : []));
      expect(rejected).toEqual([]);
      const outcomes = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      expect(new Set(outcomes.map((outcome) => `Observation/${outcome.version.id}`))).toEqual(new Set(created));
      expect(outcomes.filter((outcome) => outcome.status === 201)).toHaveLength(1);
    });

    it('returns, rather than duplicates, a resource whose create commits between its own check of the guard and its commit', async () => {
      // Deterministic form of the race above: the competing create commits right after this create's look at the guard.
      const value = `GUARD-${counter++}`;
      const criteria = `identifier=${mrn}|${value}`;
      const body = () => patientBody({ identifier: [{ system: mrn, value }] });
      let looks = 0;
      let competitor: VersionRecord | undefined;
      const store = services.store;
      const racingStore: RecordStore = Object.assign(Object.create(store) as RecordStore, {
        guardHolder: async (resourceType: string, canonical: string) => {
          const holder = await store.guardHolder(resourceType, canonical);
          if (++looks === 1) competitor = (await services.writer.create(nurse, 'Patient', body, criteria)).version;
          return holder;
        },
      });
      const slow = new WriteService({ store: racingStore, access: services.access, validate: validateResource, criteria: services.search, now, newId });
      const outcome = await slow.create(nurse, 'Patient', body, criteria);
      expect(competitor).toBeDefined();
      expect(await store.findByIdentifier('Patient', mrn, value)).toEqual([`Patient/${competitor!.id}`]);
      expect(outcome).toMatchObject({ status: 200, version: { id: competitor!.id } });
    });

    it('creates a new resource when the one holding the guard no longer matches the criteria (changed, or deleted)', async () => {
      for (const leave of ['update', 'delete'] as const) {
        const value = `MOVED-${counter++}`;
        const criteria = `identifier=${mrn}|${value}`;
        const first = await writer().create(nurse, 'Patient', () => patientBody({ identifier: [{ system: mrn, value }] }), criteria);
        if (leave === 'update') await writer().update(nurse, 'Patient', first.version.id, () => patientBody({ id: first.version.id, identifier: [{ system: mrn, value: `${value}-NEW` }] }));
        else await writer().delete(nurse, 'Patient', first.version.id);
        const second = await writer().create(nurse, 'Patient', () => patientBody({ identifier: [{ system: mrn, value }] }), criteria);
        expect({ leave, status: second.status, same: second.version.id === first.version.id }).toEqual({ leave, status: 201, same: false });
        const third = await writer().create(nurse, 'Patient', () => patientBody({ identifier: [{ system: mrn, value }] }), criteria);
        expect({ leave, status: third.status, id: third.version.id }).toEqual({ leave, status: 200, id: second.version.id });
      }
    });

    it('refuses with PreconditionFailed when If-None-Exist matches more than one resource', async () => {
      const value = `DUP-${counter++}`;
      await createPatient({ identifier: [{ system: mrn, value }] });
      await createPatient({ identifier: [{ system: mrn, value }] });
      lastIds = [];
      expect(await rejection(writer().create(nurse, 'Patient', () => patientBody(), `identifier=${mrn}|${value}`))).toBeInstanceOf(PreconditionFailed);
      expect(lastIds).toEqual([]);
    });
  });

  describe('update', () => {
    it('writes version 2 over version 1 with status 200 when the body id is the URL id', async () => {
      const created = await createPatient();
      const { status, version } = await writer().update(nurse, 'Patient', created.id, () => patientBody({ id: created.id, gender: 'other' }));
      expect(status).toBe(200);
      expect(version).toMatchObject({ versionId: 2, resource: { id: created.id, gender: 'other', meta: { versionId: '2' } } });
      expect((await versionsOf('Patient', created.id)).map((v) => v.versionId)).toEqual([2, 1]);
    });

    it('accepts an update whose If-Match names the current version', async () => {
      const created = await createPatient();
      const { version } = await writer().update(nurse, 'Patient', created.id, () => patientBody({ id: created.id, gender: 'male' }), 'W/"1"');
      expect(version.versionId).toBe(2);
    });

    it('rejects an update whose If-Match names a stale version with PreconditionFailed, and writes nothing', async () => {
      const created = await createPatient();
      await writer().update(nurse, 'Patient', created.id, () => patientBody({ id: created.id, gender: 'male' }));
      const error = await rejection(writer().update(nurse, 'Patient', created.id, () => patientBody({ id: created.id, gender: 'other' }), 'W/"1"'));
      expect(error).toBeInstanceOf(PreconditionFailed);
      const versions = await versionsOf('Patient', created.id);
      expect(versions.map((v) => v.versionId)).toEqual([2, 1]);
      expect(versions[0]!.resource).toMatchObject({ gender: 'male' });
    });

    it('rejects a malformed If-Match with Invalid', async () => {
      const created = await createPatient();
      expect(await rejection(writer().update(nurse, 'Patient', created.id, () => patientBody({ id: created.id }), 'version-1'))).toBeInstanceOf(Invalid);
    });

    it('lets exactly one of 20 parallel updates with the same If-Match win; the 19 others fail with PreconditionFailed and history has no gap', async () => {
      const created = await createPatient();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => writer().update(nurse, 'Patient', created.id, () => patientBody({ id: created.id, name: [{ family: `Racer${i}` }] }), 'W/"1"')),
      );
      const won = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
      expect(won).toHaveLength(1);
      expect(lost.map((error) => error.name)).toEqual(Array(19).fill('PreconditionFailed'));
      const versions = await versionsOf('Patient', created.id);
      expect(versions.map((v) => v.versionId)).toEqual([2, 1]);
      expect(versions[0]!.resource).toEqual(won[0]!.version.resource);
    });

    it('creates a resource under a client-chosen id when none exists (update as create), with status 201 and version 1', async () => {
      const id = `legacy-${counter++}`;
      const first = await writer().update(nurse, 'Patient', id, () => patientBody({ id }));
      expect(first.status).toBe(201);
      expect(first.version).toMatchObject({ id, versionId: 1, resource: { id, meta: { versionId: '1' } } });
      const second = await writer().update(nurse, 'Patient', id, () => patientBody({ id, gender: 'male' }));
      expect(second.status).toBe(200);
      expect(second.version.versionId).toBe(2);
    });

    it('rejects update as create when If-Match names a version of a resource that does not exist', async () => {
      const id = `ghost-${counter++}`;
      expect(await rejection(writer().update(nurse, 'Patient', id, () => patientBody({ id }), 'W/"1"'))).toBeInstanceOf(PreconditionFailed);
      expect(await store().readCurrent('Patient', id)).toBeUndefined();
    });

    it('rejects a body whose id differs from the URL id with Invalid, and writes nothing', async () => {
      const created = await createPatient();
      expect(await rejection(writer().update(nurse, 'Patient', created.id, () => patientBody({ id: 'someone-else' })))).toBeInstanceOf(Invalid);
      expect(await rejection(writer().update(nurse, 'Patient', created.id, () => patientBody()))).toBeInstanceOf(Invalid);
      expect(await versionsOf('Patient', created.id)).toHaveLength(1);
      expect(await store().readCurrent('Patient', 'someone-else')).toBeUndefined();
    });

    it('rejects an id that is not a FHIR id with Invalid', async () => {
      expect(await rejection(writer().update(nurse, 'Patient', 'not/an id', () => patientBody({ id: 'not/an id' })))).toBeInstanceOf(Invalid);
    });

    it('moves an Observation from patient A to patient B: it leaves A’s compartment, enters B’s, and both journals record it', async () => {
      const a = await createPatient();
      const b = await createPatient();
      const { version: obs } = await writer().create(nurse, 'Observation', () => observationBody(a.id));
      expect(await compartmentOf(a.id, 'Observation')).toEqual([`Observation/${obs.id}`]);
      const ctx = requestFor('nurse');
      const { version } = await writer().update(ctx, 'Observation', obs.id, () => observationBody(b.id, { id: obs.id }));
      expect(version.compartments).toEqual([`Patient/${b.id}`]);
      expect(await compartmentOf(a.id, 'Observation')).toEqual([]);
      expect(await compartmentOf(b.id, 'Observation')).toEqual([`Observation/${obs.id}`]);
      for (const patient of [a, b]) {
        expect((await journalOf(`Patient/${patient.id}`)).filter((event) => requestIdOf(event) === ctx.requestId)).toEqual([expect.objectContaining({ action: 'U' })]);
      }
    });

    it('replaces the identifier index items: the old identifier no longer finds the resource, the new one does', async () => {
      const created = await createPatient({ identifier: [{ system: mrn, value: `OLD-${counter}` }] });
      await writer().update(nurse, 'Patient', created.id, () => patientBody({ id: created.id, identifier: [{ system: mrn, value: `NEW-${counter}` }] }));
      expect(await store().findByIdentifier('Patient', mrn, `OLD-${counter}`)).toEqual([]);
      expect(await store().findByIdentifier('Patient', mrn, `NEW-${counter}`)).toEqual([`Patient/${created.id}`]);
    });

    it('brings a deleted resource back with a new version and status 201', async () => {
      const created = await createPatient();
      await writer().delete(nurse, 'Patient', created.id);
      const { status, version } = await writer().update(nurse, 'Patient', created.id, () => patientBody({ id: created.id }));
      expect(status).toBe(201);
      expect(version.versionId).toBe(3);
      expect(await compartmentOf(created.id)).toEqual([`Patient/${created.id}`]);
    });

    it('validates an update as it validates a create', async () => {
      const created = await createPatient();
      expect(await rejection(writer().update(nurse, 'Patient', created.id, () => patientBody({ id: created.id, birthDate: '2021-02-30' })))).toBeInstanceOf(Invalid);
      expect(await versionsOf('Patient', created.id)).toHaveLength(1);
    });
  });

  describe('patch (JSON Patch)', () => {
    it('applies replace, add and remove operations as version 2', async () => {
      const created = await createPatient({ telecom: [{ system: 'phone', value: '514-555-0100' }] });
      const { status, version } = await writer().patch(nurse, 'Patient', created.id, () => [
        { op: 'replace', path: '/gender', value: 'male' },
        { op: 'add', path: '/name/0/given/-', value: 'Marie' },
        { op: 'remove', path: '/telecom' },
      ]);
      expect(status).toBe(200);
      expect(version.versionId).toBe(2);
      expect(version.resource).toMatchObject({ gender: 'male', name: [{ family: 'Tremblay', given: ['Émilie', 'Marie'] }], meta: { versionId: '2' } });
      expect(version.resource).not.toHaveProperty('telecom');
      expect((await store().readCurrent('Patient', created.id))?.resource).toEqual(version.resource);
    });

    it('keeps decimals it does not touch exactly as written', async () => {
      const text = '{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50}}';
      const { version: created } = await writer().create(nurse, 'Observation', () => parseFhirJson(text));
      const { version } = await writer().patch(nurse, 'Observation', created.id, () => [{ op: 'replace', path: '/status', value: 'amended' }]);
      expect(stringifyFhirJson(version.resource)).toContain('"value":1.50}');
    });

    it('refuses a patch whose test operation fails with Unprocessable, and writes nothing', async () => {
      const created = await createPatient();
      const error = await rejection(writer().patch(nurse, 'Patient', created.id, () => [{ op: 'test', path: '/gender', value: 'male' }, { op: 'replace', path: '/gender', value: 'other' }]));
      expect(error).toBeInstanceOf(Unprocessable);
      expect(await versionsOf('Patient', created.id)).toHaveLength(1);
    });

    it('refuses a patch whose result is not a valid resource with Unprocessable naming the element', async () => {
      const created = await createPatient();
      const error = await rejection(writer().patch(nurse, 'Patient', created.id, () => [{ op: 'replace', path: '/gender', value: 'sometimes' }]));
      expect(error).toBeInstanceOf(Unprocessable);
      expect(error.issues.some((issue) => issue.expression?.some((path) => path.startsWith('Patient.gender')))).toBe(true);
      expect(await versionsOf('Patient', created.id)).toHaveLength(1);
    });

    it('refuses a patch that changes the id with Unprocessable', async () => {
      const created = await createPatient();
      expect(await rejection(writer().patch(nurse, 'Patient', created.id, () => [{ op: 'replace', path: '/id', value: 'elsewhere' }]))).toBeInstanceOf(Unprocessable);
      expect(await store().readCurrent('Patient', 'elsewhere')).toBeUndefined();
      expect(await versionsOf('Patient', created.id)).toHaveLength(1);
    });

    it('refuses a patch on a path that does not exist with Unprocessable', async () => {
      const created = await createPatient();
      expect(await rejection(writer().patch(nurse, 'Patient', created.id, () => [{ op: 'remove', path: '/deceasedBoolean' }]))).toBeInstanceOf(Unprocessable);
    });

    it('rejects a body that is not a JSON Patch with Invalid', async () => {
      const created = await createPatient();
      expect(await rejection(writer().patch(nurse, 'Patient', created.id, () => ({ op: 'replace', path: '/gender', value: 'male' })))).toBeInstanceOf(Invalid);
      expect(await rejection(writer().patch(nurse, 'Patient', created.id, () => [{ op: 'frobnicate', path: '/gender' }]))).toBeInstanceOf(Invalid);
    });

    it('rejects a patch whose If-Match is stale with PreconditionFailed', async () => {
      const created = await createPatient();
      await writer().patch(nurse, 'Patient', created.id, () => [{ op: 'replace', path: '/gender', value: 'male' }], 'W/"1"');
      expect(await rejection(writer().patch(nurse, 'Patient', created.id, () => [{ op: 'replace', path: '/gender', value: 'other' }], 'W/"1"'))).toBeInstanceOf(PreconditionFailed);
      expect((await store().readCurrent('Patient', created.id))?.resource).toMatchObject({ gender: 'male', meta: { versionId: '2' } });
    });

    it('answers NotFound for an unknown resource and Gone for a deleted one', async () => {
      const patch = () => [{ op: 'replace', path: '/gender', value: 'male' }];
      expect(await rejection(writer().patch(nurse, 'Patient', 'no-such-patient', patch))).toBeInstanceOf(NotFound);
      const created = await createPatient();
      await writer().delete(nurse, 'Patient', created.id);
      expect(await rejection(writer().patch(nurse, 'Patient', created.id, patch))).toBeInstanceOf(Gone);
    });
  });

  describe('delete', () => {
    it('writes a delete version: history shows it, read answers Gone', async () => {
      const created = await createPatient();
      const deleted = await writer().delete(nurse, 'Patient', created.id);
      expect(deleted).toMatchObject({ id: created.id, versionId: 2, deleted: true });
      expect(deleted?.resource).toBeUndefined();
      const versions = await versionsOf('Patient', created.id);
      expect(versions.map((v) => [v.versionId, v.deleted])).toEqual([
        [2, true],
        [1, false],
      ]);
      expect(await rejection(services.reader.read(nurse, 'Patient', created.id))).toBeInstanceOf(Gone);
    });

    it('removes the compartment and identifier items with the resource', async () => {
      const patient = await createPatient();
      const value = `DEL-${counter++}`;
      const { version: obs } = await writer().create(nurse, 'Observation', () => observationBody(patient.id, { identifier: [{ system: mrn, value }] }));
      expect(await store().findByIdentifier('Observation', mrn, value)).toEqual([`Observation/${obs.id}`]);
      await writer().delete(nurse, 'Observation', obs.id);
      expect(await store().findByIdentifier('Observation', mrn, value)).toEqual([]);
      expect(await compartmentOf(patient.id, 'Observation')).toEqual([]);
    });

    it('changes nothing when deleting a deleted resource, and returns undefined', async () => {
      const created = await createPatient();
      await writer().delete(nurse, 'Patient', created.id);
      expect(await writer().delete(nurse, 'Patient', created.id)).toBeUndefined();
      expect(await versionsOf('Patient', created.id)).toHaveLength(2);
    });

    it('answers NotFound for an unknown resource', async () => {
      expect(await rejection(writer().delete(nurse, 'Patient', 'never-was'))).toBeInstanceOf(NotFound);
    });

    it('rejects a delete whose If-Match is stale with PreconditionFailed, and keeps the resource', async () => {
      const created = await createPatient();
      // A change, so that version 2 exists (an update repeating the content writes nothing).
      await writer().update(nurse, 'Patient', created.id, () => patientBody({ id: created.id, gender: 'male' }));
      expect(await rejection(writer().delete(nurse, 'Patient', created.id, 'W/"1"'))).toBeInstanceOf(PreconditionFailed);
      expect(await store().readCurrent('Patient', created.id)).toMatchObject({ versionId: 2, deleted: false });
    });

    it('journals a delete for the patient whose data it removes', async () => {
      const patient = await createPatient();
      const { version: obs } = await writer().create(nurse, 'Observation', () => observationBody(patient.id));
      const ctx = requestFor('nurse');
      await writer().delete(ctx, 'Observation', obs.id);
      expect((await journalOf(`Patient/${patient.id}`)).filter((event) => requestIdOf(event) === ctx.requestId)).toEqual([expect.objectContaining({ action: 'D', outcome: '0' })]);
    });
  });

  describe('conditional update, patch and delete', () => {
    async function patientsWith(value: string, count: number): Promise<VersionRecord[]> {
      const created: VersionRecord[] = [];
      for (let i = 0; i < count; i++) created.push(await createPatient({ identifier: [{ system: mrn, value }] }));
      return created;
    }

    it('conditional update with no match and no id creates a resource with a server id (201)', async () => {
      const value = `CU0-${counter++}`;
      const { status, version } = await writer().conditionalUpdate(nurse, 'Patient', `identifier=${mrn}|${value}`, () => patientBody({ identifier: [{ system: mrn, value }] }));
      expect(status).toBe(201);
      expect(version.versionId).toBe(1);
      expect(await store().findByIdentifier('Patient', mrn, value)).toEqual([`Patient/${version.id}`]);
    });

    it('conditional update with no match and a client id creates the resource under that id (201)', async () => {
      const value = `CU0id-${counter++}`;
      const id = `cu-${counter++}`;
      const { status, version } = await writer().conditionalUpdate(nurse, 'Patient', `identifier=${mrn}|${value}`, () => patientBody({ id, identifier: [{ system: mrn, value }] }));
      expect(status).toBe(201);
      expect(version).toMatchObject({ id, versionId: 1 });
    });

    it('conditional update with no match refuses to overwrite an existing resource that does not match (409), and leaves it unchanged', async () => {
      const other = await createPatient({ name: [{ family: 'Untouched' }] });
      const value = `CU0x-${counter++}`;
      const error = await rejection(
        writer().conditionalUpdate(nurse, 'Patient', `identifier=${mrn}|${value}`, () => patientBody({ id: other.id, identifier: [{ system: mrn, value }] })),
      );
      expect(error).toBeInstanceOf(VersionConflict);
      expect((await store().readCurrent('Patient', other.id))?.resource).toMatchObject({ name: [{ family: 'Untouched' }], meta: { versionId: '1' } });
    });

    it('conditional update with one match updates that resource (200)', async () => {
      const value = `CU1-${counter++}`;
      const [match] = await patientsWith(value, 1);
      const { status, version } = await writer().conditionalUpdate(nurse, 'Patient', `identifier=${mrn}|${value}`, () => patientBody({ gender: 'male', identifier: [{ system: mrn, value }] }));
      expect(status).toBe(200);
      expect(version).toMatchObject({ id: match!.id, versionId: 2, resource: { gender: 'male' } });
    });

    it('conditional update with one match rejects a body naming another id with Invalid', async () => {
      const value = `CU1id-${counter++}`;
      const [match] = await patientsWith(value, 1);
      expect(await rejection(writer().conditionalUpdate(nurse, 'Patient', `identifier=${mrn}|${value}`, () => patientBody({ id: 'another' })))).toBeInstanceOf(Invalid);
      expect(await versionsOf('Patient', match!.id)).toHaveLength(1);
    });

    it('conditional update with two matches fails with PreconditionFailed and writes nothing', async () => {
      const value = `CU2-${counter++}`;
      const matches = await patientsWith(value, 2);
      expect(await rejection(writer().conditionalUpdate(nurse, 'Patient', `identifier=${mrn}|${value}`, () => patientBody()))).toBeInstanceOf(PreconditionFailed);
      for (const match of matches) expect(await versionsOf('Patient', match.id)).toHaveLength(1);
    });

    it('conditional update finds its match through the search index for criteria that are not read-your-writes', async () => {
      const family = `Indexed${counter++}`;
      const created = await createPatient({ name: [{ family }] });
      await indexWrites(env, [created]);
      const { status, version } = await writer().conditionalUpdate(nurse, 'Patient', `family:exact=${family}`, () => patientBody({ name: [{ family }], gender: 'other' }));
      expect(status).toBe(200);
      expect(version).toMatchObject({ id: created.id, versionId: 2 });
    });

    it('rejects conditional criteria without any search parameter with Invalid', async () => {
      expect(await rejection(writer().conditionalUpdate(nurse, 'Patient', '_count=1', () => patientBody()))).toBeInstanceOf(Invalid);
    });

    it('conditional delete with no match deletes nothing and returns undefined', async () => {
      expect(await writer().conditionalDelete(nurse, 'Patient', `identifier=${mrn}|nobody-${counter++}`)).toBeUndefined();
    });

    it('conditional delete with one match deletes it', async () => {
      const value = `CD1-${counter++}`;
      const [match] = await patientsWith(value, 1);
      const deleted = await writer().conditionalDelete(nurse, 'Patient', `identifier=${mrn}|${value}`);
      expect(deleted).toMatchObject({ id: match!.id, versionId: 2, deleted: true });
      expect(await store().findByIdentifier('Patient', mrn, value)).toEqual([]);
    });

    it('conditional delete with two matches fails with PreconditionFailed and deletes nothing', async () => {
      const value = `CD2-${counter++}`;
      const matches = await patientsWith(value, 2);
      expect(await rejection(writer().conditionalDelete(nurse, 'Patient', `identifier=${mrn}|${value}`))).toBeInstanceOf(PreconditionFailed);
      for (const match of matches) expect(await store().readCurrent('Patient', match.id)).toMatchObject({ deleted: false });
    });

    it('conditional patch with no match answers NotFound', async () => {
      expect(await rejection(writer().conditionalPatch(nurse, 'Patient', `identifier=${mrn}|nobody-${counter++}`, () => [{ op: 'replace', path: '/gender', value: 'male' }]))).toBeInstanceOf(NotFound);
    });

    it('conditional patch with one match patches it', async () => {
      const value = `CP1-${counter++}`;
      const [match] = await patientsWith(value, 1);
      const { version } = await writer().conditionalPatch(nurse, 'Patient', `identifier=${mrn}|${value}`, () => [{ op: 'replace', path: '/gender', value: 'male' }]);
      expect(version).toMatchObject({ id: match!.id, versionId: 2, resource: { gender: 'male' } });
    });

    it('conditional patch with two matches fails with PreconditionFailed and patches nothing', async () => {
      const value = `CP2-${counter++}`;
      const matches = await patientsWith(value, 2);
      expect(await rejection(writer().conditionalPatch(nurse, 'Patient', `identifier=${mrn}|${value}`, () => [{ op: 'replace', path: '/gender', value: 'male' }]))).toBeInstanceOf(
        PreconditionFailed,
      );
      for (const match of matches) expect(await versionsOf('Patient', match.id)).toHaveLength(1);
    });
  });
});
