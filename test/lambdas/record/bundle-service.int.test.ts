import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FhirError, PayloadTooLarge } from '../../../lambdas/fhir/errors';
import { validateResource } from '../../../lambdas/fhir/validation';
import { BundleService } from '../../../lambdas/record/bundle-service';
import type { RecordStore, VersionRecord } from '../../../lambdas/store/record-store';
import { contextFor, requestFor } from '../../support/principals';
import { rejection } from '../../support/rejection';
import { hasSharedData, sharedDataDir } from '../../support/shared-data';
import { journalOfRequest, uniqueTag, writeServicesOnFreshTables, type FreshTables, type WriteServices } from '../../support/write-services';

/**
 * `POST /` with a transaction or batch Bundle, through the composition root against DynamoDB
 * Local: a transaction commits every entry or none; a batch answers each entry on its own.
 */

type Json = Record<string, unknown>;
const mrn = 'urn:dsc:test:mrn';
const npi = 'http://hl7.org/fhir/sid/us-npi';
const nurse = contextFor('nurse');
const uuid = (n: number) => `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function patient(extra: Json = {}): Json {
  return { resourceType: 'Patient', name: [{ family: 'Tremblay' }], gender: 'female', ...extra };
}

function observation(subject: string, extra: Json = {}): Json {
  return { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] }, subject: { reference: subject }, ...extra };
}

function post(fullUrl: string, resource: Json, ifNoneExist?: string): Json {
  return { fullUrl, resource, request: { method: 'POST', url: resource.resourceType, ...(ifNoneExist ? { ifNoneExist } : {}) } };
}

function bundle(type: 'transaction' | 'batch', entry: Json[]): Json {
  return { resourceType: 'Bundle', type, entry };
}

describe('BundleService against DynamoDB Local', () => {
  let env: FreshTables;
  let services: WriteServices;
  beforeAll(async () => ({ env, services } = await writeServicesOnFreshTables()));

  async function stored(resourceType: string, id: string): Promise<VersionRecord | undefined> {
    return services.store.readCurrent(resourceType, id);
  }

  async function withIdentifier(resourceType: string, system: string, value: string): Promise<string[]> {
    return services.store.findByIdentifier(resourceType, system, value);
  }

  const idOf = (location: unknown) => String(location).split('/')[1] ?? '';

  it('commits every entry, rewrites urn:uuid references to the assigned ids, and answers in the request order', async () => {
    const value = uniqueTag();
    const response = await services.bundles.process(
      nurse,
      bundle('transaction', [post(uuid(2), observation(uuid(1))), post(uuid(1), patient({ identifier: [{ system: mrn, value }] }))]),
    );
    expect(response.type).toBe('transaction-response');
    const [obs, pat] = response.entry;
    expect(obs?.response).toMatchObject({ status: '201 Created', etag: 'W/"1"', location: expect.stringMatching(/^Observation\/[^/]+\/_history\/1$/) as unknown });
    expect(pat?.response.location).toMatch(/^Patient\/[^/]+\/_history\/1$/);
    expect(pat?.response.lastModified).toBe(obs?.response.lastModified);
    const patientId = idOf(pat?.response.location);
    expect((await stored('Observation', idOf(obs?.response.location)))?.resource?.subject).toEqual({ reference: `Patient/${patientId}` });
    expect(await withIdentifier('Patient', mrn, value)).toEqual([`Patient/${patientId}`]);
  });

  it('writes nothing when the last entry is invalid, and names it by index and fullUrl', async () => {
    const value = uniqueTag();
    const error = await rejection(
      services.bundles.process(
        nurse,
        bundle('transaction', [post(uuid(1), patient({ identifier: [{ system: mrn, value }] })), post(uuid(2), observation(uuid(1), { status: 'not-a-status' }))]),
      ),
    );
    expect(error).toBeInstanceOf(FhirError);
    expect((error).status).toBe(400);
    expect((error).issues[0]?.diagnostics).toContain(`entry[1] (${uuid(2)})`);
    expect((error).issues[0]?.expression?.[0]).toBe('Bundle.entry[1]');
    expect(await withIdentifier('Patient', mrn, value)).toEqual([]);
  });

  describe('conditional references', () => {
    it('resolves a reference such as Practitioner?identifier=system|value to its one match', async () => {
      const value = uniqueTag();
      const created = await services.writer.create(nurse, 'Practitioner', () => ({ resourceType: 'Practitioner', identifier: [{ system: npi, value }] }));
      const response = await services.bundles.process(
        nurse,
        bundle('transaction', [post(uuid(1), { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, participant: [{ individual: { reference: `Practitioner?identifier=${npi}|${value}` } }] })]),
      );
      const encounter = await stored('Encounter', idOf(response.entry[0]?.response.location));
      expect(encounter?.resource?.participant).toEqual([{ individual: { reference: `Practitioner/${created.version.id}` } }]);
    });

    it.each([
      ['no', 0, 'no resource'],
      ['two', 2, 'several resources'],
    ])('fails the whole transaction with 412 when the reference matches %s resources', async (_, count, says) => {
      const value = uniqueTag();
      for (let i = 0; i < count; i++) await services.writer.create(nurse, 'Practitioner', () => ({ resourceType: 'Practitioner', identifier: [{ system: npi, value }] }));
      const marker = uniqueTag();
      const error = (await rejection(
        services.bundles.process(
          nurse,
          bundle('transaction', [
            post(uuid(1), patient({ identifier: [{ system: mrn, value: marker }] })),
            post(uuid(2), patient({ generalPractitioner: [{ reference: `Practitioner?identifier=${npi}|${value}` }] })),
          ]),
        ),
      ));
      expect(error.status).toBe(412);
      expect(error.issues[0]?.diagnostics).toContain(`entry[1] (${uuid(2)})`);
      expect(error.issues[0]?.diagnostics).toContain(says);
      expect(await withIdentifier('Patient', mrn, marker)).toEqual([]);
    });
  });

  it('answers an ifNoneExist entry that matches with 200 and the existing resource, writing nothing for it, and points references at it', async () => {
    const value = uniqueTag();
    const existing = await services.writer.create(nurse, 'Patient', () => patient({ identifier: [{ system: mrn, value }] }));
    const response = await services.bundles.process(
      nurse,
      bundle('transaction', [post(uuid(1), patient({ identifier: [{ system: mrn, value }] }), `identifier=${mrn}|${value}`), post(uuid(2), observation(uuid(1)))]),
    );
    expect(response.entry[0]?.response).toMatchObject({ status: '200 OK', location: `Patient/${existing.version.id}/_history/1` });
    expect((await stored('Patient', existing.version.id))?.versionId).toBe(1);
    expect((await stored('Observation', idOf(response.entry[1]?.response.location)))?.resource?.subject).toEqual({ reference: `Patient/${existing.version.id}` });
  });

  it('writes nothing when an ifMatch is stale, and answers 412 naming the entry', async () => {
    const { version } = await services.writer.create(nurse, 'Patient', () => patient());
    await services.writer.update(nurse, 'Patient', version.id, () => patient({ id: version.id, gender: 'male' }));
    const marker = uniqueTag();
    const error = (await rejection(
      services.bundles.process(
        nurse,
        bundle('transaction', [
          post(uuid(1), patient({ identifier: [{ system: mrn, value: marker }] })),
          { fullUrl: uuid(2), resource: patient({ id: version.id, gender: 'other' }), request: { method: 'PUT', url: `Patient/${version.id}`, ifMatch: 'W/"1"' } },
        ]),
      ),
    ));
    expect(error.status).toBe(412);
    expect(error.issues[0]?.diagnostics).toContain('entry[1]');
    expect((await stored('Patient', version.id))?.versionId).toBe(2);
    expect(await withIdentifier('Patient', mrn, marker)).toEqual([]);
  });

  it('answers 413 pointing to batch and the loader beyond one TransactWriteItems, and writes nothing', async () => {
    const marker = uniqueTag();
    // 60 Observations of one patient: 2 actions each, 120 in all, beyond the 100 of one transaction.
    const entries = [post(uuid(0), patient({ identifier: [{ system: mrn, value: marker }] })), ...Array.from({ length: 60 }, (_, i) => post(uuid(i + 1), observation(uuid(0))))];
    const error = await rejection(services.bundles.process(nurse, bundle('transaction', entries)));
    expect(error).toBeInstanceOf(PayloadTooLarge);
    expect(error.message).toMatch(/batch/);
    expect(error.message).toMatch(/npm run load/);
    expect(await withIdentifier('Patient', mrn, marker)).toEqual([]);
  });

  it('journals one AuditEvent per patient touched, with the Bundle request id', async () => {
    const ctx = requestFor('nurse');
    const response = await services.bundles.process(
      ctx,
      bundle('transaction', [post(uuid(1), patient()), post(uuid(2), patient()), post(uuid(3), observation(uuid(1))), post(uuid(4), observation(uuid(2)))]),
    );
    for (const index of [0, 1]) {
      const subject = `Patient/${idOf(response.entry[index]?.response.location)}`;
      const events = await journalOfRequest(env, subject, ctx.requestId);
      expect(events).toHaveLength(1);
      expect(events[0]?.entity).toHaveLength(2);
    }
  });

  it('answers a batch entry by entry: successes commit, failures carry their own OperationOutcome', async () => {
    const value = uniqueTag();
    const response = await services.bundles.process(
      nurse,
      bundle('batch', [
        post(uuid(1), patient({ identifier: [{ system: mrn, value }] })),
        post(uuid(2), observation('Patient/x', { status: 'not-a-status' })),
        { request: { method: 'GET', url: 'Patient/does-not-exist' } },
        { request: { method: 'BREW', url: 'Patient' } },
      ]),
    );
    expect(response.type).toBe('batch-response');
    expect(response.entry.map((entry) => entry.response.status)).toEqual(['201 Created', '400 Bad Request', '404 Not Found', '400 Bad Request']);
    expect(response.entry[1]?.response.outcome?.resourceType).toBe('OperationOutcome');
    expect(await withIdentifier('Patient', mrn, value)).toEqual([`Patient/${idOf(response.entry[0]?.response.location)}`]);
  });

  it('refuses the whole transaction with 403 when one entry is of a type the caller may not write, naming it', async () => {
    const marker = uniqueTag();
    const claim = { resourceType: 'Claim', status: 'active', type: { coding: [{ code: 'professional' }] }, use: 'claim', patient: { reference: uuid(1) }, created: '2026-01-01', provider: { display: 'Clinique' }, priority: { coding: [{ code: 'normal' }] }, insurance: [{ sequence: 1, focal: true, coverage: { display: 'RAMQ' } }] };
    const error = await rejection(services.bundles.process(nurse, bundle('transaction', [post(uuid(1), patient({ identifier: [{ system: mrn, value: marker }] })), post(uuid(2), claim)])));
    expect(error.status).toBe(403);
    expect(error.issues[0]?.diagnostics).toContain(`entry[1] (${uuid(2)})`);
    expect(await withIdentifier('Patient', mrn, marker)).toEqual([]);
  });

  it('updates the one match of a conditional update and deletes the one match of a conditional delete, in one commit', async () => {
    const [kept, removed] = [uniqueTag(), uniqueTag()];
    const first = await services.writer.create(nurse, 'Patient', () => patient({ identifier: [{ system: mrn, value: kept }] }));
    const second = await services.writer.create(nurse, 'Patient', () => patient({ identifier: [{ system: mrn, value: removed }] }));
    const response = await services.bundles.process(
      nurse,
      bundle('transaction', [
        { resource: patient({ identifier: [{ system: mrn, value: kept }], gender: 'male' }), request: { method: 'PUT', url: `Patient?identifier=${mrn}|${kept}` } },
        { request: { method: 'DELETE', url: `Patient?identifier=${mrn}|${removed}` } },
      ]),
    );
    expect(response.entry.map((entry) => entry.response.status)).toEqual(['200 OK', '204 No Content']);
    expect(await stored('Patient', first.version.id)).toMatchObject({ versionId: 2, resource: { gender: 'male' } });
    expect(await stored('Patient', second.version.id)).toMatchObject({ versionId: 2, deleted: true });
  });

  it('refuses two conditional creates with the same criteria in one transaction', async () => {
    const value = uniqueTag();
    const criteria = `identifier=${mrn}|${value}`;
    const error = await rejection(
      services.bundles.process(nurse, bundle('transaction', [post(uuid(1), patient({ identifier: [{ system: mrn, value }] }), criteria), post(uuid(2), patient({ identifier: [{ system: mrn, value }] }), criteria)])),
    );
    expect(error.status).toBe(400);
    expect(error.issues[0]?.diagnostics).toContain(`entry[1] (${uuid(2)})`);
    expect(await withIdentifier('Patient', mrn, value)).toEqual([]);
  });

  it('answers 409 naming the entry, and writes nothing, when a concurrent request changes a resource before the commit', async () => {
    const { version } = await services.writer.create(nurse, 'Patient', () => patient());
    const marker = uniqueTag();
    // The real store, with a competing update landing between staging and the commit.
    const racing: RecordStore = Object.create(services.store) as RecordStore;
    racing.commitAll = async (writes, journal) => {
      await services.writer.update(nurse, 'Patient', version.id, () => patient({ id: version.id, gender: 'male' }));
      await services.store.commitAll(writes, journal);
    };
    const bundles = new BundleService({ store: racing, access: services.access, validate: validateResource, criteria: services.search }, services.reader);
    const error = await rejection(
      bundles.process(
        nurse,
        bundle('transaction', [post(uuid(1), patient({ identifier: [{ system: mrn, value: marker }] })), { fullUrl: uuid(2), resource: patient({ id: version.id, gender: 'other' }), request: { method: 'PUT', url: `Patient/${version.id}` } }]),
      ),
    );
    expect(error.status).toBe(409);
    expect(error.issues[0]?.diagnostics).toContain(`entry[1] (${uuid(2)})`);
    expect(await stored('Patient', version.id)).toMatchObject({ versionId: 2, resource: { gender: 'male' } });
    expect(await withIdentifier('Patient', mrn, marker)).toEqual([]);
  });

  const syntheaFiles = hasSharedData ? readdirSync(path.join(sharedDataDir, 'synthea')).filter((file) => file.endsWith('.json')) : [];
  it.skipIf(syntheaFiles.length === 0)('commits 25 typical Synthea entries atomically', async () => {
    const source = JSON.parse(readFileSync(path.join(sharedDataDir, 'synthea', syntheaFiles[0] ?? ''), 'utf8')) as { entry: Json[] };
    // Claims are financial data: the integration role (a migration's system account) may write them, a nurse may not.
    const response = await services.bundles.process(contextFor('integration'), bundle('transaction', source.entry.slice(0, 25)));
    expect(response.entry).toHaveLength(25);
    for (const entry of response.entry) {
      expect(entry.response.status).toBe('201 Created');
      const [type, id] = String(entry.response.location).split('/');
      expect((await stored(type ?? '', id ?? ''))?.versionId).toBe(1);
    }
  });
});
