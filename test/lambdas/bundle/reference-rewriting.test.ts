import { describe, expect, it } from 'vitest';
import { parseFhirJson, stringifyFhirJson } from '../../../lambdas/fhir/json';
import { conditionalReferenceParts, rewriteReferences } from '../../../lambdas/bundle/reference-rewriting';
import { invalidIssues, uuid } from './helpers';

const patientUrn = uuid(1);
const encounterUrn = uuid(2);
const binaryUrn = uuid(3);
const targets = {
  fullUrls: new Map([
    [patientUrn, 'Patient/p1'],
    [encounterUrn, 'Encounter/e1'],
    [binaryUrn, 'Binary/b1'],
    ['http://example.org/fhir/Practitioner/dr', 'Practitioner/dr'],
  ]),
};
const entry = { index: 4, fullUrl: uuid(4) };

describe('rewriteReferences', () => {
  it('rewrites every reference at any depth: extensions, nested elements and contained resources', () => {
    const observation = {
      resourceType: 'Observation',
      contained: [{ resourceType: 'Provenance', target: [{ reference: '#obs' }], agent: [{ who: { reference: patientUrn } }] }],
      extension: [{ url: 'http://example.org/ext', valueReference: { reference: encounterUrn } }],
      subject: { reference: patientUrn, display: 'Jane' },
      encounter: { reference: encounterUrn },
      performer: [{ reference: 'http://example.org/fhir/Practitioner/dr' }],
      component: [{ extension: [{ extension: [{ url: 'deep', valueReference: { reference: patientUrn } }] }] }],
    };
    const { resource, fullUrls } = rewriteReferences(observation, targets, entry);
    expect(resource).toEqual({
      resourceType: 'Observation',
      contained: [{ resourceType: 'Provenance', target: [{ reference: '#obs' }], agent: [{ who: { reference: 'Patient/p1' } }] }],
      extension: [{ url: 'http://example.org/ext', valueReference: { reference: 'Encounter/e1' } }],
      subject: { reference: 'Patient/p1', display: 'Jane' },
      encounter: { reference: 'Encounter/e1' },
      performer: [{ reference: 'Practitioner/dr' }],
      component: [{ extension: [{ extension: [{ url: 'deep', valueReference: { reference: 'Patient/p1' } }] }] }],
    });
    expect(fullUrls).toEqual([patientUrn, encounterUrn, 'http://example.org/fhir/Practitioner/dr']);
  });

  it('rewrites a uri or url holding exactly a known fullUrl, such as an attachment pointing at a Binary entry', () => {
    const document = { resourceType: 'DocumentReference', content: [{ attachment: { contentType: 'application/pdf', url: binaryUrn } }], implicitRules: binaryUrn };
    expect(rewriteReferences(document, targets, entry).resource).toEqual({
      resourceType: 'DocumentReference',
      content: [{ attachment: { contentType: 'application/pdf', url: 'Binary/b1' } }],
      implicitRules: 'Binary/b1',
    });
  });

  it('leaves identifier values alone even when they equal a fullUrl, and strings that merely contain one', () => {
    const claim = {
      resourceType: 'Claim',
      identifier: [{ system: 'urn:ietf:rfc:3986', value: patientUrn }],
      note: [{ text: `see ${patientUrn}` }],
      unrelated: 'urn:uuid:99999999-0000-4000-8000-000000000000',
    };
    const result = rewriteReferences(claim, targets, entry);
    expect(result.resource).toBe(claim);
    expect(result.fullUrls).toEqual([]);
  });

  it('does not modify its input, and shares the subtrees it leaves unchanged', () => {
    const input = { resourceType: 'Observation', subject: { reference: patientUrn }, code: { coding: [{ system: 'http://loinc.org', code: '1-8' }] } };
    const before = structuredClone(input);
    const { resource } = rewriteReferences(input, targets, entry);
    expect(input).toEqual(before);
    expect(resource.code).toBe(input.code);
    expect(resource.subject).not.toBe(input.subject);
  });

  it('returns the very input when nothing refers to the Bundle', () => {
    const input = { resourceType: 'Patient', generalPractitioner: [{ reference: 'Practitioner/elsewhere' }] };
    expect(rewriteReferences(input, targets, entry).resource).toBe(input);
  });

  it('keeps FHIR decimals exactly as written', () => {
    const input = parseFhirJson(`{"resourceType":"Observation","subject":{"reference":"${patientUrn}"},"valueQuantity":{"value":1.50}}`);
    expect(stringifyFhirJson(rewriteReferences(input, targets, entry).resource)).toBe('{"resourceType":"Observation","subject":{"reference":"Patient/p1"},"valueQuantity":{"value":1.50}}');
  });

  it('keeps a __proto__ property as data', () => {
    const input = JSON.parse(`{"resourceType":"Basic","__proto__":{"reference":"${patientUrn}"}}`) as Record<string, unknown>;
    const { resource } = rewriteReferences(input, targets, entry);
    expect(Object.getPrototypeOf(resource)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(resource, '__proto__')?.value).toEqual({ reference: 'Patient/p1' });
  });

  it('refuses a urn:uuid or urn:oid reference that no entry has, naming the entry', () => {
    for (const unknown of [uuid(99), 'urn:oid:1.2.3.4']) {
      const issues = invalidIssues(() => rewriteReferences({ resourceType: 'Observation', contained: [{ resourceType: 'Patient', link: [{ other: { reference: unknown } }] }] }, targets, entry));
      expect(issues[0]?.diagnostics).toBe(`Bundle entry[4] (${uuid(4)}): the reference ${unknown} names no entry of the Bundle`);
      expect(issues[0]?.expression).toEqual(['Bundle.entry[4]']);
    }
  });

  it('collects conditional references once each, and leaves them for the executor', () => {
    const npi = 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999';
    const input = {
      resourceType: 'Encounter',
      participant: [{ individual: { reference: npi } }, { individual: { reference: npi } }],
      serviceProvider: { reference: 'Organization?identifier=https://github.com/synthetichealth/synthea|abc' },
    };
    const result = rewriteReferences(input, targets, entry);
    expect(result.conditional).toEqual([npi, 'Organization?identifier=https://github.com/synthetichealth/synthea|abc']);
    expect(result.resource).toBe(input);
  });

  it('replaces the conditional references the executor has resolved', () => {
    const npi = 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999';
    const result = rewriteReferences({ resourceType: 'Encounter', participant: [{ individual: { reference: npi } }] }, { ...targets, conditional: new Map([[npi, 'Practitioner/found']]) }, entry);
    expect(result.resource).toEqual({ resourceType: 'Encounter', participant: [{ individual: { reference: 'Practitioner/found' } }] });
    expect(result.conditional).toEqual([]);
  });

  it('refuses a conditional reference to a type R4 does not define', () => {
    const issues = invalidIssues(() => rewriteReferences({ resourceType: 'Encounter', subject: { reference: 'Patients?identifier=x|1' } }, targets, entry));
    expect(issues[0]?.diagnostics).toContain('names no R4 resource type');
  });

  it('resolves a relative reference against the base of the entry’s RESTful fullUrl (R4 bundle.html#references)', () => {
    const restful = { index: 0, fullUrl: 'http://example.org/fhir/Observation/o1' };
    const result = rewriteReferences({ resourceType: 'Observation', performer: [{ reference: 'Practitioner/dr' }, { reference: 'Practitioner/other' }] }, targets, restful);
    expect(result.resource).toEqual({ resourceType: 'Observation', performer: [{ reference: 'Practitioner/dr' }, { reference: 'Practitioner/other' }] });
    expect(result.fullUrls).toEqual(['http://example.org/fhir/Practitioner/dr']);
    // Under a urn fullUrl a relative reference is to the server, not to the Bundle.
    expect(rewriteReferences({ resourceType: 'Observation', performer: [{ reference: 'Practitioner/dr' }] }, targets, entry).fullUrls).toEqual([]);
  });
});

describe('conditionalReferenceParts', () => {
  it('splits Type?criteria and rejects anything else', () => {
    expect(conditionalReferenceParts('Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999')).toEqual({ resourceType: 'Practitioner', criteria: 'identifier=http://hl7.org/fhir/sid/us-npi|9999' });
    expect(conditionalReferenceParts('Patient/1')).toBeUndefined();
    expect(conditionalReferenceParts('http://example.org/Patient?x=1')).toBeUndefined();
    expect(conditionalReferenceParts('Patient?')).toBeUndefined();
  });
});
