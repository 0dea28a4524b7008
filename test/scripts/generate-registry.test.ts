import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRegistry, compactSearchParameters, expressionFor, registryDir, writeRegistry } from '../../scripts/generate-registry';
import { splitTopLevelUnion } from '../../lambdas/fhir/registry/fhirpath-text';

describe('lambdas/fhir/registry/generated', () => {
  const outDir = mkdtempSync(path.join(tmpdir(), 'registry-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('matches a fresh generation from the official definitions', () => {
    const written = writeRegistry(outDir);
    expect(readdirSync(registryDir).sort()).toEqual([...written].sort());
    for (const name of written) {
      const committed = readFileSync(path.join(registryDir, name), 'utf8');
      const fresh = readFileSync(path.join(outDir, name), 'utf8');
      expect(committed === fresh, `${name} is stale: run npm run generate:registry`).toBe(true);
    }
  });
});

describe('the compact read-path search parameters', () => {
  it('writes the parameters every type shares, and those every DomainResource shares, once', () => {
    const registry = buildRegistry();
    const compact = compactSearchParameters(registry);
    expect(compact.resource).toBe('_content:s!,_id:t,_lastUpdated:d,_profile:u,_query:t!,_security:t,_source:u,_tag:t');
    expect(compact.domainResource).toBe('_text:s!');
    expect(compact.notDomainResources).toEqual(['Binary', 'Bundle']);
    expect(Object.keys(compact.types)).toEqual(registry.resourceTypes);
    for (const text of Object.values(compact.types)) expect(text).not.toMatch(/(^|,)_/);
    expect(compact.types.Binary).toBe('');
  });

  it('tables each distinct target list once, with * for every type', () => {
    const compact = compactSearchParameters(buildRegistry());
    expect(compact.targets[0]).toBe('*');
    expect(new Set(compact.targets).size).toBe(compact.targets.length);
    expect(compact.types.Observation).toContain(`subject:r${compact.targets.indexOf('Device,Group,Location,Patient')},`);
  });
});

describe('splitting official expressions', () => {
  it('splits on top-level | only', () => {
    expect(splitTopLevelUnion("A.b | (C.d as E) | F.g.where(h = 'x|y') | I.j.where(k | l)")).toEqual(["A.b", '(C.d as E)', "F.g.where(h = 'x|y')", 'I.j.where(k | l)']);
    expect(splitTopLevelUnion("A.where(b = 'it\\'s | ok') | C")).toEqual(["A.where(b = 'it\\'s | ok')", 'C']);
  });

  it('keeps the branches of one type, not of a type whose name it prefixes', () => {
    const expression = 'Medication.code | MedicationRequest.medication as CodeableConcept | (MedicationRequest.medication as CodeableConcept) | Observation.code';
    expect(expressionFor('Medication', expression)).toBe('Medication.code');
    expect(expressionFor('MedicationRequest', '(MedicationRequest.medication as CodeableConcept) | Observation.code')).toBe('MedicationRequest.medication.ofType(CodeableConcept)');
    expect(expressionFor('Patient', expression)).toBeUndefined();
  });
});
