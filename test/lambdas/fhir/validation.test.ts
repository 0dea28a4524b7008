import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateResource } from '../../../lambdas/fhir/validation';
import { RecordInteractions } from '../../../lambdas/record/interactions';
import { InMemoryJournal, InMemoryStore } from '../../support/in-memory-ports';
import { contextFor } from '../../support/principals';
import { hasSharedData, hl7Examples, syntheaResources, validatorCases } from '../../support/shared-data';

describe('validateResource (Patient)', () => {
  it('accepts a plain valid Patient, French text included', () => {
    expect(validateResource('Patient', { resourceType: 'Patient', name: [{ family: 'Bélanger', given: ['Zoé'] }], gender: 'female', birthDate: '2001-02-28' })).toEqual([]);
  });

  it('names each offending element with a FHIRPath expression', () => {
    const issues = validateResource('Patient', { resourceType: 'Patient', name: [{ family: 7 }], active: 'yes' });
    expect(issues.map((issue) => issue.expression?.[0]).sort()).toEqual(['Patient.active', 'Patient.name[0].family']);
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

describe.skipIf(!hasSharedData)('on HL7 and validator data from ../shared/data', () => {
  it('accepts every HL7 R4 Patient example and stores it unchanged apart from id and meta', async () => {
    const examples = hl7Examples('Patient');
    expect(examples.length).toBeGreaterThan(20);
    for (const { file, resource } of examples) {
      expect(validateResource('Patient', resource), file).toEqual([]);
      const journal = new InMemoryJournal();
      const record = new RecordInteractions({ store: new InMemoryStore(journal), journal, validate: validateResource, newId: () => 'server-id' });
      const created = await record.create(contextFor('physician'), 'Patient', () => structuredClone(resource));
      const { id: _id, meta: _meta, ...content } = await record.read(contextFor('physician'), 'Patient', created.id);
      const { id: _originalId, meta: _originalMeta, ...original } = resource;
      expect(content, file).toEqual(original);
    }
  });

  it('accepts every Synthea patient', () => {
    const patients = syntheaResources('Patient');
    expect(patients.length).toBeGreaterThan(0);
    for (const { file, resource } of patients) expect(validateResource('Patient', resource), file).toEqual([]);
  });

  it('agrees with the reference validator on the valid and structure-tier Patient cases', () => {
    const cases = validatorCases('Patient').filter((entry) => entry.tier === 'structure' || entry.expected_valid);
    expect(cases.length).toBeGreaterThan(5);
    for (const entry of cases) {
      const valid = validateResource('Patient', entry.resource).length === 0;
      expect(valid, entry.name).toBe(entry.expected_valid);
    }
  });
});
