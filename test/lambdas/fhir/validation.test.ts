import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OutcomeIssue } from '../../../lambdas/fhir/errors';
import { validateResource } from '../../../lambdas/fhir/validation';
import { resourceTypes } from '../../../lambdas/fhir/validation/generated/fhir-r4';
import { fhirPath, maxIssues } from '../../../lambdas/fhir/validation/issues';
import * as primitives from '../../../lambdas/fhir/validation/primitives';

const expressions = (issues: OutcomeIssue[]): (string | undefined)[] => issues.map((issue) => issue.expression?.[0]);
const observation = { resourceType: 'Observation', status: 'final', code: { text: 'Poids' } };

describe('validateResource (Patient)', () => {
  it('accepts a plain valid Patient, French text included', () => {
    expect(validateResource('Patient', { resourceType: 'Patient', name: [{ family: 'Bélanger', given: ['Zoé'] }], gender: 'female', birthDate: '2001-02-28' })).toEqual([]);
  });

  it('names each offending element with a FHIRPath expression', () => {
    const issues = validateResource('Patient', { resourceType: 'Patient', name: [{ family: 7 }], active: 'yes' });
    expect(expressions(issues).sort()).toEqual(['Patient.active', 'Patient.name[0].family']);
    expect(issues.every((issue) => issue.severity === 'error' && issue.code === 'structure')).toBe(true);
  });

  it('rejects unknown elements, bad codes, bad dates and bad ids', () => {
    for (const bad of [{ colour: 'blue' }, { gender: 'F' }, { birthDate: '2001-13-01' }, { id: 'bad_id' }]) {
      expect(validateResource('Patient', { resourceType: 'Patient', ...bad }), JSON.stringify(bad)).not.toEqual([]);
    }
  });

  it('accepts null placeholders in a primitive extension array, as R4 JSON allows', () => {
    const patient = { resourceType: 'Patient', name: [{ given: ['A', 'B'], _given: [null, { extension: [{ url: 'urn:x', valueString: 'y' }] }] }] };
    expect(validateResource('Patient', patient)).toEqual([]);
    const onlyExtension = { resourceType: 'Patient', name: [{ given: [null, 'B'], _given: [{ extension: [{ url: 'urn:x', valueString: 'y' }] }, null] }] };
    expect(validateResource('Patient', onlyExtension)).toEqual([]);
  });

  it('rejects nulls that pair with nothing, and parallel arrays of different lengths', () => {
    expect(expressions(validateResource('Patient', { resourceType: 'Patient', name: [{ given: ['A', null] }] }))).toEqual(['Patient.name[0].given[1]']);
    expect(expressions(validateResource('Patient', { resourceType: 'Patient', name: [{ given: ['A', null], _given: [null, null] }] }))).toEqual(['Patient.name[0].given[1]']);
    expect(validateResource('Patient', { resourceType: 'Patient', name: [{ given: ['A', 'B'], _given: [null] }] })).not.toEqual([]);
    expect(validateResource('Patient', { resourceType: 'Patient', birthDate: null })).not.toEqual([]);
  });

  it('accepts a relative url, but not one with whitespace', () => {
    expect(validateResource('Patient', { resourceType: 'Patient', photo: [{ url: 'Binary/f006' }] })).toEqual([]);
    expect(validateResource('Patient', { resourceType: 'Patient', photo: [{ url: 'not a url' }] })).not.toEqual([]);
  });

  it('rejects a long malformed base64 value promptly (no catastrophic backtracking)', () => {
    const data = `${'A'.repeat(200)}%%%2@()()`;
    expect(validateResource('Patient', { resourceType: 'Patient', photo: [{ data }] })).not.toEqual([]);
  });

  it('never throws, whatever JSON it is given', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const issues = validateResource('Patient', value);
        expect(Array.isArray(issues)).toBe(true);
      }),
    );
  });

  it('rejects any Patient carrying an element R4 does not define', () => {
    const unknownName = fc.string({ minLength: 1, maxLength: 12 }).filter((name) => /^[a-z]+$/.test(name) && !patientElements.has(name));
    fc.assert(fc.property(unknownName, fc.jsonValue(), (name, value) => validateResource('Patient', { resourceType: 'Patient', [name]: value }).length > 0));
  });
});

const patientElements = new Set([
  'id', 'meta', 'implicitRules', 'language', 'text', 'contained', 'extension', 'modifierExtension', 'identifier', 'active', 'name', 'telecom',
  'gender', 'birthDate', 'deceasedBoolean', 'deceasedDateTime', 'address', 'maritalStatus', 'multipleBirthBoolean', 'multipleBirthInteger',
  'photo', 'contact', 'communication', 'generalPractitioner', 'managingOrganization', 'link',
]);

describe('validateResource (every R4 type)', () => {
  it('knows the 146 resource types of the R4 JSON schema', () => {
    expect(resourceTypes).toHaveLength(146);
    for (const type of ['Patient', 'Observation', 'Bundle', 'Binary', 'Parameters', 'ExplanationOfBenefit', 'MedicinalProductUndesirableEffect']) expect(resourceTypes).toContain(type);
  });

  it('accepts the smallest valid resource of every type that requires nothing', () => {
    for (const type of ['Patient', 'Practitioner', 'Organization', 'Location', 'Person', 'Binary']) {
      const resource = type === 'Binary' ? { resourceType: type, contentType: 'text/plain' } : { resourceType: type };
      expect(validateResource(type, resource), type).toEqual([]);
    }
  });

  it('points into choice elements by their JSON name (Observation.valueQuantity.value)', () => {
    const issues = validateResource('Observation', { ...observation, valueQuantity: { value: '72.5', unit: 'kg' } });
    expect(issues).toEqual([{ severity: 'error', code: 'structure', diagnostics: 'Must be a JSON number', expression: ['Observation.valueQuantity.value'] }]);
    expect(validateResource('Observation', { ...observation, valueQuantity: { value: 72.5, unit: 'kg' } })).toEqual([]);
  });

  it('requires min-1 elements, primitive ones included, which the official schema does not', () => {
    const issues = validateResource('Observation', { resourceType: 'Observation' });
    expect(issues.map(({ code, expression }) => [code, expression?.[0]])).toEqual([
      ['required', 'Observation.status'],
      ['required', 'Observation.code'],
    ]);
  });

  it('takes a required primitive present through its extensions only (`_status`)', () => {
    const absent = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] };
    expect(validateResource('Observation', { resourceType: 'Observation', _status: absent, code: { text: 'x' } })).toEqual([]);
  });

  it('requires a required choice element by any of its types (medication[x], answer[x])', () => {
    const request = { resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' } };
    const missing = validateResource('MedicationRequest', request);
    expect(missing).toEqual([{ severity: 'error', code: 'required', diagnostics: 'Missing required element medication[x] (one of its types must be present)', expression: ['MedicationRequest.medication'] }]);
    expect(validateResource('MedicationRequest', { ...request, medicationCodeableConcept: { text: 'Paracétamol 500 mg' } })).toEqual([]);
    expect(validateResource('MedicationRequest', { ...request, medicationReference: { reference: 'Medication/m1' } })).toEqual([]);

    const item = { linkId: '2', type: 'string', enableWhen: [{ question: '1', operator: '=' }] };
    const questionnaire = { resourceType: 'Questionnaire', status: 'active', item: [item] };
    expect(expressions(validateResource('Questionnaire', questionnaire))).toEqual(['Questionnaire.item[0].enableWhen[0].answer']);
    const byExtension = { ...item, enableWhen: [{ question: '1', operator: '=', _answerBoolean: { extension: [{ url: 'urn:x', valueString: 'y' }] } }] };
    expect(validateResource('Questionnaire', { ...questionnaire, item: [byExtension] })).toEqual([]);
  });

  it('rejects empty arrays and empty objects', () => {
    expect(validateResource('Patient', { resourceType: 'Patient', name: [] })).toEqual([
      { severity: 'error', code: 'structure', diagnostics: 'Arrays must not be empty: leave the element out instead', expression: ['Patient.name'] },
    ]);
    expect(expressions(validateResource('Patient', { resourceType: 'Patient', name: [{}] }))).toEqual(['Patient.name[0]']);
  });

  it('accepts `_x` extensions on canonical elements, which the official schema lacks', () => {
    const meta = { profile: ['http://example.org/fhir/StructureDefinition/p'], _profile: [{ extension: [{ url: 'urn:x', valueString: 'y' }] }] };
    expect(validateResource('Patient', { resourceType: 'Patient', meta })).toEqual([]);
  });

  it('reports one issue for one error inside a contained resource, not one per resource type', () => {
    const issues = validateResource('Patient', { resourceType: 'Patient', contained: [{ ...observation, id: 'o1', valueQuantity: { value: 'lourd' } }] });
    expect(issues).toEqual([{ severity: 'error', code: 'structure', diagnostics: 'Must be a JSON number', expression: ['Patient.contained[0].valueQuantity.value'] }]);
  });

  it('names an unknown contained resource type, and a missing one', () => {
    const issues = validateResource('Patient', { resourceType: 'Patient', contained: [{ resourceType: 'Patientt', id: 'x' }, { id: 'y' }] });
    expect(issues.map(({ code, expression }) => [code, expression?.[0]])).toEqual([
      ['structure', 'Patient.contained[0].resourceType'],
      ['required', 'Patient.contained[1].resourceType'],
    ]);
  });

  it('validates Bundle entries as resources of their own type, and wants absolute fullUrls', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:9b7f3a64-0c9e-4bd6-9c39-2f5a8b7d1e01', resource: { resourceType: 'Patient', gender: 'x' }, request: { method: 'POST', url: 'Patient' } },
        { fullUrl: 'Patient/1', resource: { resourceType: 'Patient' }, request: { method: 'PUT', url: 'Patient/1' } },
      ],
    };
    expect(expressions(validateResource('Bundle', bundle))).toEqual(['Bundle.entry[0].resource.gender', 'Bundle.entry[1].fullUrl']);
  });

  it('names an unknown element, with FHIRPath quoting for odd names', () => {
    expect(validateResource('Patient', { resourceType: 'Patient', colour: 'blue' })).toEqual([
      { severity: 'error', code: 'structure', diagnostics: "Unknown element 'colour': R4 does not define it here", expression: ['Patient.colour'] },
    ]);
    expect(expressions(validateResource('Patient', { resourceType: 'Patient', 'my colour': 1 }))).toEqual(['Patient.`my colour`']);
  });

  it('checks R4 integers: whole, 32-bit, positive where positiveInt', () => {
    expect(validateResource('Patient', { resourceType: 'Patient', multipleBirthInteger: 2 })).toEqual([]);
    expect(validateResource('Patient', { resourceType: 'Patient', multipleBirthInteger: 1.5 })).not.toEqual([]);
    expect(validateResource('Patient', { resourceType: 'Patient', multipleBirthInteger: 2 ** 31 })).not.toEqual([]);
    const extension = (value: unknown) => ({ resourceType: 'Patient', extension: [{ url: 'urn:x', valuePositiveInt: value }] });
    expect(validateResource('Patient', extension(1))).toEqual([]);
    expect(expressions(validateResource('Patient', extension(0)))).toEqual(['Patient.extension[0].valuePositiveInt']);
  });

  it('enforces required bindings only: Expression.language is extensible, Patient.gender required', () => {
    const measure = { resourceType: 'Measure', status: 'draft', group: [{ population: [{ criteria: { language: 'text/plain', expression: 'x' } }] }] };
    expect(validateResource('Measure', measure)).toEqual([]);
    expect(validateResource('Patient', { resourceType: 'Patient', gender: 'F' })).toEqual([
      { severity: 'error', code: 'value', diagnostics: 'Not a code R4 allows here (one of male, female, other, unknown)', expression: ['Patient.gender'] },
    ]);
  });

  it('accepts 4.0.1 as an R4 fhirVersion (the official schema stops at 4.0.0)', () => {
    const capability = { resourceType: 'CapabilityStatement', status: 'active', date: '2024-01-01', kind: 'instance', fhirVersion: '4.0.1', format: ['json'] };
    expect(validateResource('CapabilityStatement', capability)).toEqual([]);
  });

  it('refuses an unknown resource type, or a body of another type, with an issue rather than a throw', () => {
    expect(validateResource('Patientt', { resourceType: 'Patientt' })).toEqual([
      { severity: 'error', code: 'structure', diagnostics: "Unknown resource type 'Patientt': not an R4 resource", expression: ['resourceType'] },
    ]);
    expect(validateResource('Resource', { resourceType: 'Resource' })).toHaveLength(1);
    expect(validateResource('Patient', { resourceType: 'Observation' })).toEqual([
      { severity: 'error', code: 'value', diagnostics: "resourceType must be 'Patient'", expression: ['Patient.resourceType'] },
    ]);
    expect(validateResource('Patient', {})[0]?.code).toBe('required');
    expect(validateResource('Patient', [])[0]?.expression).toEqual(['Patient']);
  });

  it('reports at most maxIssues issues for a hostile body', () => {
    const hostile = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`unknown${i}`, i]));
    const issues = validateResource('Patient', { resourceType: 'Patient', ...hostile });
    expect(issues).toHaveLength(maxIssues);
    expect(issues.at(-1)?.diagnostics).toBe(`${500 - maxIssues + 1} more problems not listed`);
  });

  it('never throws, whatever it is given, for any resource type', () => {
    const type = fc.constantFrom(...resourceTypes);
    fc.assert(
      fc.property(type, fc.dictionary(fc.string(), fc.jsonValue()), (resourceType, body) => {
        expect(Array.isArray(validateResource(resourceType, { ...body, resourceType }))).toBe(true);
      }),
      { numRuns: 500 },
    );
    fc.assert(fc.property(fc.string(), fc.anything(), (resourceType, value) => Array.isArray(validateResource(resourceType, value))));

    const cyclic: Record<string, unknown> = { resourceType: 'Patient' };
    cyclic.contained = [cyclic];
    let deep: Record<string, unknown> = { url: 'urn:x' };
    for (let i = 0; i < 100_000; i++) deep = { url: 'urn:x', extension: [deep] };
    const getter = { resourceType: 'Patient', get name(): never { throw new Error('boom'); } };
    for (const hostile of [cyclic, { resourceType: 'Patient', extension: [deep] }, getter, new Proxy({}, { get: () => { throw new Error('boom'); } })]) {
      const issues = validateResource('Patient', hostile);
      expect(issues.length).toBeGreaterThan(0);
      expect(issues.every((issue) => issue.severity === 'error')).toBe(true);
    }
    expect(() => validateResource(undefined as unknown as string, undefined)).not.toThrow();
  });
});

describe('FHIRPath expressions of JSON pointers', () => {
  it('turns indexes into [n], names into .name, and `_x` into x', () => {
    expect(fhirPath('Patient', '')).toBe('Patient');
    expect(fhirPath('Patient', '/name/0/family')).toBe('Patient.name[0].family');
    expect(fhirPath('Patient', '/name/0/_given/1/extension/0/url')).toBe('Patient.name[0].given[1].extension[0].url');
    expect(fhirPath('Bundle', '/entry/3/resource/contained/0/id')).toBe('Bundle.entry[3].resource.contained[0].id');
    expect(fhirPath('Patient', '/a~1b/c~0d')).toBe('Patient.`a/b`.`c~d`');
  });
});

describe('primitive checks', () => {
  const valid = (check: primitives.PrimitiveCheck, values: string[]) => values.forEach((value) => expect(check(value), value).toBeUndefined());
  const invalid = (check: primitives.PrimitiveCheck, values: string[]) => values.forEach((value) => expect(check(value), value).toEqual(expect.any(String)));

  it('date: real calendar dates only', () => {
    valid(primitives.date, ['2021', '2021-02', '2021-02-28', '2020-02-29', '2000-02-29', '0001-01-01', '2021-12-31']);
    invalid(primitives.date, ['2021-02-30', '2021-02-29', '1900-02-29', '2021-04-31', '2021-13', '2021-00', '0000', '21-01-01', '2021-1-1', '2021-01-01T00:00:00Z', '', ' 2021']);
  });

  it('dateTime: a time needs a time zone; instant: full precision', () => {
    valid(primitives.dateTime, ['2021', '2021-02', '2021-02-28', '2021-02-28T13:45:00Z', '2021-02-28T13:45:00.123+01:00', '2016-12-31T23:59:60Z', '2021-06-01T00:00:00+14:00']);
    invalid(primitives.dateTime, ['2021-02-28T13:45:00', '2021-02-28T24:00:00Z', '2021-02-28T13:60:00Z', '2021-02-30T00:00:00Z', '2021-02-28T13:45Z', '2021-02-28T13:45:00+14:30', '2021-02-28T13:45:00+15:00', '2021-02-28 13:45:00Z']);
    valid(primitives.instant, ['2021-02-28T13:45:00Z', '2021-02-28T13:45:00.5-05:00']);
    invalid(primitives.instant, ['2021-02-28', '2021-02-28T13:45:00', '2021']);
  });

  it('time: hh:mm:ss without zone', () => {
    valid(primitives.time, ['00:00:00', '23:59:59', '12:30:00.250']);
    invalid(primitives.time, ['24:00:00', '12:60:00', '12:30', '12:30:00Z']);
  });

  it('string and markdown: no control characters; no-break spaces are text', () => {
    valid(primitives.string, ['Zoé', 'Rendez-vous\u00a0: 10\u202fh', 'tab\tand\r\nlines', ' ']);
    invalid(primitives.string, ['', 'bell\u0007', 'nul\u0000', 'x'.repeat(primitives.maxStringLength + 1)]);
  });

  it('code: single inner spaces only', () => {
    valid(primitives.code, ['final', 'entered-in-error', 'a b c', 'mm[Hg]']);
    invalid(primitives.code, ['', ' final', 'final ', 'a  b', 'a\tb', 'a\nb']);
  });

  it('id: 1 to 64 of [A-Za-z0-9-.]', () => {
    valid(primitives.id, ['a', 'example-1.2', 'A'.repeat(64)]);
    invalid(primitives.id, ['', 'A'.repeat(65), 'bad_id', 'bad id', '/foobar==']);
  });

  it('uri, url, canonical: no whitespace; relative allowed; urn:uuid must hold a UUID', () => {
    valid(primitives.uri, [
      'http://example.org/a?b=c', 'Binary/f006', 'urn:uuid:9b7f3a64-0c9e-4bd6-9c39-2f5a8b7d1e01', 'urn:uuid:68D043B5-9ECF-4559-A57A-396E0D452311',
      'urn:uuid:9b7f3a64-0c9e-4bd6-9c39-2f5a8b7d1e01#AllergyIntolerance-1', 'urn:oid:1.2.3', 'urn:oid:X.Y.Z', '#contained',
    ]);
    invalid(primitives.uri, ['', 'not a url', 'http://a\u00a0b', 'urn:uuid:f3b2bd36-199b-4591-b4db-f49db0912b6', 'urn:uuid:9b7f3a64-0c9e-4bd6-9c39-2f5a8b7d1e012', 'urn:uuid:not-a-uuid']);
    valid(primitives.absoluteUri, ['urn:uuid:9b7f3a64-0c9e-4bd6-9c39-2f5a8b7d1e01', 'http://example.org/fhir/Patient/1']);
    invalid(primitives.absoluteUri, ['Patient/1', '/Patient/1']);
  });

  it('uuid and oid types: strict forms', () => {
    valid(primitives.uuid, ['urn:uuid:9b7f3a64-0c9e-4bd6-9c39-2f5a8b7d1e01']);
    invalid(primitives.uuid, ['urn:uuid:9B7F3A64-0C9E-4BD6-9C39-2F5A8B7D1E01', '9b7f3a64-0c9e-4bd6-9c39-2f5a8b7d1e01']);
    valid(primitives.oid, ['urn:oid:1.2.3', 'urn:oid:2.16.840.1.113883.4.642']);
    invalid(primitives.oid, ['urn:oid:X.Y.Z', 'urn:oid:1', 'urn:oid:1.02', 'urn:oid:3.1']);
  });

  it('base64Binary: alphabet, length, padding, whitespace', () => {
    valid(primitives.base64Binary, ['SGVsbG8=', 'SGVs bG8h', 'SGVsbG8h\r\nSGVsbG8h', 'SA==']);
    invalid(primitives.base64Binary, ['', 'SGVsbG8', 'SGVsbG8.', 'SA=A', 'S===', '%%%2@()()', 'SGVs-G8h']);
  });

  it('xhtml: a div in the XHTML namespace, XML entities only', () => {
    const div = (body: string) => `<div xmlns="http://www.w3.org/1999/xhtml">${body}</div>`;
    valid(primitives.xhtml, [div('<p>Tension&#160;: 12&amp;8</p>'), div('&lt;&gt;&quot;&apos;&#x263A;'), '<div xmlns="http://www.w3.org/1999/xhtml"/>', `  ${div('x')}\n`]);
    invalid(primitives.xhtml, ['<p>x</p>', '<div>x</div>', div('CPT&reg;'), div('a & b'), '<div xmlns="http://www.w3.org/1999/xhtml">x</p>', '']);
  });
});

/**
 * Regular-expression denial of service: 200 KB hostile strings in every primitive type, inside a
 * valid resource. Each must be judged in under 100 ms (best of 3 runs, to ride out machine noise).
 */
describe('no regular-expression denial of service', () => {
  const size = 200 * 1024;
  const fill = (unit: string, tail = '') => unit.repeat(Math.ceil((size - tail.length) / unit.length)).slice(0, size - tail.length) + tail;
  const hostile = [
    fill('A', '%'), fill('a', '!'), fill('1', 'x'), fill(' ', 'x'), fill('\t'), fill(' A', '!'), fill('AAAA ', '%'), fill('='), fill('A=', '!'),
    fill('\u00a0'), fill('a '), fill('a  '), fill('2021-'), `2021-01-01T00:00:00.${fill('1', 'x')}`, `2021-01-01T00:00:00.${fill('1')}`,
    `urn:uuid:${fill('0')}`, `urn:oid:1${fill('.1', '.')}`, `urn:oid:1.${fill('0')}`, fill('&#'), fill('&amp'),
    `<div xmlns="http://www.w3.org/1999/xhtml">${fill('&#1')}</div>`, `<div${fill(' xmlns=', '>')}`, `<div xmlns="http://www.w3.org/1999/xhtml">${fill('<p>')}`,
    `http://${fill('a', ' ')}`, fill('a\u0001'),
  ];
  const places: Record<string, (value: string) => [string, Record<string, unknown>]> = {
    base64Binary: (v) => ['Patient', { resourceType: 'Patient', photo: [{ contentType: 'image/png', data: v }] }],
    date: (v) => ['Patient', { resourceType: 'Patient', birthDate: v }],
    dateTime: (v) => ['Patient', { resourceType: 'Patient', deceasedDateTime: v }],
    instant: (v) => ['Patient', { resourceType: 'Patient', meta: { lastUpdated: v } }],
    time: (v) => ['Observation', { ...observation, valueTime: v }],
    uri: (v) => ['Patient', { resourceType: 'Patient', implicitRules: v }],
    url: (v) => ['Patient', { resourceType: 'Patient', photo: [{ url: v }] }],
    canonical: (v) => ['Patient', { resourceType: 'Patient', meta: { profile: [v] } }],
    'Bundle.entry.fullUrl': (v) => ['Bundle', { resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: v, resource: { resourceType: 'Patient' } }] }],
    id: (v) => ['Patient', { resourceType: 'Patient', id: v }],
    oid: (v) => ['Patient', { resourceType: 'Patient', extension: [{ url: 'urn:x', valueOid: v }] }],
    uuid: (v) => ['Patient', { resourceType: 'Patient', extension: [{ url: 'urn:x', valueUuid: v }] }],
    code: (v) => ['Patient', { resourceType: 'Patient', language: v }],
    'code (required binding)': (v) => ['Patient', { resourceType: 'Patient', gender: v }],
    'decimal as string': (v) => ['Observation', { ...observation, valueQuantity: { value: v } }],
    'integer as string': (v) => ['Patient', { resourceType: 'Patient', multipleBirthInteger: v }],
    'boolean as string': (v) => ['Patient', { resourceType: 'Patient', active: v }],
    string: (v) => ['Patient', { resourceType: 'Patient', name: [{ family: v }] }],
    'string in an array': (v) => ['Patient', { resourceType: 'Patient', name: [{ given: ['Zoé', v] }] }],
    markdown: (v) => ['Patient', { resourceType: 'Patient', extension: [{ url: 'urn:x', valueMarkdown: v }] }],
    'xhtml div': (v) => ['Patient', { resourceType: 'Patient', text: { status: 'generated', div: v } }],
    'element name': (v) => ['Patient', { resourceType: 'Patient', [v]: 1 }],
    'contained resourceType': (v) => ['Patient', { resourceType: 'Patient', contained: [{ resourceType: v }] }],
  };

  for (const [place, build] of Object.entries(places)) {
    it(`judges 200 KB hostile strings in ${place} in under 100 ms each`, () => {
      for (const [index, value] of hostile.entries()) {
        const [type, resource] = build(value);
        let best = Infinity;
        let issues: OutcomeIssue[] = [];
        for (let run = 0; run < 3; run++) {
          const started = performance.now();
          issues = validateResource(type, resource);
          best = Math.min(best, performance.now() - started);
        }
        expect(Array.isArray(issues), `${place} #${index}`).toBe(true);
        expect(best, `${place} #${index}`).toBeLessThan(100);
      }
    });
  }

  it('judges a 200 KB hostile resource type in under 100 ms', () => {
    const started = performance.now();
    expect(validateResource(fill('Patient'), { resourceType: fill('Patient') })).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(100);
  });
});
