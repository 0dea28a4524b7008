import { describe, expect, it } from 'vitest';
import { compartmentSearchParams, patientCompartmentParams, resourceTypes, searchParameter } from '../../../lambdas/fhir/registry/registry';
import { compartmentsOf, identifiersOf } from '../../../lambdas/record/index-facts';

describe('the read-your-writes index facts', () => {
  it('puts a resource in the compartment of each patient its compartment parameters reference, and a Patient in its own', () => {
    expect(compartmentsOf('Observation', 'o1', { subject: ['Patient/a'], performer: ['Practitioner/x', 'Patient/b'], encounter: ['Encounter/e'] })).toEqual(['Patient/a', 'Patient/b']);
    expect(compartmentsOf('Patient', 'p1', { link: ['Patient/p2'] })).toEqual(['Patient/p1', 'Patient/p2']);
    expect(compartmentsOf('Observation', 'o2', { subject: ['Group/g', 'urn:uuid:1234', 'http://other.example.org/Patient/a'] })).toEqual([]);
  });

  it('keeps only identifiers with both a system and a value', () => {
    expect(identifiersOf({ identifier: [{ system: 'urn:s', code: '1' }, { code: '2' }, { system: 'urn:s' }] })).toEqual(['urn:s|1']);
  });

  it('answers from the compartment the parameters reading what a compartment parameter reads, and only those', () => {
    expect(compartmentSearchParams('Observation')).toEqual(['patient', 'performer', 'subject']);
    expect(compartmentSearchParams('Condition')).toEqual(['asserter', 'patient', 'subject']);
    // Observation.encounter reads no element of the compartment; Device has no compartment parameters at all.
    expect(compartmentSearchParams('Observation')).not.toContain('encounter');
    expect(searchParameter('Device', 'patient')).toBeDefined();
    expect(compartmentSearchParams('Device')).toEqual([]);
    for (const type of resourceTypes) {
      for (const param of patientCompartmentParams(type)) {
        if (searchParameter(type, param)?.type === 'reference') expect(compartmentSearchParams(type), `${type}.${param}`).toContain(param);
      }
    }
  });
});
