import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { staffClaims, testClientId, testOrigin } from '../support/api-events';
import {
  anyJsonValue,
  deeplyNestedJson,
  expectNoServerError,
  expectRefusal,
  fuzzRuns,
  injectionValue,
  invalidId,
  prototypeKeys,
  trickyString,
  type Answer,
} from '../support/fuzz';
import { startRecordApi, type RecordApi } from '../support/record-api';

/**
 * Fuzzing the record API in-process: the deployed read and write handlers over DynamoDB Local,
 * fed hostile bodies, ids, search parameters, headers and claims. Every write here is defective by
 * construction, so the properties are: no 5xx, every refusal a 4xx FHIR OperationOutcome with the
 * security headers and no stack trace or server path, and the record unchanged (the audit table
 * gains journal entries of the refusals, and nothing else). Case counts are in fuzzRuns calls; a
 * failure prints its seed, and FUZZ_SEED=<seed> replays it (docs/reliability.md).
 */

let api: RecordApi;
let seeded: { patient: string; observation: string };
let before: Awaited<ReturnType<RecordApi['state']>>;

const fhirJson = { 'Content-Type': 'application/fhir+json' };
const ramq = 'https://fhir.infoway-inforoute.ca/NamingSystem/ca-qc-patient-healthcare-id';

beforeAll(async () => {
  api = await startRecordApi();
  const create = async (type: string, resource: object) => {
    const answer = await api.request('POST', `/${type}`, { headers: fhirJson, body: JSON.stringify(resource) });
    expect(answer.status, answer.body).toBe(201);
    return (JSON.parse(answer.body) as { id: string }).id;
  };
  const patient = await create('Patient', { resourceType: 'Patient', name: [{ family: 'Fuzzseed', given: ['Ada'] }], identifier: [{ system: 'urn:dsc:fuzz', value: 'seed-1' }], birthDate: '1970-01-01' });
  const observation = await create('Observation', { resourceType: 'Observation', status: 'final', code: { text: 'fuzz' }, subject: { reference: `Patient/${patient}` } });
  seeded = { patient, observation };
  before = await api.state();
});

afterEach(async () => {
  // Nothing a property sent may have changed the record, nor polluted a prototype.
  expect(await api.state()).toEqual(before);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

// ---- bodies ----

/** A JSON member that makes any Patient invalid, whatever else it holds. */
const patientDefect: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.tuple(fc.constantFrom(...prototypeKeys), anyJsonValue),
  fc.tuple(fc.string({ maxLength: 10 }).map((name) => `x_${name}`), anyJsonValue),
  fc.tuple(fc.constant('active'), fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.boolean(), { minLength: 1 }), fc.object())),
  fc.tuple(fc.constant('name'), fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant([]), fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { minLength: 1 }))),
  fc.tuple(fc.constant('birthDate'), fc.oneof(fc.integer(), fc.constant(null), fc.object(), trickyString(12).filter((text) => !/^\d{4}(-\d{2}(-\d{2})?)?$/.test(text)))),
  fc.tuple(fc.constant('gender'), fc.oneof(fc.constant(null), fc.integer(), trickyString(8).filter((text) => !['male', 'female', 'other', 'unknown'].includes(text)))),
  fc.tuple(fc.constant('identifier'), fc.oneof(fc.object(), fc.string(), fc.constant([{ system: ramq, value: 'TREE84131299' }]))),
  fc.tuple(fc.constant('resourceType'), fc.oneof(fc.constantFrom('patient', 'Patient ', 'Observation', '', 'AuditEvent', 'Bundle'), fc.integer(), fc.constant(null))),
  fc.tuple(fc.constant('text'), fc.record({ status: fc.constant('generated'), div: fc.constantFrom('<div>x</div>', '<div xmlns="http://www.w3.org/1999/xhtml"><script>1</script></div>', '<div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:1">x</a></div>') })),
);

/** A Patient's JSON text with tricky strings where values belong and at least one defect; members are written out by hand so `__proto__` and duplicates stay. */
const defectivePatientText = (id?: string): fc.Arbitrary<string> =>
  fc.tuple(trickyString(), trickyString(), fc.array(patientDefect, { minLength: 1, maxLength: 3 })).map(([family, value, defects]) => {
    const members = [
      '"resourceType":"Patient"',
      ...(id === undefined ? [] : [`"id":${JSON.stringify(id)}`]),
      `"name":[{"family":${JSON.stringify(family)}}]`,
      `"identifier":[{"system":"urn:dsc:fuzz","value":${JSON.stringify(value)}}]`,
      ...defects.map(([name, member]) => `${JSON.stringify(name)}:${JSON.stringify(member) ?? 'null'}`),
    ];
    return `{${members.join(',')}}`;
  });

/** A request body that no write may accept: raw bytes, malformed or deep JSON, any JSON value, or a defective Patient, sometimes with bad bytes spliced in. */
const badBody = (id?: string): fc.Arbitrary<string | Uint8Array> =>
  fc.oneof(
    { weight: 4, arbitrary: defectivePatientText(id) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: anyJsonValue.map((value) => JSON.stringify(value) ?? 'null') },
    { weight: 1, arbitrary: deeplyNestedJson },
    {
      weight: 2,
      arbitrary: fc.tuple(defectivePatientText(id), fc.nat(), fc.constantFrom([0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xef, 0xbb, 0xbf], [0x00], [0xf4, 0x90, 0x80, 0x80])).map(([text, at, bytes]) => {
        const position = at % (text.length + 1);
        return Buffer.concat([Buffer.from(text.slice(0, position)), Buffer.from(bytes), Buffer.from(text.slice(position))]);
      }),
    },
  );

describe('hostile bodies', () => {
  it('refuses every defective create with a 4xx OperationOutcome and stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(badBody(), async (body) => expectRefusal(await api.request('POST', '/Patient', { headers: fhirJson, body }))),
      fuzzRuns(1500),
    );
  });

  it('refuses every defective update of an existing Patient and leaves it at version 1', async () => {
    await fc.assert(
      fc.asyncProperty(badBody(seeded.patient), async (body) => expectRefusal(await api.request('PUT', `/Patient/${seeded.patient}`, { headers: fhirJson, body }))),
      fuzzRuns(1000),
    );
  });

  it('refuses every transaction Bundle holding a defective entry, or none at all, as a whole', async () => {
    const entry = defectivePatientText().map((text) => `{"fullUrl":"urn:uuid:0b9b7e8e-0000-4000-8000-000000000001","resource":${text},"request":{"method":"POST","url":"Patient"}}`);
    const bundle = fc.oneof(
      fc.array(entry, { minLength: 1, maxLength: 3 }).map((entries) => `{"resourceType":"Bundle","type":"transaction","entry":[${entries.join(',')}]}`),
      fc.tuple(fc.oneof(fc.constantFrom('transaction-response', 'searchset', 'document', 'Transaction', ''), fc.integer()), anyJsonValue).map(
        ([type, entries]) => `{"resourceType":"Bundle","type":${JSON.stringify(type)},"entry":${JSON.stringify(entries) ?? 'null'}}`,
      ),
      badBody(),
    );
    await fc.assert(fc.asyncProperty(bundle, async (body) => expectRefusal(await api.request('POST', '/', { headers: fhirJson, body }))), fuzzRuns(800));
  });

  it('refuses every JSON Patch whose result would be invalid, or that is no patch, and leaves the Patient as it was', async () => {
    const pointer = fc.oneof(
      fc.constantFrom('/__proto__/polluted', '/constructor/prototype/polluted', '/name/0/__proto__/polluted', '/name/-', '/name/999', '/id', '/meta/versionId', '/resourceType', '', '/', '~2', '/name/0/family', 'name'),
      trickyString(10).map((text) => `/${text}`),
    );
    const operation = fc.record({ op: fc.oneof(fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test'), fc.string({ maxLength: 8 })), path: pointer, from: pointer, value: anyJsonValue }, { requiredKeys: ['op', 'path'] });
    // The last operation leaves an invalid gender, so no patch here can be valid however the others go.
    const invalidating = { op: 'add', path: '/gender', value: 'not-a-gender' };
    const patch = fc.oneof(
      { weight: 4, arbitrary: fc.array(operation, { maxLength: 4 }).map((operations) => JSON.stringify([...operations, invalidating])) },
      // An empty patch is a valid no-op (200, no new version), so not one of these.
      { weight: 1, arbitrary: anyJsonValue.filter((value) => !(Array.isArray(value) && value.length === 0)).map((value) => JSON.stringify(value) ?? 'null') },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }) },
    );
    await fc.assert(
      fc.asyncProperty(patch, async (body) => expectRefusal(await api.request('PATCH', `/Patient/${seeded.patient}`, { headers: { 'Content-Type': 'application/json-patch+json' }, body }))),
      fuzzRuns(1000),
    );
  });

  it('refuses bodies of 400 KB to 5 MB with 413 or 400, never a crash', async () => {
    const huge = fc.tuple(fc.integer({ min: 400_000, max: 5_000_000 }), fc.constantFrom('a', 'é', '\u202E', '\\u0000', '[')).map(([size, unit]) => `{"resourceType":"Patient","gender":"x","name":[{"family":"${unit.repeat(Math.ceil(size / unit.length))}"}]}`);
    await fc.assert(fc.asyncProperty(huge, async (body) => expectRefusal(await api.request('POST', '/Patient', { headers: fhirJson, body }))), fuzzRuns(12));
  });
});

// ---- ids and paths ----

describe('hostile ids and path segments', () => {
  const validPatient = (id: string) => JSON.stringify({ resourceType: 'Patient', id, name: [{ family: 'Valide' }] });
  const interaction = fc.constantFrom(
    (id: string) => api.requestRaw('GET', '/{type}/{id}', { type: 'Patient', id }),
    (id: string) => api.requestRaw('GET', '/{type}/{id}/_history', { type: 'Patient', id }),
    (id: string) => api.requestRaw('GET', '/{type}/{id}/_history/{vid}', { type: 'Patient', id, vid: '1' }),
    (id: string) => api.requestRaw('GET', '/{type}/{id}/{operation}', { type: 'Patient', id, operation: '$everything' }),
    (id: string) => api.requestRaw('GET', '/{type}/{id}/{operation}', { type: 'Patient', id, operation: 'Observation' }),
    (id: string) => api.requestRaw('PUT', '/{type}/{id}', { type: 'Patient', id }, { headers: fhirJson, body: validPatient(id) }),
    (id: string) => api.requestRaw('PATCH', '/{type}/{id}', { type: 'Patient', id }, { headers: { 'Content-Type': 'application/json-patch+json' }, body: '[{"op":"add","path":"/active","value":true}]' }),
    (id: string) => api.requestRaw('DELETE', '/{type}/{id}', { type: 'Patient', id }),
    // The id as a version, an operation name and a type.
    (id: string) => api.requestRaw('GET', '/{type}/{id}/_history/{vid}', { type: 'Patient', id: seeded.patient, vid: id }),
    (id: string) => api.requestRaw('GET', '/{type}/{id}/{operation}', { type: 'Patient', id: seeded.patient, operation: id }),
    (id: string) => api.requestRaw('GET', '/{type}/{id}', { type: id, id: seeded.patient }),
    (id: string) => api.requestRaw('POST', '/{type}', { type: id }, { headers: fhirJson, body: validPatient('x') }),
  );

  it('refuses every interaction on an id no FHIR id can be, with a 4xx OperationOutcome, and writes nothing', async () => {
    await fc.assert(fc.asyncProperty(invalidId, interaction, async (id, send) => expectRefusal(await send(id))), fuzzRuns(1800));
  });
});

// ---- search ----

const searchNames = [
  'name', 'family', 'given', 'identifier', 'birthdate', 'gender', '_id', '_lastUpdated', 'subject', 'patient', 'code', 'date', 'value-quantity',
  '_count', '_sort', '_include', '_revinclude', '_elements', '_summary', '_total', '_cursor', '_since', '_has:Observation:subject:code',
  'name:exact', 'name:contains', 'name:missing', 'identifier:of-type', 'identifier:text', 'subject:Patient.name', 'subject:Patient.identifier', 'general-practitioner:missing',
  '_filter', '_query', '_content', '__proto__', 'constructor',
];
const searchParams = fc.array(fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...searchNames) }, { weight: 1, arbitrary: trickyString(8) }), injectionValue), { minLength: 1, maxLength: 4 });

/** A history, or a search with result parameters only (`_count`, `_elements`…) and no criterion: it rightly lists what is stored. */
function mayListStored(answer: Answer, query: readonly (readonly [string, string])[]): boolean {
  const criteria = ['_id', '_lastUpdated', '_has:Observation:subject:code'];
  return answer.body.includes('"type":"history"') || query.every(([name]) => name.startsWith('_') && !criteria.includes(name));
}

/** A search answers with no match (an injection cannot match stored text) or a 4xx OperationOutcome. */
function expectNoMatchOrRefusal(answer: Answer): void {
  expectNoServerError(answer);
  if (answer.status !== 200) {
    expect(answer.status).toBeGreaterThanOrEqual(400);
    return;
  }
  const bundle = JSON.parse(answer.body) as { resourceType: string; type: string; entry?: { search?: { mode?: string } }[] };
  expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
  expect((bundle.entry ?? []).filter((entry) => entry.search?.mode !== 'outcome')).toEqual([]);
}

describe('injection attempts in search parameters', () => {
  const type = fc.constantFrom('Patient', 'Observation', 'Encounter');

  it('matches nothing or refuses, by GET, POST _search, compartment and $everything', async () => {
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const search = fc.constantFrom(
      (type: string, query: [string, string][]) => api.request('GET', `/${type}`, { query }),
      (type: string, query: [string, string][]) => api.request('POST', `/${type}/_search`, { headers: form, body: new URLSearchParams(query).toString() }),
      (type: string, query: [string, string][]) => api.request('GET', `/Patient/${seeded.patient}/${type === 'Patient' ? 'Observation' : type}`, { query }),
      (_type: string, query: [string, string][]) => api.request('GET', `/Patient/${seeded.patient}/$everything`, { query }),
      (type: string, query: [string, string][]) => api.request('GET', `/${type}/_history`, { query }),
    );
    await fc.assert(fc.asyncProperty(type, searchParams, search, async (type, query, send) => {
      const answer = await send(type, query);
      if (mayListStored(answer, query)) expectNoServerError(answer);
      else expectNoMatchOrRefusal(answer);
    }), fuzzRuns(1800));
  });

  it('treats injection criteria of conditional writes as criteria that match nothing, or refuses them', async () => {
    const conditional = fc.constantFrom(
      (query: [string, string][], body: string | Uint8Array) => api.request('PUT', '/Patient', { query, headers: fhirJson, body }),
      (query: [string, string][], body: string | Uint8Array) => api.request('POST', '/Patient', { headers: { ...fhirJson, 'If-None-Exist': new URLSearchParams(query).toString() }, body }),
      (query: [string, string][]) => api.request('DELETE', '/Patient', { query }),
      (query: [string, string][]) => api.request('PATCH', '/Patient', { query, headers: { 'Content-Type': 'application/json-patch+json' }, body: '[{"op":"add","path":"/gender","value":"x"}]' }),
    );
    await fc.assert(fc.asyncProperty(searchParams, badBody(), conditional, async (query, body, send) => expectNoServerError(await send(query, body))), fuzzRuns(800));
  });
});

// ---- headers and claims ----

describe('malformed headers and claims', () => {
  const headerValue = fc.oneof(trickyString(30), injectionValue, fc.constantFrom('', ' ', 'W/', 'W/"', '"', '*', 'W/"abc"', 'W/"-1"', '0', '99999999999999999999', 'q=0', '*/*;q=abc', 'text/html', 'application/fhir+xml', 'return=', 'handling=lenient', 'Thu, 01 Jan 1970 00:00:00 GMT', 'TREAT', 'ETREAT', 'null'));
  const headerNames = ['If-None-Match', 'If-Modified-Since', 'If-Match', 'Accept', 'Prefer', 'X-Break-Glass-Reason', 'X-Purpose-Of-Use', 'Origin', 'Content-Type', 'Host', 'X-Forwarded-Proto', 'Authorization'];
  const headers = fc.dictionary(fc.constantFrom(...headerNames), headerValue, { minKeys: 1, maxKeys: 5 });

  it('answers a read of an existing Patient with 200, 304 or a 4xx OperationOutcome, whatever the headers', async () => {
    await fc.assert(fc.asyncProperty(headers, async (headers) => {
      const answer = await api.request('GET', `/Patient/${seeded.patient}`, { headers });
      expectNoServerError(answer);
      expect([200, 304].includes(answer.status) || answer.status >= 400).toBe(true);
      // Fewer cases than elsewhere: most of these reads succeed, and a read (with its journal entry) costs ten refusals.
    }), fuzzRuns(300));
  });

  it('refuses an update whose If-Match names no current version, or whose Content-Type is not FHIR JSON, and keeps version 1', async () => {
    const body = JSON.stringify({ resourceType: 'Patient', id: seeded.patient, name: [{ family: 'Overwritten' }] });
    // Only values that cannot name version 1 (nor any version, as `*` would).
    const ifMatch = headerValue.filter((value) => !/1|\*/.test(value));
    const contentType = headerValue.filter((value) => !['application/fhir+json', 'application/json', 'application/json+fhir'].includes(value.split(';')[0]?.trim().toLowerCase() ?? ''));
    const request = fc.oneof(ifMatch.map((value) => ({ ...fhirJson, 'If-Match': value })), contentType.map((value) => ({ 'Content-Type': value })));
    await fc.assert(fc.asyncProperty(request, async (headers) => expectRefusal(await api.request('PUT', `/Patient/${seeded.patient}`, { headers, body }))), fuzzRuns(800));
  });

  it('refuses claims that are not a physician of a known client with 401 or 403', async () => {
    const valid = staffClaims('physician');
    const garbage = fc.oneof(trickyString(20), fc.constantFrom('', 'null', 'undefined', '[]', '{}', 'id', 'refresh'));
    const claims = fc
      .record({
        token_use: fc.oneof(fc.constant(valid.token_use), garbage),
        client_id: fc.oneof(fc.constant(testClientId), garbage),
        scope: fc.oneof(fc.constant(valid.scope), fc.constant('dsc-fhir/fhir.read'), garbage),
        'cognito:groups': fc.oneof(fc.constant(valid['cognito:groups']), garbage, fc.constantFrom('physician,privacy-officer', 'Physician', 'physicians', 'nurse')),
        sub: fc.oneof(fc.constant(valid.sub), garbage),
      }, { requiredKeys: [] })
      // A physician or nurse of the client with the write scope may write, whatever their sub: not a case here.
      .filter((claims) => !(claims.token_use === valid.token_use && claims.client_id === testClientId && claims.scope === valid.scope && /physician|nurse/.test(claims['cognito:groups'] ?? '') && claims.sub));
    await fc.assert(fc.asyncProperty(claims, fc.boolean(), async (claims, write) => {
      const answer = write
        ? await api.request('PUT', `/Patient/${seeded.patient}`, { claims, headers: fhirJson, body: JSON.stringify({ resourceType: 'Patient', id: seeded.patient, name: [{ family: 'Claimed' }] }) })
        : await api.request('GET', `/Patient/${seeded.patient}`, { claims, headers: { Origin: testOrigin } });
      if (answer.status === 200) {
        // Claims that still name a clinician of the client with the read scope may read; nothing else may pass.
        expect(write).toBe(false);
        expect(claims).toMatchObject({ token_use: 'access', client_id: testClientId, 'cognito:groups': expect.stringMatching(/physician|nurse/) as unknown, scope: expect.stringContaining('fhir.read') as unknown });
        return;
      }
      expectRefusal(answer);
      expect([401, 403]).toContain(answer.status);
      expect(answer.headers['access-control-allow-origin'] ?? testOrigin).toBe(testOrigin);
    }), fuzzRuns(500));
  });
});

// ---- counterexamples fuzzing found, kept as plain cases ----

describe('counterexamples found by fuzzing', () => {
  it('refuses a search value holding a lone surrogate with 400 (it was a 500: the canonical query could not be percent-encoded)', async () => {
    const answer = await api.request('GET', '/Patient', { query: [['name', "' OR 1=1 --\uD800"]] });
    expectRefusal(answer);
    expect(answer.status).toBe(400);
  });

  it('refuses a compartment search of an empty patient id with 400 (it searched every patient)', async () => {
    const answer = await api.requestRaw('GET', '/{type}/{id}/{operation}', { type: 'Patient', id: '', operation: 'Observation' });
    expectRefusal(answer);
    expect(answer.status).toBe(400);
  });
});
