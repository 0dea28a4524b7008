import { describe, expect, it } from 'vitest';
import { patientCompartmentParams, resourceTypes, searchParameter } from '../../../lambdas/fhir/registry/registry';
import { searchExpression } from '../../../lambdas/fhir/registry/search-expressions';
import { compartmentSearchParams, compartmentsOf, identifiersOf } from '../../../lambdas/record/index-facts';

describe('the read-your-writes index facts', () => {
  it('puts a resource in the compartment of each patient its compartment parameters reference, and a Patient in its own', () => {
    expect(compartmentsOf('Observation', 'o1', { subject: ['Patient/a'], performer: ['Practitioner/x', 'Patient/b'], encounter: ['Encounter/e'] })).toEqual(['Patient/a', 'Patient/b']);
    expect(compartmentsOf('Patient', 'p1', { link: ['Patient/p2'] })).toEqual(['Patient/p1', 'Patient/p2']);
    expect(compartmentsOf('Observation', 'o2', { subject: ['Group/g', 'urn:uuid:1234', 'http://other.example.org/Patient/a'] })).toEqual([]);
  });

  it('keeps only identifiers with both a system and a value', () => {
    expect(identifiersOf({ identifier: [{ system: 'urn:s', code: '1' }, { code: '2' }, { system: 'urn:s' }] })).toEqual(['urn:s|1']);
  });

  it('answers `patient` from the compartment only where every R4 `patient` parameter selects within a compartment parameter', () => {
    for (const type of resourceTypes) {
      const params = compartmentSearchParams(type);
      if (!params.includes('patient') || patientCompartmentParams(type).includes('patient')) continue;
      const patient = searchExpression(type, 'patient') ?? '';
      const covered = patientCompartmentParams(type).some((param) => {
        const path = (searchExpression(type, param) ?? '').split('.where(')[0] ?? '';
        return path !== '' && patient.split('.where(')[0]?.startsWith(path);
      });
      expect(covered, `${type}.patient = ${patient}`).toBe(true);
    }
    expect(compartmentSearchParams('Observation')).toEqual(['subject', 'performer', 'patient']);
    // Device.patient is not in the (empty) Device compartment: it cannot be answered from it.
    expect(searchParameter('Device', 'patient')).toBeDefined();
    expect(compartmentSearchParams('Device')).toEqual([]);
  });
});
