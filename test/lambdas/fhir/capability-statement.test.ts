import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { capabilityStatement } from '../../../lambdas/fhir/capability-statement';
import { resourceTypes } from '../../../lambdas/fhir/registry/registry';
import { validateResource } from '../../../lambdas/fhir/validation';

const statement = capabilityStatement({
  baseUrl: 'https://fhir.example.org/r4',
  software: { name: 'DSC', version: '1.2.3' },
  date: new Date('2026-11-25T10:00:00.000Z'),
  cors: true,
});
const [rest] = statement.rest;
const resources = rest!.resource;
const resourceOf = (type: string) => {
  const found = resources.find((resource) => resource.type === type);
  if (!found) throw new Error(`${type} is not in the statement`);
  return found;
};

describe('the CapabilityStatement', () => {
  it('describes this server instance: FHIR 4.0.1, JSON only, JSON Patch, OAuth', () => {
    expect(statement).toMatchObject({
      resourceType: 'CapabilityStatement',
      status: 'active',
      kind: 'instance',
      fhirVersion: '4.0.1',
      date: '2026-11-25T10:00:00.000Z',
      software: { name: 'DSC', version: '1.2.3' },
      implementation: { url: 'https://fhir.example.org/r4' },
    });
    expect(statement.format).toContain('application/fhir+json');
    expect(statement.format.some((format) => format.includes('xml'))).toBe(false);
    expect(statement.patchFormat).toEqual(['application/json-patch+json']);
    expect(statement.rest).toHaveLength(1);
    expect(rest).toMatchObject({ mode: 'server', security: { cors: true, service: [{ coding: [{ code: 'OAuth' }] }] } });
  });

  it('lists every storable R4 type once, and not the exchanged-only Parameters and OperationOutcome, nor the journal\'s AuditEvent', () => {
    const types = resources.map((resource) => resource.type);
    expect(new Set(types).size).toBe(types.length);
    expect(types).toEqual(resourceTypes.filter((type) => type !== 'OperationOutcome' && type !== 'AuditEvent'));
    expect(types).toHaveLength(143);
    expect(types).not.toContain('Parameters');
    expect(types).not.toContain('OperationOutcome');
    expect(types).not.toContain('AuditEvent');
    expect(types).toEqual(expect.arrayContaining(['Patient', 'Observation', 'Encounter', 'Binary', 'Bundle', 'ValueSet']));
  });

  it('gives every type the interactions the routes serve, versioned, with update-as-create and conditional interactions', () => {
    const served = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'];
    for (const resource of resources) {
      expect(resource.interaction.map((interaction) => interaction.code).sort(), resource.type).toEqual([...served].sort());
      expect(resource, resource.type).toMatchObject({
        versioning: 'versioned',
        readHistory: true,
        updateCreate: true,
        conditionalCreate: true,
        conditionalUpdate: true,
        conditionalDelete: 'single',
        conditionalRead: 'full-support',
      });
    }
  });

  it('lists Observation\'s search parameters with their types, saying which are read-your-writes', () => {
    const params = new Map(resourceOf('Observation').searchParam.map((param) => [param.name, param]));
    expect(params.get('code')?.type).toBe('token');
    expect(params.get('patient')?.type).toBe('reference');
    expect(params.get('date')?.type).toBe('date');
    expect(params.get('value-quantity')?.type).toBe('quantity');
    expect(params.get('_id')?.type).toBe('token');
    expect(params.get('_lastUpdated')?.type).toBe('date');
    // The patient compartment's parameters for Observation are subject and performer (the official CompartmentDefinition).
    expect(params.get('subject')?.documentation).toMatch(/^Read-your-writes/);
    expect(params.get('_id')?.documentation).toMatch(/^Read-your-writes/);
    // Eventually consistent is the default the statement declares once, to keep /metadata small.
    expect(params.get('code')?.documentation).toBeUndefined();
    expect(rest?.documentation).toMatch(/every other parameter is eventually consistent/);
  });

  it('lists no parameter it cannot answer: no composite, no special, no _text, _content or _query', () => {
    const observation = resourceOf('Observation').searchParam.map((param) => param.name);
    for (const name of ['code-value-quantity', 'combo-code-value-quantity', 'component-code-value-concept', '_text', '_content', '_query']) expect(observation).not.toContain(name);
    expect(resourceOf('Location').searchParam.map((param) => param.name)).not.toContain('near');
    for (const resource of resources) {
      for (const param of resource.searchParam) expect(['composite', 'special'], `${resource.type}.${param.name}`).not.toContain(param.type);
    }
  });

  it('lists includes by reference parameter and reverse includes by target', () => {
    expect(resourceOf('Observation').searchInclude).toContain('Observation:patient');
    expect(resourceOf('Observation').searchInclude).toContain('Observation:subject');
    expect(resourceOf('Observation').searchInclude).not.toContain('Observation:code');
    expect(resourceOf('Patient').searchRevInclude).toContain('Provenance:target');
    expect(resourceOf('Patient').searchRevInclude).toContain('Observation:patient');
    expect(resourceOf('Patient').searchRevInclude).not.toContain('OperationOutcome:patient');
  });

  it('declares the everything operation on Patient only, where GET Patient/[id]/$everything serves it', () => {
    expect(resourceOf('Patient').operation).toEqual([{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }]);
    expect(resources.filter((resource) => 'operation' in resource).map((resource) => resource.type)).toEqual(['Patient']);
    // rest.operation declares system-level operations ([base]/$everything), which no route serves.
    expect((rest as { operation?: unknown }).operation).toBeUndefined();
  });

  it('is valid R4', () => {
    expect(validateResource('CapabilityStatement', JSON.parse(JSON.stringify(statement)))).toEqual([]);
  });

  it('stays a reasonable size for /metadata', () => {
    const text = JSON.stringify(statement);
    const bytes = Buffer.byteLength(text);
    const gzipped = gzipSync(text).length;
    console.log(`CapabilityStatement: ${resources.length} types, ${(bytes / 1024).toFixed(0)} KB (${(gzipped / 1024).toFixed(0)} KB gzipped)`);
    expect(bytes).toBeLessThan(1024 * 1024);
    expect(gzipped).toBeLessThan(64 * 1024);
  });
});
