import { describe, expect, it } from 'vitest';
import { allPages, bootLocalStack, demoUsers, eventually, expectJson, expectOperationOutcome, expectStatus, matchedIds, referencesOf, unique, versionIds, type Bundle, type OperationOutcome, type StoredResource } from '../support/e2e-stack';

/**
 * The FHIR REST API over HTTP as a new user meets it: methods and CORS, formats, conditional
 * reads, Prefer, Location, conditional and concurrent writes, read-your-writes search, roles and
 * decimal precision. Every error is an OperationOutcome.
 */
const stack = bootLocalStack();
const origin = 'http://localhost:5173';
const mrn = 'urn:dsc:e2e:mrn';

async function createPatient(family: string): Promise<StoredResource> {
  return expectJson(await stack.request('/Patient', { method: 'POST', body: { resourceType: 'Patient', name: [{ family }] } }), 201);
}

function observation(patientId: string, extra: Record<string, unknown> = {}) {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${patientId}` },
    valueQuantity: { value: 72, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
    ...extra,
  };
}

describe('methods and CORS', () => {
  it('answers a method the path does not serve with 405, an Allow header and an OperationOutcome', async () => {
    const response = await stack.request('/Patient/demo-roy/_history', { method: 'DELETE' });
    expect(response.headers.get('allow')?.split(',').map((method) => method.trim()).sort()).toEqual(['GET']);
    await expectOperationOutcome(response, 405, 'not-supported');

    const onMetadata = await stack.request('/metadata', { method: 'DELETE' });
    expect(onMetadata.headers.get('allow')).toBe('GET');
    await expectOperationOutcome(onMetadata, 405, 'not-supported');
  });

  it('answers a path that starts with two slashes as an unknown route (404), not as another host', async () => {
    // Found by fuzzing: `//host/x` was resolved as a URL of another (invalid) host and failed with 502.
    const response = await stack.request('//bv%5C2r%7CmJ/_search', { method: 'POST', body: { resourceType: 'Patient' } });
    await expectOperationOutcome(response, 404, 'not-supported');
  });

  it('answers a CORS preflight from an allowed origin with only the methods of that path', async () => {
    const preflight = async (path: string) => {
      const response = await fetch(`${stack.info.apiUrl}${path}`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'authorization,if-match' },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('if-match');
      expect(response.headers.get('strict-transport-security')).toMatch(/^max-age=/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      return response.headers.get('access-control-allow-methods')!.split(',').map((method) => method.trim()).sort();
    };
    // POST on /{type}/{id} carries type-level operations (Binary/$upload-url).
    expect(await preflight('/Patient/demo-roy')).toEqual(['DELETE', 'GET', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    expect(await preflight('/Patient')).toEqual(['DELETE', 'GET', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    expect(await preflight('/Patient/demo-roy/_history')).toEqual(['GET', 'OPTIONS']);
    expect(await preflight('/metadata')).toEqual(['GET', 'OPTIONS']);
  });
});

describe('formats', () => {
  it('refuses XML, asked for by Accept or by _format, with 406', async () => {
    await expectOperationOutcome(await stack.request('/Patient/demo-roy', { headers: { Accept: 'application/fhir+xml' } }), 406, 'not-supported');
    await expectOperationOutcome(await stack.request('/Patient/demo-roy?_format=xml'), 406, 'not-supported');
    await expectOperationOutcome(await stack.request('/Patient/demo-roy?_format=application/fhir%2Bxml'), 406, 'not-supported');
  });

  it('serves JSON for _format=json and _format=application/fhir+json', async () => {
    for (const format of ['json', encodeURIComponent('application/fhir+json')]) {
      const response = await stack.request(`/Patient/demo-roy?_format=${format}`);
      expect(await expectJson(response, 200)).toMatchObject({ resourceType: 'Patient', id: 'demo-roy' });
      expect(response.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    }
  });
});

describe('conditional read', () => {
  it('answers 304 without a body when If-None-Match names the current version, 200 otherwise', async () => {
    const patient = await createPatient('Etag');
    const notModified = await stack.request(`/Patient/${patient.id}`, { headers: { 'If-None-Match': 'W/"1"' } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe('W/"1"');
    expect(await notModified.text()).toBe('');

    const stale = await stack.request(`/Patient/${patient.id}`, { headers: { 'If-None-Match': 'W/"0"' } });
    expect((await expectJson(stale, 200)).id).toBe(patient.id);
  });

  it('answers 304 when If-Modified-Since is at or after lastUpdated, 200 when before', async () => {
    const patient = await createPatient('Modified');
    const lastModified = (await stack.request(`/Patient/${patient.id}`)).headers.get('last-modified')!;
    expect(Date.parse(lastModified)).toBe(Math.floor(Date.parse(patient.meta.lastUpdated) / 1000) * 1000);

    expect((await stack.request(`/Patient/${patient.id}`, { headers: { 'If-Modified-Since': lastModified } })).status).toBe(304);
    const later = new Date(Date.parse(patient.meta.lastUpdated) + 60_000).toUTCString();
    expect((await stack.request(`/Patient/${patient.id}`, { headers: { 'If-Modified-Since': later } })).status).toBe(304);
    const earlier = new Date(Date.parse(patient.meta.lastUpdated) - 60_000).toUTCString();
    await expectStatus(await stack.request(`/Patient/${patient.id}`, { headers: { 'If-Modified-Since': earlier } }), 200);
  });
});

describe('Prefer: return on create, update and patch', () => {
  /** A create, an update and a JSON Patch of one Patient, each sent with the same Prefer header. */
  async function writes(prefer: string) {
    const created = await stack.request('/Patient', { method: 'POST', headers: { Prefer: prefer }, body: { resourceType: 'Patient', name: [{ family: 'Prefer' }] } });
    const id = created.headers.get('location')!.split('/')[4]!;
    const updated = await stack.request(`/Patient/${id}`, { method: 'PUT', headers: { Prefer: prefer }, body: { resourceType: 'Patient', id, name: [{ family: 'Updated' }] } });
    const patched = await stack.request(`/Patient/${id}`, {
      method: 'PATCH',
      headers: { Prefer: prefer, 'Content-Type': 'application/json-patch+json' },
      body: [{ op: 'replace', path: '/name/0/family', value: 'Patched' }],
    });
    return { id, answers: [{ response: created, status: 201, version: '1' }, { response: updated, status: 200, version: '2' }, { response: patched, status: 200, version: '3' }] };
  }

  it('return=minimal: the status, ETag and Location, and no body', async () => {
    const { id, answers } = await writes('return=minimal');
    for (const { response, status, version } of answers) {
      expect(response.status).toBe(status);
      expect(response.headers.get('etag')).toBe(`W/"${version}"`);
      expect(response.headers.get('location')).toBe(`${stack.info.apiUrl}/Patient/${id}/_history/${version}`);
      expect(await response.text()).toBe('');
    }
    expect((await stack.read(`Patient/${id}`)).name).toEqual([{ family: 'Patched' }]);
  });

  it('return=representation: the stored resource', async () => {
    const { id, answers } = await writes('return=representation');
    const families = ['Prefer', 'Updated', 'Patched'];
    for (const [index, { response, status, version }] of answers.entries()) {
      expect(await expectJson(response, status)).toMatchObject({ resourceType: 'Patient', id, meta: { versionId: version }, name: [{ family: families[index] }] });
    }
  });

  it('return=OperationOutcome: an informational OperationOutcome about the write', async () => {
    const { id, answers } = await writes('return=OperationOutcome');
    for (const { response, status, version } of answers) {
      const outcome = await expectJson<OperationOutcome>(response, status);
      expect(outcome).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'information' }] });
      expect(outcome.issue[0]?.diagnostics).toContain(`Patient/${id} version ${version}`);
    }
  });
});

describe('writes', () => {
  it('gives create and update a Location that can be followed to the version written (vread)', async () => {
    const created = await stack.request('/Patient', { method: 'POST', body: { resourceType: 'Patient', name: [{ family: 'Suivi' }] } });
    const createdBody = await expectJson(created, 201);
    const first = await stack.request(created.headers.get('location')!);
    expect(await expectJson(first, 200)).toEqual(createdBody);

    const updated = await stack.request(`/Patient/${createdBody.id}`, { method: 'PUT', body: { resourceType: 'Patient', id: createdBody.id, name: [{ family: 'Suivie' }] } });
    const updatedBody = await expectJson(updated, 200);
    expect(updated.headers.get('location')).toBe(`${stack.info.apiUrl}/Patient/${createdBody.id}/_history/2`);
    expect(await expectJson(await stack.request(updated.headers.get('location')!), 200)).toEqual(updatedBody);
    // The first Location still names version 1.
    expect((await expectJson(await stack.request(created.headers.get('location')!), 200)).name).toEqual([{ family: 'Suivi' }]);
  });

  it('never duplicates a conditional create (If-None-Exist) of an Observation, by identifier or by an asynchronously indexed parameter', async () => {
    const patient = await createPatient('Conditionnel');
    const identifier = unique('obs');
    const byIdentifier = { 'If-None-Exist': `identifier=${mrn}|${identifier}` };
    const body = observation(patient.id, { identifier: [{ system: mrn, value: identifier }] });
    const first = await stack.request('/Observation', { method: 'POST', headers: byIdentifier, body });
    const { id } = await expectJson(first, 201);
    const second = await stack.request('/Observation', { method: 'POST', headers: byIdentifier, body });
    expect((await expectJson(second, 200)).id).toBe(id);

    // `code` is indexed from the change stream: the second request comes before the index has it.
    const code = unique('code');
    const byCode = { 'If-None-Exist': `code=urn:dsc:e2e:code|${code}` };
    const coded = observation(patient.id, { code: { coding: [{ system: 'urn:dsc:e2e:code', code }] } });
    const firstCoded = await expectJson(await stack.request('/Observation', { method: 'POST', headers: byCode, body: coded }), 201);
    const secondCoded = await stack.request('/Observation', { method: 'POST', headers: byCode, body: coded });
    expect((await expectJson(secondCoded, 200)).id).toBe(firstCoded.id);
    const found = await eventually(async () => {
      const { entries } = await allPages(stack, `/Observation?code=urn:dsc:e2e:code|${code}`);
      expect(entries.length).toBeGreaterThan(0);
      return entries;
    });
    expect(referencesOf(found)).toEqual([`Observation/${firstCoded.id}`]);
  });

  it('answers 404 for an unknown resource type', async () => {
    await expectOperationOutcome(await stack.request('/Nothing/here'), 404, 'not-found');
    await expectOperationOutcome(await stack.request('/Nothing'), 404, 'not-found');
    await expectOperationOutcome(await stack.request('/Nothing', { method: 'POST', body: { resourceType: 'Nothing' } }), 404, 'not-found');
  });

  it('answers 410 Gone when reading a deleted resource, and keeps its earlier versions readable', async () => {
    const patient = await createPatient('Supprimé');
    expect((await stack.request(`/Patient/${patient.id}`, { method: 'DELETE' })).status).toBe(204);
    await expectOperationOutcome(await stack.request(`/Patient/${patient.id}`), 410, 'deleted');
    await expectStatus(await stack.request(`/Patient/${patient.id}/_history/1`), 200);
  });

  it('refuses an update whose body id differs from the URL with 400, and changes nothing', async () => {
    const patient = await createPatient('Identité');
    const response = await stack.request(`/Patient/${patient.id}`, { method: 'PUT', body: { resourceType: 'Patient', id: 'someone-else', name: [{ family: 'Autre' }] } });
    const outcome = await expectOperationOutcome(response, 400, 'invalid');
    expect(outcome.issue[0]?.diagnostics).toContain('someone-else');
    expect(await versionIds(stack, `Patient/${patient.id}`)).toEqual(['1']);
    await expectOperationOutcome(await stack.request('/Patient/someone-else'), 404, 'not-found');
  });
});

describe('search handling', () => {
  const matchIds = async (path: string) => matchedIds((await allPages(stack, path)).entries);

  it('with Prefer: handling=lenient, ignores an unknown parameter and says so in an outcome entry', async () => {
    const response = await stack.request('/Patient?_id=demo-roy&colour=blue', { headers: { Prefer: 'handling=lenient' } });
    const entries = (await expectJson<Bundle>(response, 200)).entry ?? [];
    expect(matchedIds(entries)).toEqual(['demo-roy']);
    const outcomes = entries.filter((entry) => entry.search?.mode === 'outcome').map((entry) => entry.resource as unknown as OperationOutcome);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.resourceType).toBe('OperationOutcome');
    expect(outcomes[0]?.issue[0]).toMatchObject({ severity: 'warning', diagnostics: expect.stringContaining('colour') as string });
  });

  it('with handling=lenient, leaves the ignored parameter out of the self link', async () => {
    // R4 search.html: the server SHALL return the parameters it actually used, in the self link,
    // so a client can see what it searched on (and a next link does not carry what was refused).
    const response = await stack.request('/Patient?_id=demo-roy&colour=blue', { headers: { Prefer: 'handling=lenient' } });
    const bundle = await expectJson<Bundle>(response, 200);
    const self = new URL(bundle.link?.find((link) => link.relation === 'self')?.url ?? 'about:blank');
    expect(self.searchParams.get('_id')).toBe('demo-roy');
    expect(self.searchParams.has('colour')).toBe(false);
  });

  it('with handling=strict, or no Prefer, refuses an unknown parameter with 400 naming it', async () => {
    for (const headers of [{ Prefer: 'handling=strict' }, {}] as Record<string, string>[]) {
      const outcome = await expectOperationOutcome(await stack.request('/Patient?_id=demo-roy&colour=blue', { headers }), 400);
      expect(outcome.issue[0]?.diagnostics).toContain('colour');
    }
  });

  it('finds a new Observation by identifier, subject, compartment and _id as soon as the create returns (no polling)', async () => {
    const patient = await createPatient('Immédiat');
    const identifier = unique('now');
    const created = await stack.request('/Observation', { method: 'POST', body: observation(patient.id, { identifier: [{ system: mrn, value: identifier }] }) });
    const { id } = await expectJson(created, 201);
    expect(await matchIds(`/Observation?identifier=${mrn}|${identifier}`)).toEqual([id]);
    expect(await matchIds(`/Observation?subject=Patient/${patient.id}`)).toEqual([id]);
    expect(await matchIds(`/Patient/${patient.id}/Observation`)).toEqual([id]);
    expect(await matchIds(`/Observation?_id=${id}`)).toEqual([id]);
  });

  it('finds a new resource by its `patient` parameter as soon as the create returns (no polling)', async () => {
    // R4 defines Observation.patient and Encounter.patient as `subject.where(resolve() is Patient)`,
    // and Condition.subject holds the same reference as Condition.patient: the patient's compartment
    // answers each of them, so none of them has to wait for the index.
    const patient = await createPatient('Immédiat-patient');
    const subject = { reference: `Patient/${patient.id}` };
    const bodies = [
      { query: `/Observation?patient=Patient/${patient.id}`, body: observation(patient.id) },
      { query: `/Encounter?patient=Patient/${patient.id}`, body: { resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject } },
      { query: `/Condition?subject=Patient/${patient.id}`, body: { resourceType: 'Condition', code: { text: 'Asthme' }, subject } },
    ];
    const found: Record<string, string[]> = {};
    const expected: Record<string, string[]> = {};
    for (const { query, body } of bodies) {
      const { id } = await expectJson(await stack.request(`/${body.resourceType}`, { method: 'POST', body }), 201);
      found[query] = await matchIds(query);
      expected[query] = [id];
    }
    expect(found).toEqual(expected);
  });
});

describe('concurrency', () => {
  it('lets exactly one of 20 parallel updates with the same If-Match win; the others get 412', async () => {
    const patient = await createPatient('Course');
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        stack.request(`/Patient/${patient.id}`, { method: 'PUT', headers: { 'If-Match': 'W/"1"' }, body: { resourceType: 'Patient', id: patient.id, name: [{ family: `Course-${i}` }] } }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 412)).toHaveLength(19);
    for (const response of responses.filter((candidate) => candidate.status === 412)) await expectOperationOutcome(response, 412, 'conflict');
    expect(await versionIds(stack, `Patient/${patient.id}`)).toEqual(['2', '1']);
    // The stored version 2 is the winner's.
    const winner = await expectJson(responses.find((response) => response.status === 200)!, 200);
    expect(await stack.read(`Patient/${patient.id}`)).toEqual(winner);
  });

  it('creates exactly one resource from 20 parallel conditional creates with the same If-None-Exist', async () => {
    const identifier = unique('once');
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        stack.request('/Patient', { method: 'POST', headers: { 'If-None-Exist': `identifier=${mrn}|${identifier}` }, body: { resourceType: 'Patient', identifier: [{ system: mrn, value: identifier }] } }),
      ),
    );
    const answers = await Promise.all(responses.map(async (response) => ({ status: response.status, body: JSON.parse(await response.text()) as StoredResource | OperationOutcome })));
    const { entries } = await allPages(stack, `/Patient?identifier=${mrn}|${identifier}`);
    expect(entries, 'Patients holding the identifier').toHaveLength(1);
    // One request created it (201); the 19 others found it and returned it (200).
    expect(answers.map((answer) => answer.status).sort()).toEqual([...Array<number>(19).fill(200), 201]);
    expect(answers.map((answer) => ('id' in answer.body ? `Patient/${answer.body.id}` : answer.body.resourceType))).toEqual(Array<string>(20).fill(referencesOf(entries)[0]!));
  });
});

describe('roles', () => {
  it('refuses a clerk an Observation with 403, and leaves Observations out of the clerk\'s $everything', async () => {
    await expectOperationOutcome(await stack.request('/Observation/demo-tremblay-glucose-1', { as: demoUsers.clerk }), 403, 'forbidden');

    const forClerk = referencesOf((await allPages(stack, '/Patient/demo-tremblay/$everything', { as: demoUsers.clerk })).entries);
    expect(forClerk).toContain('Patient/demo-tremblay');
    expect(forClerk).toContain('Encounter/demo-tremblay-visit-1');
    expect(forClerk.filter((reference) => reference.startsWith('Observation/'))).toEqual([]);
    // The physician's $everything of the same patient does list the Observation.
    const forPhysician = referencesOf((await allPages(stack, '/Patient/demo-tremblay/$everything', { as: demoUsers.physician })).entries);
    expect(forPhysician).toContain('Observation/demo-tremblay-glucose-1');
  });
});

describe('decimals', () => {
  it('returns decimals with the text they were sent with (1.50 stays 1.50; 23 significant digits stay)', async () => {
    const patient = await createPatient('Décimales');
    for (const value of ['1.50', '0.12345678901234567890123', '100.000']) {
      const text = `{"resourceType":"Observation","status":"final","code":{"text":"precision"},"subject":{"reference":"Patient/${patient.id}"},"valueQuantity":{"value":${value},"unit":"mmol/L"}}`;
      const created = await stack.request('/Observation', { method: 'POST', body: text });
      const createdText = await expectStatus(created, 201);
      expect(createdText).toContain(`"value":${value},`);
      const { id } = JSON.parse(createdText) as StoredResource;
      expect(await expectStatus(await stack.request(`/Observation/${id}`), 200)).toContain(`"value":${value},`);
      expect(await expectStatus(await stack.request(`/Observation/${id}/_history/1`), 200)).toContain(`"value":${value},`);
      expect(await expectStatus(await stack.request(`/Observation?_id=${id}`), 200)).toContain(`"value":${value},`);
    }
  });
});
