import { CapabilityTool, Client, type FhirResource, type PaginationParams } from 'fhir-kit-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootLocalStack, demoUsers, eventually, matchedIds, referencesOf, type Bundle, type OperationOutcome } from '../support/e2e-stack';

/**
 * The API driven by an off-the-shelf FHIR client, fhir-kit-client, used as its README says and
 * unmodified, signed in as the integration user: what a partner system would do.
 */
const stack = bootLocalStack();
let client: Client;

beforeAll(async () => {
  client = new Client({ baseUrl: stack.info.apiUrl, bearerToken: await stack.token(demoUsers.integration) });
});

const statusOf = (resource: FhirResource) => Client.httpFor(resource).response?.status;
const headerOf = (resource: FhirResource, name: string) => Client.httpFor(resource).response?.headers.get(name);

/** The HTTP status and body of a request the client rejected (fhir-kit-client throws an Error with `response`). */
async function rejection(request: Promise<unknown>): Promise<{ status: number; data: OperationOutcome }> {
  const error = await request.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, 'the request should have been refused').toBeInstanceOf(Error);
  return (error as { response: { status: number; data: OperationOutcome } }).response;
}

/** The client types every answer as a plain resource; searches and histories are Bundles. */
const asBundle = (resource: FhirResource | undefined) => resource as unknown as Bundle | undefined;

function patientBody(family: string, extra: Record<string, unknown> = {}) {
  return { resourceType: 'Patient', name: [{ family, given: ['Kit'] }], birthDate: '1980-01-02', ...extra };
}

function heartRate(patientId: string, value: number) {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: '2026-01-15T10:00:00Z',
    valueQuantity: { value, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

describe('fhir-kit-client against the local stack, as the integration user', () => {
  it('creates, reads and vreads a Patient', async () => {
    const created = await client.create({ resourceType: 'Patient', body: patientBody('Création') });
    expect(statusOf(created)).toBe(201);
    expect(created).toMatchObject({ resourceType: 'Patient', meta: { versionId: '1' }, name: [{ family: 'Création' }] });
    const id = created.id as string;
    expect(id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
    expect(headerOf(created, 'location')).toBe(`${stack.info.apiUrl}/Patient/${id}/_history/1`);

    const read = await client.read({ resourceType: 'Patient', id });
    expect(read).toEqual(created);
    const version = await client.vread({ resourceType: 'Patient', id, version: '1' });
    expect(version).toEqual(created);
  });

  it('updates with If-Match, and is refused with 412 when the version it names is stale', async () => {
    const created = await client.create({ resourceType: 'Patient', body: patientBody('Avant') });
    const id = created.id as string;
    const updated = await client.update({ resourceType: 'Patient', id, body: { ...patientBody('Après'), id }, options: { headers: { 'If-Match': 'W/"1"' } } });
    expect(statusOf(updated)).toBe(200);
    expect(updated).toMatchObject({ id, meta: { versionId: '2' }, name: [{ family: 'Après' }] });
    expect(headerOf(updated, 'etag')).toBe('W/"2"');

    const stale = await rejection(client.update({ resourceType: 'Patient', id, body: { ...patientBody('Trop tard'), id }, options: { headers: { 'If-Match': 'W/"1"' } } }));
    expect(stale.status).toBe(412);
    expect(stale.data).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'conflict' }] });
    expect((await client.read({ resourceType: 'Patient', id })).name).toEqual([{ family: 'Après', given: ['Kit'] }]);
  });

  it('patches with JSON Patch', async () => {
    const created = await client.create({ resourceType: 'Patient', body: patientBody('Rapiécé') });
    const id = created.id as string;
    const patched = await client.patch({
      resourceType: 'Patient',
      id,
      jsonPatch: [
        { op: 'test', path: '/name/0/family', value: 'Rapiécé' },
        { op: 'replace', path: '/birthDate', value: '1981-02-03' },
        { op: 'add', path: '/active', value: true },
      ],
    });
    expect(statusOf(patched)).toBe(200);
    expect(patched).toMatchObject({ id, meta: { versionId: '2' }, birthDate: '1981-02-03', active: true, name: [{ family: 'Rapiécé' }] });

    const failedTest = await rejection(client.patch({ resourceType: 'Patient', id, jsonPatch: [{ op: 'test', path: '/name/0/family', value: 'Autre' }] }));
    expect(failedTest.status).toBe(422);
    expect(failedTest.data.resourceType).toBe('OperationOutcome');
  });

  it('deletes, after which a read is 410 Gone and the history lists every version', async () => {
    const created = await client.create({ resourceType: 'Patient', body: patientBody('Éphémère') });
    const id = created.id as string;
    await client.update({ resourceType: 'Patient', id, body: { ...patientBody('Éphémère-2'), id } });
    const deleted = await client.delete({ resourceType: 'Patient', id });
    expect(statusOf(deleted)).toBe(204);

    const gone = await rejection(client.read({ resourceType: 'Patient', id }));
    expect(gone.status).toBe(410);
    expect(gone.data).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'deleted' }] });

    const history = asBundle(await client.history({ resourceType: 'Patient', id }));
    expect(history).toMatchObject({ resourceType: 'Bundle', type: 'history' });
    expect(history?.entry?.map((entry) => [entry.request?.method, entry.response?.etag])).toEqual([
      ['DELETE', 'W/"3"'],
      ['PUT', 'W/"2"'],
      ['POST', 'W/"1"'],
    ]);
  });

  it('pages through the Observations of a patient with nextPage, and includes the patient on request', async () => {
    const patient = await client.create({ resourceType: 'Patient', body: patientBody('Pagination') });
    const patientId = patient.id as string;
    const created: string[] = [];
    for (let batch = 0; batch < 4; batch++) {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => client.create({ resourceType: 'Observation', body: heartRate(patientId, 60 + batch * 8 + i) })));
      created.push(...results.map((result) => result.id as string));
    }
    expect(created).toHaveLength(32);

    // `patient` is indexed from the change stream: wait until the index has all 32.
    const pages = await eventually(async () => {
      const seen: Bundle[] = [];
      let page = asBundle(await client.search({ resourceType: 'Observation', searchParams: { patient: `Patient/${patientId}`, _count: 10 } }));
      while (page) {
        seen.push(page);
        expect(seen.length).toBeLessThanOrEqual(10);
        page = asBundle(await client.nextPage({ bundle: page as unknown as PaginationParams['bundle'] }));
      }
      expect(seen.flatMap((bundle) => bundle.entry ?? [])).toHaveLength(32);
      return seen;
    });
    expect(pages.map((bundle) => bundle.entry?.length ?? 0)).toEqual([10, 10, 10, 2]);
    expect(pages.flatMap((bundle) => matchedIds(bundle.entry ?? [])).sort()).toEqual([...created].sort());

    const withPatient = asBundle(await client.search({ resourceType: 'Observation', searchParams: { _id: created.slice(0, 3).join(','), _include: 'Observation:patient' } }));
    const entries = withPatient?.entry ?? [];
    expect(matchedIds(entries).sort()).toEqual(created.slice(0, 3).sort());
    expect(referencesOf(entries.filter((entry) => entry.search?.mode === 'include'))).toEqual([`Patient/${patientId}`]);
  });

  it('reads a patient\'s record with $everything (client.operation) and a compartment search (client.compartmentSearch)', async () => {
    const everything = asBundle(await client.operation({ name: 'everything', resourceType: 'Patient', id: 'demo-tremblay', method: 'GET' }));
    expect(everything).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    expect(referencesOf(everything?.entry ?? [])).toEqual([
      'Encounter/demo-tremblay-visit-1',
      'Observation/demo-tremblay-glucose-1',
      'Patient/demo-tremblay',
    ]);

    const observations = asBundle(await client.compartmentSearch({ resourceType: 'Observation', compartment: { resourceType: 'Patient', id: 'demo-tremblay' } }));
    expect(matchedIds(observations?.entry ?? [])).toEqual(['demo-tremblay-glucose-1']);
  });

  it('creates conditionally with If-None-Exist: the second request returns the first resource', async () => {
    const identifier = { system: 'urn:dsc:e2e:kit', value: `kit-${Date.now()}` };
    const options = { headers: { 'If-None-Exist': `identifier=${identifier.system}|${identifier.value}` } };
    const first = await client.create({ resourceType: 'Patient', body: patientBody('Unique', { identifier: [identifier] }), options });
    expect(statusOf(first)).toBe(201);
    const second = await client.create({ resourceType: 'Patient', body: patientBody('Unique', { identifier: [identifier] }), options });
    expect(statusOf(second)).toBe(200);
    expect(second.id).toBe(first.id);

    const found = asBundle(await client.search({ resourceType: 'Patient', searchParams: { identifier: `${identifier.system}|${identifier.value}` } }));
    expect(matchedIds(found?.entry ?? [])).toEqual([first.id]);
  });

  it('reads the CapabilityStatement: Observation with read, search-type, the code parameter and the Observation:patient include', async () => {
    const statement = await client.capabilityStatement();
    expect(statement).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' });
    const tool = new CapabilityTool(statement);
    expect(tool.resourceCan('Observation', 'read')).toBe(true);
    expect(tool.resourceCan('Observation', 'search-type')).toBe(true);
    expect(tool.resourceSearch('Observation', 'code')).toBe(true);
    expect(tool.resourceSearch('Observation', 'no-such-parameter')).toBe(false);
    const observation = tool.resourceCapabilities({ resourceType: 'Observation' }) as { searchInclude?: string[] };
    expect(observation.searchInclude).toContain('Observation:patient');
  });
});
