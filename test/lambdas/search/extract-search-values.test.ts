import { describe, expect, it } from 'vitest';
import { searchParametersOf, type ResourceType } from '../../../lambdas/fhir/registry/registry';
import { dateRangeOf } from '../../../lambdas/search/extract/date-range';
import { extractSearchValues, type ExtractOptions } from '../../../lambdas/search/extract-search-values';
import { allHl7Examples, hasSharedData, syntheaBundles } from '../../support/shared-data';

/** Extraction that records every failure instead of skipping silently. */
function extractStrictly(resource: Record<string, unknown>, options: ExtractOptions = {}) {
  const errors: string[] = [];
  const unsupported: string[] = [];
  const values = extractSearchValues(resource, {
    ...options,
    onError: (code, error) => errors.push(`${String(resource.resourceType)}.${code}: ${String(error)}`),
    onUnsupported: (code, fhirType) => unsupported.push(`${String(resource.resourceType)}.${code}: ${fhirType}`),
  });
  return { values, errors, unsupported };
}

const patient = {
  resourceType: 'Patient',
  id: 'pat-1',
  meta: { versionId: '3', lastUpdated: '2024-05-06T07:08:09.123Z', tag: [{ system: 'urn:tags', code: 'demo', display: 'Demo' }], security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }], profile: ['http://example.org/StructureDefinition/my-patient'], source: 'urn:source:ehr' },
  identifier: [{ use: 'official', type: { text: 'RAMQ' }, system: 'https://ramq.gouv.qc.ca', value: 'TREM12345678' }],
  active: true,
  name: [{ use: 'official', family: 'Tremblay', given: ['Marie', 'Ève'], prefix: ['Mme'], text: 'Marie Ève Tremblay' }],
  telecom: [{ system: 'phone', value: '514-555-0100', use: 'home' }, { system: 'email', value: 'marie@example.org' }],
  gender: 'female',
  birthDate: '1980-02',
  address: [{ line: ['123 rue Principale', 'app. 4'], city: 'Montréal', state: 'QC', postalCode: 'H2X 1Y4', country: 'CA' }],
  generalPractitioner: [{ reference: 'Practitioner/dr-1' }],
  managingOrganization: { reference: 'https://other.example.org/fhir/Organization/org-9' },
};

const observation = {
  resourceType: 'Observation',
  id: 'obs-1',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }], text: 'Weight' },
  subject: { reference: 'Patient/pat-1/_history/2' },
  encounter: { reference: 'Encounter/enc-1' },
  effectiveDateTime: '2024-03-01T10:30:00-05:00',
  performer: [{ reference: 'Practitioner/dr-1' }, { reference: '#contained-performer' }],
  valueQuantity: { value: 72.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
};

describe('extractSearchValues: Patient', () => {
  const { values, errors, unsupported } = extractStrictly(patient);

  it('extracts names as their parts, as written', () => {
    expect(values.family).toEqual(['Tremblay']);
    expect(values.given).toEqual(['Marie', 'Ève']);
    expect(values.name).toEqual(['Tremblay', 'Marie', 'Ève', 'Mme', 'Marie Ève Tremblay']);
  });

  it('extracts birthdate as the implicit range of its precision', () => {
    expect(values.birthdate).toEqual([{ start: '1980-02-01T00:00:00.000Z', end: '1980-02-29T23:59:59.999Z' }]);
  });

  it('extracts gender, active and identifier as tokens', () => {
    expect(values.gender).toEqual([{ code: 'female' }]);
    expect(values.active).toEqual([{ code: 'true' }]);
    expect(values.identifier).toEqual([{ system: 'https://ramq.gouv.qc.ca', code: 'TREM12345678', text: 'RAMQ' }]);
  });

  it('extracts telecom as ContactPoint tokens (code = value, system = use)', () => {
    expect(values.telecom).toEqual([{ system: 'home', code: '514-555-0100' }, { code: 'marie@example.org' }]);
    expect(values.phone).toEqual([{ system: 'home', code: '514-555-0100' }]);
    expect(values.email).toEqual([{ code: 'marie@example.org' }]);
  });

  it('extracts address parts', () => {
    expect(values['address-city']).toEqual(['Montréal']);
    expect(values['address-postalcode']).toEqual(['H2X 1Y4']);
    expect(values.address).toEqual(['123 rue Principale', 'app. 4', 'Montréal', 'QC', 'H2X 1Y4', 'CA']);
  });

  it('extracts references: relative as Type/id, absolute as written', () => {
    expect(values['general-practitioner']).toEqual(['Practitioner/dr-1']);
    expect(values.organization).toEqual(['https://other.example.org/fhir/Organization/org-9']);
  });

  it('extracts the Resource-level parameters from id and meta', () => {
    expect(values._id).toEqual([{ code: 'pat-1' }]);
    expect(values._lastUpdated).toEqual([{ start: '2024-05-06T07:08:09.123Z', end: '2024-05-06T07:08:09.123Z' }]);
    expect(values._tag).toEqual([{ system: 'urn:tags', code: 'demo', text: 'Demo' }]);
    expect(values._security).toEqual([{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }]);
    expect(values._profile).toEqual(['http://example.org/StructureDefinition/my-patient']);
    expect(values._source).toEqual(['urn:source:ehr']);
  });

  it('leaves out parameters without values, and never fails', () => {
    expect(values).not.toHaveProperty('death-date');
    expect(values).not.toHaveProperty('link');
    expect(values).not.toHaveProperty('_text');
    expect(errors).toEqual([]);
    expect(unsupported).toEqual([]);
  });
});

describe('extractSearchValues: Observation', () => {
  const { values, errors, unsupported } = extractStrictly(observation);

  it('extracts code and category as tokens, with display and text for :text', () => {
    expect(values.code).toEqual([{ system: 'http://loinc.org', code: '29463-7', text: 'Body weight' }, { text: 'Weight' }]);
    expect(values.category).toEqual([{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', text: 'Vital Signs' }]);
  });

  it('extracts subject and patient without the _history part', () => {
    expect(values.subject).toEqual(['Patient/pat-1']);
    expect(values.patient).toEqual(['Patient/pat-1']);
    expect(values.encounter).toEqual(['Encounter/enc-1']);
  });

  it('skips contained (#) references', () => {
    expect(values.performer).toEqual(['Practitioner/dr-1']);
  });

  it('extracts effectiveDateTime as the second it names, in UTC', () => {
    expect(values.date).toEqual([{ start: '2024-03-01T15:30:00.000Z', end: '2024-03-01T15:30:00.999Z' }]);
  });

  it('extracts value-quantity', () => {
    expect(values['value-quantity']).toEqual([{ value: 72.5, system: 'http://unitsofmeasure.org', code: 'kg', unit: 'kg' }]);
    expect(errors).toEqual([]);
    expect(unsupported).toEqual([]);
  });

  it('extracts effectivePeriod as a range, open on a missing end', () => {
    const { values: closed } = extractStrictly({ ...observation, effectiveDateTime: undefined, effectivePeriod: { start: '2024-03-01', end: '2024-03-02T08:00:00Z' } });
    expect(closed.date).toEqual([{ start: '2024-03-01T00:00:00.000Z', end: '2024-03-02T08:00:00.999Z' }]);
    const { values: open } = extractStrictly({ ...observation, effectiveDateTime: undefined, effectivePeriod: { start: '2024-03-01T09:00:00Z' } });
    expect(open.date).toEqual([{ start: '2024-03-01T09:00:00.000Z', end: '9999-12-31T23:59:59.999Z' }]);
  });

  it('extracts Quantities with a comparator, which fhirpath.js cannot put in a union', () => {
    const lessThan = { value: 5, comparator: '<', unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' };
    const { values: extracted, errors: failed } = extractStrictly({
      ...observation,
      valueQuantity: lessThan,
      component: [{ code: { text: 'other' }, valueQuantity: lessThan }, { code: { text: 'more' }, valueQuantity: { value: 9, comparator: '>=', system: 'http://unitsofmeasure.org', code: 'mmol/L' } }],
    });
    expect(failed).toEqual([]);
    const expected = { value: 5, system: 'http://unitsofmeasure.org', code: 'mmol/L', unit: 'mmol/L', comparator: '<' };
    expect(extracted['value-quantity']).toEqual([expected]);
    expect(extracted['combo-value-quantity']).toEqual([expected, { value: 9, system: 'http://unitsofmeasure.org', code: 'mmol/L', comparator: '>=' }]);
  });

  it('keeps patient empty when the subject is not a Patient', () => {
    const { values: group } = extractStrictly({ ...observation, subject: { reference: 'Group/g-1' } });
    expect(group.subject).toEqual(['Group/g-1']);
    expect(group).not.toHaveProperty('patient');
  });
});

describe('extractSearchValues: other types', () => {
  it('extracts an Encounter period as its date', () => {
    const { values, errors } = extractStrictly({
      resourceType: 'Encounter',
      id: 'enc-1',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: 'Patient/pat-1' },
      period: { start: '2024-03-01T10:00:00-05:00', end: '2024-03-01T11:15:00-05:00' },
    });
    expect(errors).toEqual([]);
    expect(values.date).toEqual([{ start: '2024-03-01T15:00:00.000Z', end: '2024-03-01T16:15:00.999Z' }]);
    expect(values.class).toEqual([{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }]);
    expect(values.patient).toEqual(['Patient/pat-1']);
  });

  it('extracts a MedicationRequest with a coded medication and one with a referenced one', () => {
    const request = {
      resourceType: 'MedicationRequest',
      id: 'mr-1',
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '197361', display: 'Amlodipine 5 MG' }] },
      subject: { reference: 'Patient/pat-1' },
      authoredOn: '2024-03-01',
      requester: { reference: 'Practitioner/dr-1' },
    };
    const coded = extractStrictly(request);
    expect(coded.errors).toEqual([]);
    expect(coded.values.code).toEqual([{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '197361', text: 'Amlodipine 5 MG' }]);
    expect(coded.values.authoredon).toEqual([{ start: '2024-03-01T00:00:00.000Z', end: '2024-03-01T23:59:59.999Z' }]);
    expect(coded.values.patient).toEqual(['Patient/pat-1']);
    expect(coded.values.requester).toEqual(['Practitioner/dr-1']);
    expect(coded.values.intent).toEqual([{ code: 'order' }]);
    expect(coded.values).not.toHaveProperty('medication');

    const referenced = extractStrictly({ ...request, medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/med-1' } });
    expect(referenced.values.medication).toEqual(['Medication/med-1']);
    expect(referenced.values).not.toHaveProperty('code');
  });

  it('extracts Money as a quantity whose code is the currency', () => {
    const { values } = extractStrictly({ resourceType: 'ChargeItem', id: 'ci', status: 'billable', code: { text: 'x' }, subject: { reference: 'Patient/p' }, priceOverride: { value: 40, currency: 'CAD' } });
    expect(values['price-override']).toEqual([{ value: 40, code: 'CAD' }]);
  });

  it('resolves urn:uuid references through the caller, and keeps them as written', () => {
    const resource = { ...observation, subject: { reference: 'urn:uuid:1b9e7c6a-0000-4000-8000-000000000001' } };
    expect(extractStrictly(resource).values).not.toHaveProperty('patient');
    const { values } = extractStrictly(resource, { referenceType: (reference) => (reference.endsWith('0001') ? 'Patient' : undefined) });
    expect(values.patient).toEqual(['urn:uuid:1b9e7c6a-0000-4000-8000-000000000001']);
  });

  it('returns nothing for an unknown type', () => {
    expect(extractSearchValues({ resourceType: 'NotAType', id: 'x' })).toEqual({});
    expect(extractSearchValues({ id: 'x' })).toEqual({});
  });
});

describe('dateRangeOf: FHIR implicit ranges', () => {
  it.each([
    ['2020', '2020-01-01T00:00:00.000Z', '2020-12-31T23:59:59.999Z'],
    ['2020-03', '2020-03-01T00:00:00.000Z', '2020-03-31T23:59:59.999Z'],
    ['2020-12', '2020-12-01T00:00:00.000Z', '2020-12-31T23:59:59.999Z'],
    ['2020-03-04', '2020-03-04T00:00:00.000Z', '2020-03-04T23:59:59.999Z'],
    ['2020-03-04T10:30Z', '2020-03-04T10:30:00.000Z', '2020-03-04T10:30:59.999Z'],
    ['2020-03-04T10:30:15+02:00', '2020-03-04T08:30:15.000Z', '2020-03-04T08:30:15.999Z'],
    ['2020-03-04T23:30:15-05:00', '2020-03-05T04:30:15.000Z', '2020-03-05T04:30:15.999Z'],
    ['2020-03-04T10:30:15.5Z', '2020-03-04T10:30:15.500Z', '2020-03-04T10:30:15.599Z'],
    ['2020-03-04T10:30:15.123456Z', '2020-03-04T10:30:15.123Z', '2020-03-04T10:30:15.123Z'],
    ['2020-03-04T10:30:15', '2020-03-04T10:30:15.000Z', '2020-03-04T10:30:15.999Z'], // no time zone: taken as UTC
    ['0050-06-01', '0050-06-01T00:00:00.000Z', '0050-06-01T23:59:59.999Z'],
  ])('%s is [%s, %s]', (text, start, end) => {
    expect(dateRangeOf(text)).toEqual({ start, end });
  });

  it('rejects text that is not a FHIR date', () => {
    for (const text of ['', 'yesterday', '2020-13', '2021-02-29', '2020-03-04T25:00:00Z', '20200304']) expect(dateRangeOf(text), text).toBeUndefined();
  });
});

/** Types a record system must serve well; each has real data below. */
const firstClassTypes: readonly ResourceType[] = [
  'Patient', 'Practitioner', 'PractitionerRole', 'Organization', 'Location', 'RelatedPerson',
  'Encounter', 'EpisodeOfCare', 'Condition', 'Observation', 'DiagnosticReport', 'Procedure',
  'AllergyIntolerance', 'Immunization', 'MedicationRequest', 'MedicationStatement', 'MedicationAdministration', 'MedicationDispense',
  'Medication', 'CarePlan', 'Goal', 'ServiceRequest', 'DocumentReference', 'Consent',
];

/**
 * FHIR types that some official expressions reach but that their parameter type cannot hold: a
 * Range for a quantity or number, SampledData (not searchable), a free-text schedule or occurrence
 * (`…String`) for a date, an Attachment for Consent's source-reference.
 */
const knownUnsupported = /: (Range|SampledData|string|Attachment)$/;

describe.skipIf(!hasSharedData)('extractSearchValues on real data', () => {
  it('extracts every HL7 example with no parameter failing', () => {
    const examples = allHl7Examples();
    expect(examples.length).toBeGreaterThan(700);
    const errors: string[] = [];
    const unsupported = new Set<string>();
    for (const { file, resource } of examples) {
      const result = extractStrictly(resource);
      errors.push(...result.errors.map((error) => `${file}: ${error}`));
      for (const entry of result.unsupported) unsupported.add(entry);
    }
    expect(errors).toEqual([]);
    expect([...unsupported].filter((entry) => !knownUnsupported.test(entry))).toEqual([]);
    const covered = new Set(examples.map(({ resource }) => resource.resourceType));
    expect(firstClassTypes.filter((type) => !covered.has(type))).toEqual([]);
  });

  it('extracts every Synthea resource with no parameter failing, patient and subject included', () => {
    const bundles = syntheaBundles();
    expect(bundles).toHaveLength(5);
    const errors: string[] = [];
    const unsupported = new Set<string>();
    let observations = 0;
    let resources = 0;
    let elapsed = 0;
    for (const { entries } of bundles) {
      // Before loading, references are the bundle's urn:uuid fullUrls; the entries say what type each names.
      const typeOf = new Map(entries.flatMap(({ fullUrl, resource }) => (fullUrl ? [[fullUrl, String(resource.resourceType)] as const] : [])));
      const patientUrl = entries.find(({ resource }) => resource.resourceType === 'Patient')?.fullUrl;
      expect(patientUrl).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      for (const { resource } of entries) {
        const started = performance.now();
        const result = extractStrictly(resource, { referenceType: (reference) => typeOf.get(reference) });
        elapsed += performance.now() - started;
        resources++;
        errors.push(...result.errors);
        for (const entry of result.unsupported) unsupported.add(entry);
        if (resource.resourceType === 'Observation') {
          observations++;
          expect(result.values.subject).toEqual([patientUrl]);
          expect(result.values.patient).toEqual([patientUrl]);
        }
      }
    }
    expect(errors).toEqual([]);
    expect([...unsupported].filter((entry) => !knownUnsupported.test(entry))).toEqual([]);
    expect(observations).toBeGreaterThan(500);
    console.log(`search value extraction: ${(elapsed / resources).toFixed(3)} ms per resource over ${resources} Synthea resources (first pass, compiling included)`);
  });

  it('keeps urn:uuid references as written, and leaves patient empty when nothing says the target is a Patient', () => {
    const { entries } = syntheaBundles()[0]!;
    const observation = entries.find(({ resource }) => resource.resourceType === 'Observation')!.resource;
    const { values, errors } = extractStrictly(observation);
    expect(errors).toEqual([]);
    expect(values.subject).toEqual([expect.stringMatching(/^urn:uuid:[0-9a-f-]{36}$/)]);
    expect(values).not.toHaveProperty('patient');
  });
});

describe('first-class types', () => {
  it('each has extractable parameters', () => {
    for (const type of firstClassTypes) {
      const extractable = searchParametersOf(type).filter((info) => info.extracted === undefined);
      expect(extractable.length, type).toBeGreaterThan(5);
    }
  });
});
