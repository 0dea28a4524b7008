import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildRegistry, definitionsDir, type Registry } from '../../../../scripts/generate-registry';
import {
  categoryOf,
  isResourceType,
  patientCompartmentParams,
  resourceTypes,
  searchParameter,
  searchParametersOf,
} from '../../../../lambdas/fhir/registry/registry';
import { searchExpression } from '../../../../lambdas/fhir/registry/search-expressions';
import { decodeSearchParameters, encodeSearchParameters } from '../../../../lambdas/fhir/registry/search-parameter-text';

const registryDir = path.resolve(__dirname, '../../../../lambdas/fhir/registry');

describe('R4 resource types', () => {
  it('lists the 145 storable R4 types, sorted, without the abstract bases or Parameters', () => {
    expect(resourceTypes).toHaveLength(145);
    expect(resourceTypes).toEqual(expect.arrayContaining(['Patient', 'Observation', 'Claim', 'Bundle', 'Binary', 'VisionPrescription']));
    expect([...resourceTypes].sort()).toEqual([...resourceTypes]);
    for (const name of ['Resource', 'DomainResource', 'Parameters', 'SubscriptionStatus']) expect(isResourceType(name)).toBe(false);
  });

  it('recognises type names exactly', () => {
    expect(isResourceType('Patient')).toBe(true);
    expect(isResourceType('patient')).toBe(false);
    expect(isResourceType('constructor')).toBe(false);
  });
});

describe('search parameters', () => {
  it('gives each parameter its official type', () => {
    expect(searchParameter('Observation', 'code')).toEqual({ code: 'code', type: 'token' });
    expect(searchParameter('Patient', 'birthdate')?.type).toBe('date');
    expect(searchParameter('Patient', 'name')?.type).toBe('string');
    expect(searchParameter('Observation', 'value-quantity')?.type).toBe('quantity');
    expect(searchParameter('RiskAssessment', 'probability')?.type).toBe('number');
    expect(searchParameter('ValueSet', 'url')?.type).toBe('uri');
  });

  it('gives reference parameters their targets', () => {
    expect(searchParameter('Observation', 'patient')).toEqual({ code: 'patient', type: 'reference', target: ['Patient'] });
    expect(searchParameter('Observation', 'subject')?.target).toEqual(['Device', 'Group', 'Location', 'Patient']);
  });

  it('knows composite and special parameters, marked as not extracted', () => {
    expect(searchParameter('Observation', 'code-value-quantity')).toEqual({ code: 'code-value-quantity', type: 'composite', extracted: false });
    expect(searchParameter('Location', 'near')).toEqual({ code: 'near', type: 'special', extracted: false });
  });

  it('applies the Resource-level parameters to every type, and _text to DomainResources only', () => {
    for (const type of resourceTypes) {
      expect(searchParameter(type, '_id')?.type, type).toBe('token');
      expect(searchParameter(type, '_lastUpdated')?.type, type).toBe('date');
      for (const code of ['_tag', '_security']) expect(searchParameter(type, code)?.type, `${type} ${code}`).toBe('token');
      for (const code of ['_profile', '_source']) expect(searchParameter(type, code)?.type, `${type} ${code}`).toBe('uri');
    }
    expect(searchParameter('Patient', '_text')).toEqual({ code: '_text', type: 'string', extracted: false });
    expect(searchParameter('Bundle', '_text')).toBeUndefined();
  });

  it('has no parameter the type does not define', () => {
    expect(searchParameter('Patient', 'code')).toBeUndefined();
    expect(searchParameter('Patient', 'toString')).toBeUndefined();
    expect(searchParameter('DeviceDefinition', 'classification')).toBeUndefined(); // an R5 addition in Medplum's copy
  });

  it('lists every parameter of a type, with an expression for each extracted one', () => {
    const patient = searchParametersOf('Patient');
    expect(patient.map(({ code }) => code)).toEqual(expect.arrayContaining(['_id', '_lastUpdated', 'name', 'family', 'given', 'birthdate', 'gender', 'identifier', 'address-city', 'general-practitioner']));
    for (const type of resourceTypes) {
      for (const info of searchParametersOf(type)) {
        expect(searchExpression(type, info.code) !== undefined, `${type}.${info.code}`).toBe(info.extracted === undefined);
      }
    }
  });
});

describe('the compact search parameter registry', () => {
  let registry: Registry;
  beforeAll(() => {
    registry = buildRegistry();
  });

  it("decodes every type's parameters exactly as the generator builds them from the official definitions", () => {
    expect([...resourceTypes]).toEqual(registry.resourceTypes);
    let count = 0;
    for (const type of resourceTypes) {
      const built = registry.searchParameters[type]!;
      const expected = Object.keys(built)
        .sort()
        .map((code) => ({ code, ...built[code] }));
      expect(searchParametersOf(type), type).toStrictEqual(expected);
      for (const info of expected) expect(searchParameter(type, info.code), `${type}.${info.code}`).toStrictEqual(info);
      count += expected.length;
    }
    expect(count).toBe(3002);
  });

  it('decodes the Patient compartment and the categories exactly as built', () => {
    for (const type of resourceTypes) {
      expect(patientCompartmentParams(type), type).toEqual(registry.patientCompartment[type] ?? []);
      expect(categoryOf(type), type).toBe(registry.categories[type]);
    }
  });

  it('has each official R4 parameter on each storable type it applies to, with its type and targets, and no other', () => {
    interface Official {
      code: string;
      type: string;
      version?: string;
      base: string[];
      target?: string[];
    }
    // Read straight from the official definitions, independently of the generator.
    const bundle = JSON.parse(readFileSync(path.join(definitionsDir, 'search-parameters.json'), 'utf8')) as { entry: { resource: Official }[] };
    const official = bundle.entry.map(({ resource }) => resource).filter((sp) => sp.version === '4.0.1');
    const notDomainResources = ['Binary', 'Bundle'];
    const expected = new Set<string>();
    for (const sp of official) {
      const bases = sp.base.flatMap((base) => {
        if (base === 'Resource') return [...resourceTypes];
        if (base === 'DomainResource') return resourceTypes.filter((type) => !notDomainResources.includes(type));
        return isResourceType(base) ? [base] : [];
      });
      for (const base of bases) {
        const info = searchParameter(base, sp.code);
        const target = sp.target?.filter(isResourceType).sort();
        expect(info?.type, `${base}.${sp.code}`).toBe(sp.type);
        expect(info?.target, `${base}.${sp.code}`).toEqual(target && target.length > 0 ? target : undefined);
        expected.add(`${base}.${sp.code}`);
      }
    }
    const decoded = resourceTypes.flatMap((type) => searchParametersOf(type).map(({ code }) => `${type}.${code}`));
    expect(decoded).toHaveLength(expected.size);
    expect(new Set(decoded)).toEqual(expected);
    expect(searchParameter('Patient', 'link')?.target).toEqual(['Patient', 'RelatedPerson']);
    expect(searchParameter('List', 'item')?.target).toEqual([...resourceTypes]);
  });

  it('returns frozen values, shared between calls', () => {
    const info = searchParameter('Observation', 'subject')!;
    expect(Object.isFrozen(info) && Object.isFrozen(info.target)).toBe(true);
    expect(searchParameter('Observation', 'subject')).toBe(info);
    expect(searchParametersOf('Observation')).toContain(info);
  });

  it('round-trips the text form and rejects malformed entries', () => {
    const entries = [
      { code: '_text', type: 'string', extracted: false },
      { code: 'general-practitioner', type: 'reference', targets: 12 },
      { code: 'code-value-quantity', type: 'composite', extracted: false },
      { code: 'birthdate', type: 'date' },
    ] as const;
    const text = encodeSearchParameters(entries);
    expect(text).toBe('_text:s!,general-practitioner:r12,code-value-quantity:c!,birthdate:d');
    expect(decodeSearchParameters(text)).toStrictEqual(entries);
    expect(decodeSearchParameters('')).toEqual([]);
    expect(() => decodeSearchParameters('name:z')).toThrow(/Malformed/);
    expect(() => decodeSearchParameters('name')).toThrow(/Malformed/);
    expect(() => encodeSearchParameters([{ code: 'a,b', type: 'token' }])).toThrow(/Cannot encode/);
  });
});

describe('search expressions (write path)', () => {
  it('keeps only the branches of a multi-type expression that start from the type', () => {
    expect(searchExpression('Observation', 'patient')).toBe('Observation.subject.where(resolve() is Patient)');
    expect(searchExpression('AllergyIntolerance', 'patient')).toBe('AllergyIntolerance.patient');
    expect(searchExpression('Observation', 'code')).toBe('Observation.code');
  });

  it('restates Resource-level expressions on the type', () => {
    expect(searchExpression('Claim', '_lastUpdated')).toBe('Claim.meta.lastUpdated');
    expect(searchExpression('Patient', '_id')).toBe('Patient.id');
  });

  it('rewrites `as` to ofType(), which accepts collections', () => {
    expect(searchExpression('MedicationRequest', 'code')).toBe('MedicationRequest.medication.ofType(CodeableConcept)');
    expect(searchExpression('Observation', 'value-concept')).toBe('Observation.value.ofType(CodeableConcept)');
    expect(searchExpression('Condition', 'onset-date')).toBe('Condition.onset.ofType(dateTime) | Condition.onset.ofType(Period)');
  });

  it('prefixes the unprefixed R4 expression of InsurancePlan.name', () => {
    expect(searchExpression('InsurancePlan', 'name')).toBe('InsurancePlan.name | InsurancePlan.alias');
  });

  it('has none for composite or unknown parameters', () => {
    expect(searchExpression('Observation', 'code-value-quantity')).toBeUndefined();
    expect(searchExpression('Observation', 'nope')).toBeUndefined();
  });
});

describe('Patient compartment', () => {
  it('follows the official CompartmentDefinition', () => {
    expect(patientCompartmentParams('Observation')).toEqual(['subject', 'performer']);
    expect(patientCompartmentParams('Patient')).toEqual(['link']);
    expect(patientCompartmentParams('AllergyIntolerance')).toEqual(['patient', 'recorder', 'asserter']);
  });

  it('is empty for types outside the compartment', () => {
    expect(patientCompartmentParams('Organization')).toEqual([]);
    expect(patientCompartmentParams('ValueSet')).toEqual([]);
  });

  it('names only parameters the type defines', () => {
    for (const type of resourceTypes) {
      for (const code of patientCompartmentParams(type)) expect(searchParameter(type, code), `${type}.${code}`).toBeDefined();
    }
  });
});

describe('categories', () => {
  it('gives each type its specification category, with HTML entities decoded', () => {
    expect(categoryOf('Observation')).toBe('Clinical.Diagnostics');
    expect(categoryOf('AllergyIntolerance')).toBe('Clinical.Summary');
    expect(categoryOf('Patient')).toBe('Base.Individuals');
    expect(categoryOf('Claim')).toBe('Financial.Billing');
    expect(categoryOf('Communication')).toBe('Clinical.Request & Response');
    for (const type of resourceTypes) expect(categoryOf(type)).toMatch(/^(Foundation|Base|Clinical|Financial|Specialized)\.(?!.*&\w+;)/);
  });
});

describe('the read-path module', () => {
  it('never imports the FHIRPath expressions', () => {
    const source = readFileSync(path.join(registryDir, 'registry.ts'), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1]);
    expect(imports.sort()).toEqual([
      './generated/categories.json',
      './generated/compartment-search.json',
      './generated/patient-compartment.json',
      './generated/resource-types',
      './generated/resource-types',
      './generated/search-parameters.json',
      './search-parameter-text',
      './search-parameter-text',
    ]);
  });
});
